//! The fixture plugin components: guests built with the built-in plugins (they are
//! members of `plugins/Cargo.toml`) but shipped with none of them.

use std::path::{Path, PathBuf};

/// The directory holding the fixture components.
pub const FIXTURE_DIR: &str = env!("SEAMLESS_FIXTURE_DIR");

/// `misbehave.wasm`: a plugin that does what its stage's `with.mode` says (loop, trap,
/// allocate, flood its output, call hosts it was not granted...).
pub fn misbehave_wasm() -> PathBuf {
    Path::new(FIXTURE_DIR).join("misbehave.wasm")
}

/// `future_version.wasm`: a plugin built against a newer contract than this runtime's.
pub fn future_version_wasm() -> PathBuf {
    Path::new(FIXTURE_DIR).join("future_version.wasm")
}

#[cfg(test)]
mod tests {
    /// The component-model preamble: magic, then version 0x0d and layer 1.
    const COMPONENT_HEADER: &[u8] = b"\0asm\x0d\0\x01\0";

    #[test]
    fn every_fixture_is_a_component() {
        for path in [super::misbehave_wasm(), super::future_version_wasm()] {
            let bytes = std::fs::read(&path).unwrap_or_default();
            assert!(
                bytes.starts_with(COMPONENT_HEADER),
                "{} is not a component",
                path.display()
            );
        }
    }
}
