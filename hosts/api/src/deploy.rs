//! Deployed services: the side effects of a health-checked deploy.
//!
//! The deploy plugin owns the policy (how long to wait, what counts as healthy, when to
//! give up); a [`DeployHost`] only starts, probes, switches over and removes.

use std::time::Duration;

use async_trait::async_trait;

use crate::{ContainerHandle, HostError, LogSink};

/// A new version of a service to start beside the serving one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateSpec {
    /// The service, such as `gateway`.
    pub service: String,
    /// The environment, such as `production`.
    pub environment: String,
    /// The revision id the runtime recorded for this deploy.
    pub revision: String,
    /// The run that deploys it.
    pub run_id: String,
    /// The commit the image was built from ([`crate::LABEL_COMMIT`]).
    pub commit: String,
    /// The image reference to run (a digest reference when the digest is known).
    pub image: String,
    /// The port the service listens on inside the container.
    pub container_port: u16,
    /// The stable host port the environment serves on.
    pub public_port: u16,
    /// The host address the stable port binds, such as `127.0.0.1`.
    pub bind_ip: String,
    /// How many containers to run.
    pub replicas: u32,
    /// Environment variables of the service.
    pub env: Vec<(String, String)>,
    /// The service the backend's own orchestrator runs for this environment (an ECS
    /// service), which the deploy updates in place; `None` for a backend that runs
    /// the containers itself (Docker).
    pub managed: Option<ManagedService>,
}

/// A service that a backend's orchestrator keeps running (an ECS service): a deploy
/// hands it the new image and watches its rollout instead of starting containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedService {
    /// The service's name.
    pub name: String,
    /// Its cluster, when not the backend's own.
    pub cluster: Option<String>,
    /// A load balancer target group whose targets must all be healthy.
    pub target_group: Option<String>,
    /// A URL that must answer 2xx once the rollout completed.
    pub health_url: Option<String>,
}

/// A started candidate: containers that run the new version but take no traffic yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The service.
    pub service: String,
    /// The environment.
    pub environment: String,
    /// The revision id.
    pub revision: String,
    /// Its containers, one per replica.
    pub containers: Vec<ContainerHandle>,
}

/// What serves an environment now, as the backend sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serving {
    /// The revision id its containers carry.
    pub revision: String,
    /// The image they run.
    pub image: String,
    /// Where the environment answers, such as `http://127.0.0.1:8080`.
    pub endpoint: String,
}

/// A backend that deploys services behind a stable address.
#[async_trait]
pub trait DeployHost: Send + Sync {
    /// Starts the candidate's containers beside the serving version. Pull and start
    /// progress goes to `logs`.
    async fn start_candidate(
        &self,
        spec: CandidateSpec,
        logs: LogSink,
    ) -> Result<Candidate, HostError>;

    /// Sends `GET path` to every replica of the candidate and returns the worst HTTP
    /// status; an error means a replica did not answer within `timeout`.
    async fn probe(
        &self,
        candidate: &Candidate,
        path: &str,
        timeout: Duration,
    ) -> Result<u16, HostError>;

    /// Switches the environment's stable address over to the candidate, then stops and
    /// removes the containers of every other revision. Returns the endpoint.
    async fn promote(
        &self,
        candidate: &Candidate,
        spec: &CandidateSpec,
    ) -> Result<String, HostError>;

    /// Stops and removes the candidate; the serving version is left alone.
    async fn discard(&self, candidate: &Candidate) -> Result<(), HostError>;

    /// What serves `service` in `environment` now, if anything does.
    async fn serving(&self, service: &str, environment: &str)
    -> Result<Option<Serving>, HostError>;

    /// Removes every candidate that `run_id` started and never promoted, such as those
    /// left by a crash. Returns how many containers were removed.
    async fn remove_unpromoted(&self, run_id: &str) -> Result<usize, HostError>;

    /// Whether a candidate of `image` could start: `Ok` when the backend has the image
    /// or its registry serves it (asked without pulling it), [`HostError::NotFound`]
    /// saying why when neither. A rollback asks before it starts anything.
    async fn check_image(&self, image: &str) -> Result<(), HostError>;
}
