//! The built-in stage plugins, compiled to WebAssembly components and embedded in
//! the binary.
//!
//! `build.rs` builds the guest workspace in `plugins/` for `wasm32-wasip2` (see
//! `plugins/README.md`); this crate only carries the bytes. It has no dependencies (seamless-core only
//! for a test).

/// The `command` plugin: runs one of the service's named commands in its image.
pub const COMMAND: &[u8] = include_bytes!(env!("SEAMLESS_BUILTIN_COMMAND"));

/// The `build` plugin: builds the service's image, tagged with the commit.
pub const BUILD: &[u8] = include_bytes!(env!("SEAMLESS_BUILTIN_BUILD"));

/// The `prepare` plugin: checks the run's commit out into the workspace.
pub const PREPARE: &[u8] = include_bytes!(env!("SEAMLESS_BUILTIN_PREPARE"));

/// The `integration-test` plugin: tests the service with its Compose dependencies
/// on a network of their own.
pub const INTEGRATION_TEST: &[u8] = include_bytes!(env!("SEAMLESS_BUILTIN_INTEGRATION_TEST"));

/// The `deploy` plugin: deploys the image to an environment, health-checked.
pub const DEPLOY: &[u8] = include_bytes!(env!("SEAMLESS_BUILTIN_DEPLOY"));

/// The `notify` plugin: posts the run's status to webhooks.
pub const NOTIFY: &[u8] = include_bytes!(env!("SEAMLESS_BUILTIN_NOTIFY"));

/// Every built-in plugin: the name a stage's `uses = "builtin:<name>"` gives it (the
/// names `seamless_core::config::KNOWN_BUILTINS` validates, checked by a test) and its
/// component.
pub const ALL: [(&str, &[u8]); 6] = [
    ("command", COMMAND),
    ("build", BUILD),
    ("prepare", PREPARE),
    ("integration-test", INTEGRATION_TEST),
    ("deploy", DEPLOY),
    ("notify", NOTIFY),
];

/// The component of the built-in plugin `name`, or `None` if there is none.
pub fn builtin(name: &str) -> Option<&'static [u8]> {
    ALL.iter()
        .find(|(known, _)| *known == name)
        .map(|(_, component)| *component)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The component-model preamble: magic, then version 0x0d and layer 1.
    const COMPONENT_HEADER: &[u8] = b"\0asm\x0d\0\x01\0";

    #[test]
    fn every_named_builtin_is_an_embedded_component() {
        for (name, _) in ALL {
            let bytes = builtin(name).unwrap_or_default();
            assert!(
                bytes.starts_with(COMPONENT_HEADER),
                "{name} is not a component"
            );
        }
    }

    #[test]
    fn unknown_names_have_no_builtin() {
        assert!(builtin("deploy-staging").is_none());
        assert!(builtin("integration_test").is_none());
        assert!(builtin("").is_none());
    }

    #[test]
    fn every_builtin_is_named_and_distinct() {
        let all = ALL.map(|(_, component)| component);
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b, "two built-ins carry the same component");
            }
        }
        assert_eq!(builtin("integration-test"), Some(INTEGRATION_TEST));
        assert_eq!(builtin("notify"), Some(NOTIFY));
    }

    #[test]
    fn the_builtins_are_the_ones_seamless_toml_may_name() {
        let mut embedded: Vec<&str> = ALL.iter().map(|(name, _)| *name).collect();
        let mut known = seamless_core::config::KNOWN_BUILTINS.to_vec();
        embedded.sort_unstable();
        known.sort_unstable();
        assert_eq!(embedded, known);
    }
}
