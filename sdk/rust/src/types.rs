//! Constructors and accessors for the contract's shared types, so plugins never
//! build the generated records field by field.

use std::fmt;
use std::ops::{Add, AddAssign};

use crate::{Capability, Context, HostError, KeyValue, Manifest, Outcome, StageError, TestCounts};

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

    /// The capability to deploy to the named environment, such as `staging`.
    pub fn deploy(environment: impl Into<String>) -> Self {
        Self::Deploy(environment.into())
    }

    /// The capability to send HTTP requests to the named host, such as
    /// `hooks.slack.com` or `127.0.0.1:8080`.
    pub fn http(host: impl Into<String>) -> Self {
        Self::Http(host.into())
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
            tests: None,
        }
    }

    /// Adds the test counts of the tests the stage ran.
    pub fn with_tests(mut self, tests: TestCounts) -> Self {
        self.tests = Some(tests);
        self
    }
}

impl TestCounts {
    /// Counts of passed, failed (or errored) and skipped tests.
    pub fn new(passed: u32, failed: u32, skipped: u32) -> Self {
        Self {
            passed,
            failed,
            skipped,
        }
    }

    /// Every test counted, whatever its result.
    pub fn total(&self) -> u32 {
        self.passed
            .saturating_add(self.failed)
            .saturating_add(self.skipped)
    }
}

impl Default for TestCounts {
    fn default() -> Self {
        Self::new(0, 0, 0)
    }
}

impl Add for TestCounts {
    type Output = Self;

    /// Adds the counts field by field, saturating.
    fn add(self, other: Self) -> Self {
        Self::new(
            self.passed.saturating_add(other.passed),
            self.failed.saturating_add(other.failed),
            self.skipped.saturating_add(other.skipped),
        )
    }
}

impl AddAssign for TestCounts {
    fn add_assign(&mut self, other: Self) {
        *self = *self + other;
    }
}

impl fmt::Display for TestCounts {
    /// `12 passed, 0 failed, 1 skipped`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

impl StageError {
    /// The work ran and did not pass.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }

    /// Tests ran and some failed; the message says which, `counts` how many.
    pub fn tests_failed(message: impl Into<String>, counts: TestCounts) -> Self {
        Self::TestsFailed((message.into(), counts))
    }

    /// The stage's configuration is wrong; say what to change.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::InvalidConfig(message.into())
    }

    /// The error's message, without the variant name.
    pub fn message(&self) -> &str {
        match self {
            Self::Failed(m) | Self::InvalidConfig(m) | Self::TestsFailed((m, _)) => m,
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
    fn outcome_carries_test_counts_only_when_given() {
        assert_eq!(Outcome::new("ok").tests, None);
        let o = Outcome::new("ok").with_tests(TestCounts::new(12, 0, 1));
        assert_eq!(o.tests, Some(TestCounts::new(12, 0, 1)));
    }

    #[test]
    fn test_counts_add_display_and_total() {
        let mut c = TestCounts::new(1, 2, 3);
        c += TestCounts::new(10, 0, 1);
        assert_eq!(c, TestCounts::new(11, 2, 4));
        assert_eq!(c.total(), 17);
        assert_eq!(c.to_string(), "11 passed, 2 failed, 4 skipped");
        let max = TestCounts::new(u32::MAX, 0, 0) + TestCounts::new(1, 0, 0);
        assert_eq!(max.passed, u32::MAX);
    }

    #[test]
    fn tests_failed_keeps_message_and_counts() {
        let e = StageError::tests_failed("2 tests failed: a, b", TestCounts::new(3, 2, 0));
        assert_eq!(e.message(), "2 tests failed: a, b");
        assert!(matches!(
            e,
            StageError::TestsFailed((_, c)) if c == TestCounts::new(3, 2, 0)
        ));
    }

    #[test]
    fn deploy_and_http_capabilities_carry_their_target() {
        assert_eq!(
            Capability::deploy("staging"),
            Capability::Deploy("staging".into())
        );
        assert_eq!(
            Capability::http("hooks.slack.com"),
            Capability::Http("hooks.slack.com".into())
        );
    }

    #[test]
    fn host_errors_convert_into_stage_errors_with_their_message() {
        let e: StageError = HostError::Denied("no containers grant".into()).into();
        assert_eq!(e.message(), "no containers grant");
        assert!(matches!(e, StageError::Host(HostError::Denied(_))));
    }
}
