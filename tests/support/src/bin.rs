//! The `seamless` binary under test, built from the current sources.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The binary could not be built or found.
#[derive(Debug, thiserror::Error)]
pub enum BinError {
    /// The running executable's path says nothing about a target directory.
    #[error("cannot tell the target directory from {0}")]
    NoTargetDir(String),
    /// Cargo could not start.
    #[error("cannot run cargo: {0}")]
    Spawn(#[from] std::io::Error),
    /// The build failed.
    #[error(
        "`cargo build --workspace --all-targets --profile {profile}` (target dir {target_dir}) \
         failed; the tests need a binary built from the current sources:\n{stderr}"
    )]
    Build {
        /// The cargo profile.
        profile: String,
        /// The target directory.
        target_dir: String,
        /// Cargo's errors.
        stderr: String,
    },
}

/// The `seamless` binary: once per process this runs `cargo build --workspace
/// --all-targets` into the running executable's own target directory and profile (a
/// no-op when it is fresh), so no test or benchmark drives a stale binary. All targets
/// of the whole workspace, as `scripts/test` and nextest build them: dev-dependencies
/// turn on features of shared crates (`syn`, `serde_json`, `hashbrown`...), so `--bins`
/// or `-p seamless-cli` alone resolve features differently, and every switch between
/// them rebuilds wasmtime (10 to 30 minutes on 2 cores).
pub fn try_seamless_bin() -> Result<PathBuf, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| build().map_err(|e| e.to_string()))
        .clone()
}

/// [`try_seamless_bin`], panicking when the build fails.
pub fn seamless_bin() -> PathBuf {
    try_seamless_bin().unwrap_or_else(|e| panic!("{e}"))
}

fn build() -> Result<PathBuf, BinError> {
    let exe = std::env::current_exe()?;
    let profile_dir =
        profile_dir(&exe).ok_or_else(|| BinError::NoTargetDir(exe.display().to_string()))?;
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| BinError::NoTargetDir(exe.display().to_string()))?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev".to_owned(),
        Some(other) => other.to_owned(),
        None => return Err(BinError::NoTargetDir(exe.display().to_string())),
    };
    let out = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--workspace",
            "--all-targets",
            "--profile",
            &profile,
        ])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(crate::repo_root())
        .output()?;
    if !out.status.success() {
        return Err(BinError::Build {
            profile,
            target_dir: target_dir.display().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(profile_dir.join("seamless"))
}

/// `<target>/<profile>` of an executable cargo built: a test binary lives in its
/// `deps/`, a binary (the benchmark) in it directly.
fn profile_dir(exe: &Path) -> Option<&Path> {
    let dir = exe.parent()?;
    if dir.file_name()? == "deps" {
        dir.parent()
    } else {
        Some(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::profile_dir;
    use std::path::Path;

    #[test]
    fn the_profile_dir_is_found_for_tests_and_binaries() {
        assert_eq!(
            profile_dir(Path::new("/t/debug/deps/e2e-0123")),
            Some(Path::new("/t/debug"))
        );
        assert_eq!(
            profile_dir(Path::new("/t/release/seamless-bench")),
            Some(Path::new("/t/release"))
        );
    }
}
