//! The Docker CLI, and what a run left behind on the engine.

use seamless_host_api::LABEL_RUN;
use std::process::Command;

/// Runs the docker CLI and returns its stdout; panics, with its stderr, if the CLI
/// fails, so a broken CLI or daemon never reads as "nothing there".
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker (scripts/test-env.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "`docker {}` failed ({}):\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the docker CLI for cleanup, where "no such object" is fine: ignores failure.
pub fn docker_cleanup(args: &[&str]) {
    let _ = Command::new("docker").args(args).output();
}

/// Runs the docker CLI about an object that may be gone meanwhile: its output, or
/// `None` when the CLI failed.
pub fn docker_cleanup_output(args: &[&str]) -> Option<String> {
    let out = Command::new("docker").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Containers (running or not) labelled with the run.
pub fn containers_of_run(run_id: &str) -> Vec<String> {
    of_run("ps", &["-a"], run_id)
}

/// Networks labelled with the run.
pub fn networks_of_run(run_id: &str) -> Vec<String> {
    of_run("network", &["ls"], run_id)
}

fn of_run(command: &str, extra: &[&str], run_id: &str) -> Vec<String> {
    let filter = format!("label={LABEL_RUN}={run_id}");
    let mut args = vec![command];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-q", "--filter", &filter]);
    docker(&args)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}
