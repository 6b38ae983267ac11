//! {{name}}: a Seamless stage plugin.
//!
//! It runs `script` (from the stage's `[stage.with]`, default: print the service's name)
//! in the service's image, with the workspace mounted read-only, and passes the stage
//! when the script exits with 0.

use seamless_sdk::containers::{self, ContainerSpec};
use seamless_sdk::{Capability, Context, Manifest, Outcome, Stage, StageError, log, run_info};

struct Plugin;

impl Stage for Plugin {
    fn describe() -> Manifest {
        // Keep these capabilities equal to [capabilities] in plugin.toml: the runtime
        // refuses a component that asks for more than its bundle shows at install.
        Manifest::new("{{name}}", env!("CARGO_PKG_VERSION"), env!("CARGO_PKG_DESCRIPTION"))
            .capability(Capability::Containers)
    }

    fn run(ctx: Context) -> Result<Outcome, StageError> {
        let info = run_info::current();
        let service = &info.service.name;
        let greeting = ctx.config("greeting").unwrap_or("hello");
        log::info(&format!("{{name}}: {greeting} from {service}"));
        let script = ctx.config("script").unwrap_or("echo \"checking $SERVICE\"");
        let spec = ContainerSpec::new(info.service.image.clone())
            .command(["sh", "-c", script])
            .env("SERVICE", service.clone())
            .workdir(info.service.path.clone())
            .mount_workspace();
        let code = containers::run_and_wait(&spec)?;
        if code != 0 {
            return Err(StageError::failed(format!(
                "{{name}}: the script exited with code {code}"
            )));
        }
        Ok(Outcome::new(format!("{{name}} passed for {service}")))
    }
}

seamless_sdk::export_stage!(Plugin);
