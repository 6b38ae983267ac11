//! Deployed services: one per service and environment, behind a stable address.
//! Every call needs the `deploy(environment)` capability. The port, health path and
//! replicas come from `seamless.toml`, not from the plugin.
//!
//! A deploy starts a candidate beside the serving version, [`probe`]s it until it is
//! healthy, then [`promote`]s it, or [`abandon`]s it and leaves the old one serving.

use crate::HostError;
use crate::bindings::seamless::plugin::services as host;

pub use host::{CandidateId, DeployRequest, Revision};

impl DeployRequest {
    /// Deploys `image` to `environment`, without a digest.
    pub fn new(environment: impl Into<String>, image: impl Into<String>) -> Self {
        Self {
            environment: environment.into(),
            image: image.into(),
            digest: None,
        }
    }

    /// Sets the image's registry digest (`sha256:...`).
    pub fn digest(mut self, digest: impl Into<String>) -> Self {
        self.digest = Some(digest.into());
        self
    }
}

impl Revision {
    /// Whether the environment was switched over to this revision (`status` is
    /// `success`), rather than it being abandoned.
    pub fn succeeded(&self) -> bool {
        self.status == "success"
    }
}

/// Starts the new version beside the serving one; it takes no traffic yet.
pub fn start(request: &DeployRequest) -> Result<CandidateId, HostError> {
    host::start(request)
}

/// Sends one health request to every replica of the candidate and returns the worst
/// HTTP status. An error means a replica did not answer at all.
pub fn probe(candidate: &str) -> Result<u16, HostError> {
    host::probe(candidate)
}

/// Switches the environment over to the candidate, removes the old version and
/// returns the successful revision.
pub fn promote(candidate: &str) -> Result<Revision, HostError> {
    host::promote(candidate)
}

/// Removes the candidate, leaves the serving version alone, and returns the failed
/// revision recorded with `reason`.
pub fn abandon(candidate: &str, reason: &str) -> Result<Revision, HostError> {
    host::abandon(candidate, reason)
}

/// The revision that serves `environment` now, if any.
pub fn current(environment: &str) -> Result<Option<Revision>, HostError> {
    host::current(environment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_has_a_digest_only_when_given() {
        let r = DeployRequest::new("staging", "reg/shop:abc");
        assert_eq!(r.environment, "staging");
        assert_eq!(r.image, "reg/shop:abc");
        assert_eq!(r.digest, None);
        assert_eq!(r.digest("sha256:1").digest.as_deref(), Some("sha256:1"));
    }

    #[test]
    fn only_a_success_revision_succeeded() {
        let mut rev = Revision {
            id: "r1".into(),
            service: "shop".into(),
            environment: "staging".into(),
            image: "shop:abc".into(),
            digest: None,
            commit_sha: "abc".into(),
            run_id: "run-1".into(),
            finished_at_ms: 0,
            status: "success".into(),
            reason: None,
            endpoint: "http://127.0.0.1:8080".into(),
        };
        assert!(rev.succeeded());
        rev.status = "failure".into();
        assert!(!rev.succeeded());
    }
}
