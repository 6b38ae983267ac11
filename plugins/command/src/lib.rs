//! The built-in `command` stage: runs one of the service's named commands (such as
//! `unit-test = "cargo test"`) with `sh -c` in the service's image, in the service's
//! directory of the mounted workspace. The stage passes when the command exits 0.

use seamless_sdk::containers::{self, ContainerSpec};
use seamless_sdk::{Capability, Context, Manifest, Outcome, Stage, StageError, log, run_info};

/// The `command` stage plugin.
struct Command;

impl Stage for Command {
    fn describe() -> Manifest {
        Manifest::new(
            "command",
            env!("CARGO_PKG_VERSION"),
            "runs one of the service's named commands in the service's image",
        )
        .capability(Capability::Containers)
    }

    fn run(ctx: Context) -> Result<Outcome, StageError> {
        let name = ctx.config("command").ok_or_else(|| {
            StageError::invalid_config(format!(
                "stage `{}` does not say which command to run; set `command = \"<name>\"` under [stage.with]",
                ctx.stage
            ))
        })?;
        let info = run_info::current();
        let service = &info.service;
        let Some(cmd) = service.command(name) else {
            return Ok(Outcome::new(format!(
                "no `{name}` command for service {}; nothing to run",
                service.name
            )));
        };

        log::info(&format!("running `{cmd}` in {}", service.image));
        let spec = ContainerSpec::new(service.image.as_str())
            .command(["sh", "-c", cmd])
            .workdir(workdir(&service.path))
            .mount_workspace();
        match containers::run_and_wait(&spec)? {
            0 => Ok(Outcome::new(format!("`{cmd}` passed"))),
            code => Err(StageError::failed(format!(
                "`{cmd}` exited with code {code}"
            ))),
        }
    }
}

/// The absolute working directory for a service directory relative to the workspace.
fn workdir(service_path: &str) -> String {
    let path = service_path.trim_start_matches("./").trim_matches('/');
    if path.is_empty() || path == "." {
        "/workspace".to_owned()
    } else {
        format!("/workspace/{path}")
    }
}

seamless_sdk::export_stage!(Command);

#[cfg(test)]
mod tests {
    use super::workdir;

    #[test]
    fn root_service_runs_in_the_workspace_root() {
        assert_eq!(workdir("."), "/workspace");
        assert_eq!(workdir(""), "/workspace");
    }

    #[test]
    fn nested_service_runs_in_its_directory() {
        assert_eq!(workdir("services/hello"), "/workspace/services/hello");
        assert_eq!(workdir("./services/hello/"), "/workspace/services/hello");
    }
}
