//! The stage's `[stage.with]` settings.

use std::time::Duration;

use seamless_sdk::{Context, StageError};

/// What decides the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tester {
    /// A Compose service; its exit code decides.
    Service(String),
    /// A command run with `sh -c` in the image under test, on the network.
    Command(String),
}

/// The integration test's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The Compose file, if set (relative to the service directory, else the root).
    pub compose: Option<String>,
    /// The Compose service under test, if set (default: the run's service).
    pub service: Option<String>,
    /// What runs the tests.
    pub tester: Tester,
    /// How long each service may take to be ready.
    pub wait_timeout: Duration,
    /// The JUnit report the tests write, relative to the service directory.
    pub junit: Option<String>,
}

impl Settings {
    /// Reads `compose`, `service`, `test-service` (default `tests`) or `command`,
    /// `wait-timeout-secs` (default 120) and `junit`.
    pub fn from_context(ctx: &Context) -> Result<Self, StageError> {
        let set = |key: &str| ctx.config(key).map(str::trim).filter(|v| !v.is_empty());
        let tester = match (set("test-service"), set("command")) {
            (Some(_), Some(_)) => {
                return Err(StageError::invalid_config(
                    "set either `test-service` or `command` under [stage.with], not both",
                ));
            }
            (Some(service), None) => Tester::Service(service.to_owned()),
            (None, Some(command)) => Tester::Command(command.to_owned()),
            (None, None) => Tester::Service("tests".to_owned()),
        };
        let wait_timeout = match set("wait-timeout-secs") {
            None => Duration::from_secs(120),
            Some(raw) => match raw.parse::<u64>() {
                Ok(secs) if secs > 0 => Duration::from_secs(secs),
                _ => {
                    return Err(StageError::invalid_config(format!(
                        "`wait-timeout-secs = \"{raw}\"` under [stage.with] is not a positive whole number"
                    )));
                }
            },
        };
        Ok(Self {
            compose: set("compose").map(str::to_owned),
            service: set("service").map(str::to_owned),
            tester,
            wait_timeout,
            junit: set("junit").map(str::to_owned),
        })
    }

    /// The Compose files to look for, in order, relative to a directory.
    pub fn compose_candidates(&self) -> Vec<&str> {
        match &self.compose {
            Some(path) => vec![path.as_str()],
            None => vec![
                "compose.yaml",
                "compose.yml",
                "docker-compose.yaml",
                "docker-compose.yml",
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use seamless_sdk::KeyValue;

    use super::*;

    fn ctx(config: &[(&str, &str)]) -> Context {
        Context {
            stage: "integration-test".into(),
            config: config.iter().map(|(k, v)| KeyValue::new(*k, *v)).collect(),
            inputs: Vec::new(),
        }
    }

    #[test]
    fn defaults() {
        let s = Settings::from_context(&ctx(&[])).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.tester, Tester::Service("tests".into()));
        assert_eq!(s.wait_timeout, Duration::from_secs(120));
        assert_eq!((s.compose, s.service, s.junit), (None, None, None));
    }

    #[test]
    fn command_replaces_the_test_service_but_not_both() {
        let s = Settings::from_context(&ctx(&[("command", "curl -f http://api:8000/")]))
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.tester, Tester::Command("curl -f http://api:8000/".into()));
        let both = Settings::from_context(&ctx(&[("command", "x"), ("test-service", "t")]));
        assert!(matches!(both, Err(StageError::InvalidConfig(_))));
    }

    #[test]
    fn a_bad_timeout_is_invalid_config() {
        for bad in ["0", "soon", "-5"] {
            let e = Settings::from_context(&ctx(&[("wait-timeout-secs", bad)]));
            assert!(
                matches!(&e, Err(StageError::InvalidConfig(m)) if m.contains(bad)),
                "{e:?}"
            );
        }
    }

    #[test]
    fn a_configured_compose_file_is_the_only_candidate() {
        let s = Settings::from_context(&ctx(&[("compose", "it/compose.yaml")]))
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.compose_candidates(), vec!["it/compose.yaml"]);
        let d = Settings::from_context(&ctx(&[])).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(d.compose_candidates()[0], "compose.yaml");
    }
}
