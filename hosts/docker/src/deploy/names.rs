//! The names and labels of one service's deploy in one environment.
//!
//! Everything the deploy side creates is found again by these names and labels, so a
//! restarted runtime (or another process) sees the same state.

use seamless_host_api::{HostError, LABEL_DEPLOY_ENV, LABEL_DEPLOY_SERVICE};
use std::collections::BTreeMap;

/// Label that marks the proxy container of a deploy.
pub(crate) const LABEL_DEPLOY_ROLE: &str = "dev.seamless.deploy.role";
/// Label on the proxy that records what it was created for, to detect a change.
pub(crate) const LABEL_PROXY_SPEC: &str = "dev.seamless.deploy.proxy";
/// The longest revision part of a replica's name.
const SHORT_REVISION: usize = 12;

/// A service in an environment, with names checked to be usable in Docker names and
/// DNS aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    service: String,
    environment: String,
}

impl Target {
    /// Checks `service` and `environment`: lowercase letters, digits and `-`.
    pub(crate) fn new(service: &str, environment: &str) -> Result<Target, HostError> {
        check("service", service)?;
        check("environment", environment)?;
        Ok(Target {
            service: service.to_string(),
            environment: environment.to_string(),
        })
    }

    /// The network the proxy and the serving containers share.
    pub(crate) fn network(&self) -> String {
        format!("seamless-deploy-{}-{}", self.service, self.environment)
    }

    /// The network every serving service of the environment joins under its own
    /// name, so services reach each other (`http://payments:8000`).
    pub(crate) fn environment_network(&self) -> String {
        format!("seamless-env-{}", self.environment)
    }

    /// The labels of the environment network.
    pub(crate) fn environment_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(LABEL_DEPLOY_ENV.to_string(), self.environment.clone())])
    }

    /// The name other services of the environment reach this one by.
    pub(crate) fn service_alias(&self) -> String {
        self.service.clone()
    }

    /// The long-lived proxy container that owns the public port.
    pub(crate) fn proxy(&self) -> String {
        format!("seamless-{}-{}-proxy", self.service, self.environment)
    }

    /// The DNS name the serving containers answer to on the network.
    pub(crate) fn alias(&self) -> String {
        format!("live-{}", self.service)
    }

    /// The container name of replica `index` of `revision`.
    pub(crate) fn replica(&self, revision: &str, index: u32) -> String {
        format!(
            "seamless-{}-{}-{}-{index}",
            self.service,
            self.environment,
            short_revision(revision)
        )
    }

    /// The labels shared by everything of this deploy.
    pub(crate) fn labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (LABEL_DEPLOY_SERVICE.to_string(), self.service.clone()),
            (LABEL_DEPLOY_ENV.to_string(), self.environment.clone()),
        ])
    }
}

/// The deploy network of the container with `labels`, if they name a service and an
/// environment.
pub(crate) fn network_of(labels: &BTreeMap<String, String>) -> Option<String> {
    let service = labels.get(LABEL_DEPLOY_SERVICE)?;
    let environment = labels.get(LABEL_DEPLOY_ENV)?;
    Target::new(service, environment).ok().map(|t| t.network())
}

/// The last 12 letters and digits of the revision, lowercased. Revision ids are
/// time-ordered UUIDs whose leading characters repeat for seconds, so the tail (the
/// random part) is what tells two revisions apart.
fn short_revision(revision: &str) -> String {
    let chars: Vec<char> = revision
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    chars[chars.len().saturating_sub(SHORT_REVISION)..]
        .iter()
        .collect()
}

fn check(kind: &str, name: &str) -> Result<(), HostError> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(HostError::Invalid(format!(
            "{kind} name '{name}' cannot be deployed on docker; use lowercase letters, digits and '-'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_service_and_environment() {
        let target = Target::new("gateway", "production").expect("valid names");
        assert_eq!(target.network(), "seamless-deploy-gateway-production");
        assert_eq!(target.proxy(), "seamless-gateway-production-proxy");
        assert_eq!(target.alias(), "live-gateway");
        assert_eq!(target.environment_network(), "seamless-env-production");
        assert_eq!(target.service_alias(), "gateway");
        assert_eq!(
            target.replica("0190AB-cdef-1234-5678-1", 1),
            "seamless-gateway-production-def123456781-1"
        );
    }

    #[test]
    fn names_docker_cannot_use_are_refused() {
        for (service, env) in [
            ("Gateway", "prod"),
            ("gw", "pro d"),
            ("", "prod"),
            ("gw", "-x"),
        ] {
            assert!(
                matches!(Target::new(service, env), Err(HostError::Invalid(_))),
                "{service}/{env}"
            );
        }
    }

    #[test]
    fn the_network_is_found_from_labels() {
        let target = Target::new("api", "staging").expect("valid names");
        assert_eq!(
            network_of(&target.labels()).as_deref(),
            Some("seamless-deploy-api-staging")
        );
        assert_eq!(network_of(&BTreeMap::new()), None);
    }
}
