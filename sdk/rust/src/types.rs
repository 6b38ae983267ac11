//! Constructors and accessors for the contract's shared types, so plugins never
//! build the generated records field by field.

use crate::{Capability, Context, HostError, KeyValue, Manifest, Outcome, StageError};

impl Manifest {
    /// A manifest with no capabilities; add them with [`Manifest::capability`].
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            description: description.into(),
            capabilities: Vec::new(),
        }
    }

    /// Adds a capability the plugin needs.
    pub fn capability(mut self, capability: Capability) -> Self {
        self.capabilities.push(capability);
        self
    }
}

impl Capability {
    /// The capability to read the named secret.
    pub fn secret(name: impl Into<String>) -> Self {
        Self::Secret(name.into())
    }
}

impl Context {
    /// The value of `key` in the stage's `[stage.with]` table, if it is set.
    pub fn config(&self, key: &str) -> Option<&str> {
        lookup(&self.config, key)
    }

    /// An output of a stage this stage needs, by `<stage>.<key>`.
    pub fn input(&self, key: &str) -> Option<&str> {
        lookup(&self.inputs, key)
    }
}

impl Outcome {
    /// A successful outcome with a one-line summary.
    pub fn new(summary: impl Into<String>) -> Self {
        Self {
            summary: summary.into(),
        }
    }
}

impl StageError {
    /// The work ran and did not pass.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }

    /// The stage's configuration is wrong; say what to change.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::InvalidConfig(message.into())
    }

    /// The error's message, without the variant name.
    pub fn message(&self) -> &str {
        match self {
            Self::Failed(m) | Self::InvalidConfig(m) => m,
            Self::Host(e) => e.message(),
        }
    }
}

impl From<HostError> for StageError {
    fn from(error: HostError) -> Self {
        Self::Host(error)
    }
}

impl HostError {
    /// The error's message, without the variant name.
    pub fn message(&self) -> &str {
        match self {
            Self::Denied(m) | Self::NotFound(m) | Self::Invalid(m) | Self::Backend(m) => m,
        }
    }
}

impl KeyValue {
    /// A key and its value.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// The value of the first pair whose key is `key`.
pub(crate) fn lookup<'a>(pairs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            stage: "unit-test".into(),
            config: vec![KeyValue::new("command", "unit-test")],
            inputs: vec![KeyValue::new("build.image", "hello:abc")],
        }
    }

    #[test]
    fn config_finds_a_set_key_and_misses_an_unset_one() {
        assert_eq!(ctx().config("command"), Some("unit-test"));
        assert_eq!(ctx().config("missing"), None);
    }

    #[test]
    fn input_finds_an_upstream_output() {
        assert_eq!(ctx().input("build.image"), Some("hello:abc"));
    }

    #[test]
    fn manifest_collects_capabilities_in_order() {
        let m = Manifest::new("x", "1.0.0", "d")
            .capability(Capability::Containers)
            .capability(Capability::secret("API_TOKEN"));
        assert_eq!(
            m.capabilities,
            vec![
                Capability::Containers,
                Capability::Secret("API_TOKEN".into())
            ]
        );
    }

    #[test]
    fn host_errors_convert_into_stage_errors_with_their_message() {
        let e: StageError = HostError::Denied("no containers grant".into()).into();
        assert_eq!(e.message(), "no containers grant");
        assert!(matches!(e, StageError::Host(HostError::Denied(_))));
    }
}
