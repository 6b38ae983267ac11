//! The built-in stage plugins, compiled to WebAssembly components and embedded in
//! the binary.
//!
//! `build.rs` builds the guest workspace in `plugins/` for `wasm32-wasip2` (see
//! `plugins/README.md`); this crate only carries the bytes. It has no dependencies.

/// The `command` plugin: runs one of the service's named commands in its image.
pub const COMMAND: &[u8] = include_bytes!(env!("SEAMLESS_BUILTIN_COMMAND"));

/// The `build` plugin: builds the service's image, tagged with the commit.
pub const BUILD: &[u8] = include_bytes!(env!("SEAMLESS_BUILTIN_BUILD"));

/// The names of the built-in plugins, as a stage's `uses` names them.
pub const NAMES: &[&str] = &["command", "build"];

/// Directory with the test fixture components (`misbehave.wasm`), for tests only.
pub const FIXTURE_DIR: &str = env!("SEAMLESS_FIXTURE_DIR");

/// The component of the built-in plugin `name`, or `None` if there is none.
pub fn builtin(name: &str) -> Option<&'static [u8]> {
    match name {
        "command" => Some(COMMAND),
        "build" => Some(BUILD),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The component-model preamble: magic, then version 0x0d and layer 1.
    const COMPONENT_HEADER: &[u8] = b"\0asm\x0d\0\x01\0";

    #[test]
    fn every_named_builtin_is_an_embedded_component() {
        for name in NAMES {
            let bytes = builtin(name).unwrap_or_default();
            assert!(
                bytes.starts_with(COMPONENT_HEADER),
                "{name} is not a component"
            );
        }
    }

    #[test]
    fn unknown_names_have_no_builtin() {
        assert!(builtin("deploy").is_none());
    }

    #[test]
    fn fixture_dir_holds_the_misbehave_component() {
        let bytes = std::fs::read(std::path::Path::new(FIXTURE_DIR).join("misbehave.wasm"))
            .unwrap_or_default();
        assert!(bytes.starts_with(COMPONENT_HEADER));
    }
}
