//! The built-in `command` stage: runs one of the service's named commands (such as
//! `unit-test = "cargo test"`) with `sh -c` in the service's image, in the service's
//! directory of the mounted workspace. The stage passes when the command exits 0.
//!
//! `[stage.with] junit = "<path>"` (relative to the service directory; a file, or a
//! directory whose `*.xml` files are all read) makes the stage read the JUnit
//! report(s) the command writes, report test counts, and fail as `tests-failed`
//! naming the failed tests. The command writes into the workspace, so this needs the
//! grant `workspace-write = true`.

use plugin_support::{junit, paths, verdict};
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
        // Only used with `junit`: the command writes its report into the workspace,
        // and the plugin clears a stale one first. Granted by `workspace-write = true`.
        .capability(Capability::WorkspaceWrite)
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
        let report_path = match ctx.config("junit") {
            Some("") => {
                return Err(StageError::invalid_config(
                    "`junit` under [stage.with] is empty; set it to the report's path, relative to the service directory",
                ));
            }
            Some(path) => Some(paths::in_service_dir(&service.path, path).map_err(|e| {
                StageError::invalid_config(format!("`junit` under [stage.with]: {e}"))
            })?),
            None => None,
        };
        if let Some(path) = &report_path
            && let Err(e) = junit::clear(path)
        {
            log::warn(&format!(
                "cannot remove the old JUnit report {}: {e}",
                path.display()
            ));
        }

        log::info(&format!("running `{cmd}` in {}", service.image));
        let spec = ContainerSpec::new(service.image.as_str())
            .command(["sh", "-c", cmd])
            .workdir(paths::service_dir(&service.path))
            .mount_workspace();
        let code = containers::run_and_wait(&spec)?;
        let report = report_path.map(|path| junit::read(&path));
        verdict::judge(&format!("`{cmd}`"), code, report)
    }
}

seamless_sdk::export_stage!(Command);
