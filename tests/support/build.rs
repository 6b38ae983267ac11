//! Copies the fixture components (`misbehave`, `future-version`) out of the guest
//! build that `seamless-builtins`'s build script ran, into `SEAMLESS_FIXTURE_DIR`.
//! That script says where the guests are through its `links` metadata
//! (`DEP_SEAMLESS_GUESTS_DIR`), so the shipped crate carries no test fixture.

use std::path::PathBuf;

/// Fixture components: file stems in the guest build.
const FIXTURES: &[&str] = &["misbehave", "future_version"];

fn main() {
    if let Err(message) = run() {
        println!("cargo::error={message}");
    }
}

fn run() -> Result<(), String> {
    let guests = std::env::var("DEP_SEAMLESS_GUESTS_DIR").map_err(|_| {
        "seamless-builtins did not say where the guest build is (DEP_SEAMLESS_GUESTS_DIR); \
         is its `links = \"seamless_guests\"` key gone?"
            .to_owned()
    })?;
    let guests = PathBuf::from(guests);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").map_err(|_| "cargo did not set OUT_DIR")?);
    let fixture_dir = out_dir.join("fixtures");
    std::fs::create_dir_all(&fixture_dir)
        .map_err(|e| format!("cannot create {}: {e}", fixture_dir.display()))?;
    for stem in FIXTURES {
        let from = guests.join(format!("{stem}.wasm"));
        println!("cargo::rerun-if-changed={}", from.display());
        let to = fixture_dir.join(format!("{stem}.wasm"));
        std::fs::copy(&from, &to).map_err(|e| {
            format!(
                "cannot copy {} to {}: {e}; is `{stem}` a member of plugins/Cargo.toml?",
                from.display(),
                to.display()
            )
        })?;
    }
    println!(
        "cargo::rustc-env=SEAMLESS_FIXTURE_DIR={}",
        fixture_dir.display()
    );
    Ok(())
}
