//! Test support for Seamless's own tests and benchmarks, in one dev-only crate:
//!
//! - [`fixtures`]: the fixture plugin components (`misbehave`, `future-version`);
//! - [`git`]: scratch git repositories with a fixed identity;
//! - [`bin`]: the `seamless` binary, built from the current sources;
//! - [`docker`]: the Docker CLI, and what a run left behind;
//! - [`registry`]: the loopback OCI registries `scripts/test-env.sh` starts;
//! - [`moto`]: the AWS stand-in `scripts/test-env.sh` starts, one test at a time;
//! - [`stages`]: stage tables of `seamless.toml` that tests write often;
//! - [`ports`]: loopback ports a test holds until it hands them over;
//! - [`wait`]: polling with one deadline;
//! - [`fs`]: copying directories;
//! - [`logs`]: a host log sink that keeps its lines;
//! - [`golden`]: error messages checked against golden `.err` files;
//! - `webhooks` (feature `webhooks`): GitHub's signature, by the server's own signer.
//!
//! Helpers panic with a message that says what failed and how to fix the machine:
//! they run inside tests. The `try_` variants return errors for the benchmarks.

pub mod bin;
pub mod docker;
pub mod fixtures;
pub mod fs;
pub mod git;
pub mod golden;
pub mod logs;
pub mod moto;
pub mod ports;
pub mod registry;
pub mod stages;
pub mod wait;
#[cfg(feature = "webhooks")]
pub mod webhooks;

use std::path::{Path, PathBuf};

/// A name no other test, test process or earlier run uses: `prefix`, the process id,
/// the time and a counter, in lowercase letters, digits and `-` (valid as a registry
/// repository, an image tag, a Docker label value or a service name).
pub fn unique(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{}-{:x}-{n}",
        std::process::id(),
        nanos % 0xffff_ffff
    )
}

/// The repository root (this crate is `tests/support`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn unique_names_differ_and_keep_to_safe_characters() {
        let a = super::unique("x");
        let b = super::unique("x");
        assert_ne!(a, b);
        for name in [a, b] {
            assert!(name.starts_with("x-"), "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
        }
    }
}
