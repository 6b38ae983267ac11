//! Builds the guest workspace (`plugins/`) for `wasm32-wasip2` with a nested
//! `cargo build`, and hands the components to `lib.rs` (the wasmtime test-programs
//! pattern; see `plugins/README.md` for why).
//!
//! The nested build uses its own target directory, `target/wasm-guests`, so it never
//! waits on the lock the outer build holds, and starts from a clean environment so
//! the outer build's flags, target and wrappers do not leak into it.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The guest target.
const TARGET: &str = "wasm32-wasip2";
/// Built-in plugins: (component file stem, env var that carries its path).
const BUILTINS: &[(&str, &str)] = &[
    ("command", "SEAMLESS_BUILTIN_COMMAND"),
    ("build", "SEAMLESS_BUILTIN_BUILD"),
    ("prepare", "SEAMLESS_BUILTIN_PREPARE"),
    ("integration_test", "SEAMLESS_BUILTIN_INTEGRATION_TEST"),
    ("deploy", "SEAMLESS_BUILTIN_DEPLOY"),
    ("notify", "SEAMLESS_BUILTIN_NOTIFY"),
];

fn main() {
    match run() {
        Ok(()) => {}
        Err(Failure::Clean(message)) => println!("cargo::error={message}"),
        // A non-zero exit makes cargo show this script's stderr, which holds the
        // nested build's compiler errors.
        Err(Failure::ShowOutput(message)) => {
            println!("cargo::error={message}");
            std::process::exit(1);
        }
    }
}

/// Why the build script failed.
enum Failure {
    /// The message says everything.
    Clean(String),
    /// The nested build failed; its output (on stderr) says why.
    ShowOutput(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::Clean(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Self::Clean(message.to_owned())
    }
}

fn run() -> Result<(), Failure> {
    let manifest_dir = PathBuf::from(var("CARGO_MANIFEST_DIR")?);
    let repo = manifest_dir
        .ancestors()
        .nth(2)
        .ok_or("runtime/builtins is not two levels below the repository root")?
        .to_path_buf();
    let out_dir = PathBuf::from(var("OUT_DIR")?);

    watch_sources(&repo)?;
    check_target_installed()?;

    let target_dir = repo.join("target").join("wasm-guests");
    build_guests(&repo.join("plugins").join("Cargo.toml"), &target_dir)?;

    let built = target_dir.join(TARGET).join("release");
    for (stem, env_name) in BUILTINS {
        let dest = copy_component(&built, stem, &out_dir)?;
        println!("cargo:rustc-env={env_name}={}", dest.display());
    }
    // The guest workspace also holds the test fixtures (`plugins/fixtures`); this
    // crate ships none of them. `seamless-test-support` reads this directory (as
    // `DEP_SEAMLESS_GUESTS_DIR`, through the `links` key) and copies them from it.
    println!("cargo::metadata=DIR={}", built.display());
    Ok(())
}

/// Reads an environment variable cargo sets for build scripts.
fn var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("cargo did not set `{name}` for the build script"))
}

/// Reruns this script when the contract, the SDK or a guest changes. Whole
/// directories are watched, except build output (`target`).
fn watch_sources(repo: &Path) -> Result<(), String> {
    println!("cargo:rerun-if-changed={}", repo.join("wit").display());
    for dir in ["sdk/rust", "plugins"] {
        let dir = repo.join(dir);
        let entries =
            fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            if entry.file_name() != "target" {
                println!("cargo:rerun-if-changed={}", entry.path().display());
            }
        }
    }
    Ok(())
}

/// Fails with the fix when the guest target's standard library is not installed.
fn check_target_installed() -> Result<(), String> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run `{rustc} --print sysroot`: {e}"))?;
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let std_dir = Path::new(&sysroot).join("lib/rustlib").join(TARGET);
    if !output.status.success() || !std_dir.is_dir() {
        return Err(format!(
            "the `{TARGET}` target is not installed, and the built-in plugins need it; \
             run `rustup target add {TARGET}`"
        ));
    }
    Ok(())
}

/// Runs `cargo build --release --target wasm32-wasip2` on the guest workspace.
fn build_guests(manifest: &Path, target_dir: &Path) -> Result<(), Failure> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(&cargo);
    cmd.arg("build")
        .arg("--release")
        .arg("--workspace")
        .args(["--target", TARGET])
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir);
    for (key, _) in env::vars_os() {
        if key.to_str().is_some_and(leaks_into_nested_build) {
            cmd.env_remove(&key);
        }
    }
    cmd.env("CARGO_TERM_PROGRESS_WHEN", "never");
    eprintln!(
        "building guest plugins: cargo build --release --workspace --target {TARGET} \
         --manifest-path {} --target-dir {}",
        manifest.display(),
        target_dir.display()
    );
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run `{cargo}`: {e}"))?;
    if !status.success() {
        return Err(Failure::ShowOutput(format!(
            "building the guest plugins in {} failed ({status}); the compiler's errors are above",
            manifest.display()
        )));
    }
    Ok(())
}

/// Whether an outer-build variable would change the nested build. Cargo reads any
/// `CARGO_*` variable as configuration, so all of them go, except the ones that say
/// where and how to fetch crates and the jobserver, which the nested build shares.
fn leaks_into_nested_build(key: &str) -> bool {
    const KEEP: &[&str] = &[
        "CARGO_HOME",
        "CARGO_MAKEFLAGS",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
    ];
    let cargo_var = key.starts_with("CARGO_") && !KEEP.iter().any(|k| key.starts_with(k));
    cargo_var
        || key.starts_with("__CARGO")
        || matches!(
            key,
            "RUSTFLAGS" | "RUSTDOCFLAGS" | "RUSTC_WORKSPACE_WRAPPER" | "CLIPPY_ARGS"
        )
}

/// Copies `<built>/<stem>.wasm` into `dest_dir` and returns the copy's path.
fn copy_component(built: &Path, stem: &str, dest_dir: &Path) -> Result<PathBuf, String> {
    let from = built.join(format!("{stem}.wasm"));
    let to = dest_dir.join(format!("{stem}.wasm"));
    fs::copy(&from, &to).map_err(|e| {
        format!(
            "cannot copy {} to {}: {e}; is `{stem}` a cdylib member of plugins/Cargo.toml?",
            from.display(),
            to.display()
        )
    })?;
    Ok(to)
}
