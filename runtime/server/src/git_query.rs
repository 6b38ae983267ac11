//! Asking git about a checkout on the server.

use std::path::Path;
use std::process::Command;

/// `git -C dir ARGS`'s trimmed stdout when it succeeds (never prompting for
/// credentials); `None` when git fails or is missing.
pub(crate) fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
