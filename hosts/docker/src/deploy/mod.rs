//! Deployed services on Docker: zero-downtime switch-over behind a stable port.
//!
//! For each service and environment there is:
//! - a bridge network `seamless-deploy-<service>-<env>`, labelled with
//!   [`LABEL_DEPLOY_SERVICE`](seamless_host_api::LABEL_DEPLOY_SERVICE) and
//!   [`LABEL_DEPLOY_ENV`](seamless_host_api::LABEL_DEPLOY_ENV);
//! - a long-lived proxy container `seamless-<service>-<env>-proxy` on that network. It
//!   publishes `bind_ip:public_port` and runs `proxy.py`, which resolves
//!   `live-<service>` through Docker's DNS for every connection and retries a failed
//!   backend connection on a fresh resolution (see `proxy.rs`);
//! - the serving containers, on that network under the alias `live-<service>`.
//!
//! A deploy goes:
//! 1. **start_candidate** pulls the image if needed and starts the replicas
//!    `seamless-<service>-<env>-<revision short>-<i>`, labelled with service,
//!    environment, revision and run (not the stage run label: they outlive the run),
//!    restarted unless stopped, with the service port published on `127.0.0.1` on a
//!    free port. They are not on the deploy network, so they take no traffic.
//! 2. **probe** GETs the health path on each replica's published port.
//! 3. **promote** connects the replicas under the alias (old and new answer now),
//!    makes sure of the proxy (recreated if its port, target or image changed), then
//!    disconnects, stops and removes every other revision.
//!    **discard** instead removes the candidate; the serving version never saw it.
//!
//! The state lives in the engine (names and labels), so [`serving`](DeployHost::serving)
//! and [`remove_unpromoted`](DeployHost::remove_unpromoted) work after a restart.

mod candidate;
mod names;
mod probe;
mod proxy;
mod switch;

use async_trait::async_trait;
use bollard::Docker;
use seamless_host_api::{Candidate, CandidateSpec, DeployHost, HostError, LogSink, Serving};
use std::time::Duration;

/// The proxy image used unless another is chosen: Debian with python3, built by
/// `scripts/base-images.sh`.
pub const DEFAULT_PROXY_IMAGE: &str = "seamless/debian";

/// Deploys services on the local Docker engine: candidates beside the serving version,
/// switched over through a per-environment proxy (design: `src/deploy/mod.rs`).
#[derive(Debug, Clone)]
pub struct DockerDeployer {
    docker: Docker,
    proxy_image: String,
}

impl DockerDeployer {
    /// A deployer on `docker` whose proxies run [`DEFAULT_PROXY_IMAGE`].
    pub(crate) fn new(docker: Docker) -> DockerDeployer {
        DockerDeployer {
            docker,
            proxy_image: DEFAULT_PROXY_IMAGE.to_string(),
        }
    }

    /// The image proxies run; it must provide `python3` (3.7 or newer).
    pub fn proxy_image(&self) -> &str {
        &self.proxy_image
    }

    pub(crate) fn set_proxy_image(&mut self, image: String) {
        self.proxy_image = image;
    }
}

#[async_trait]
impl DeployHost for DockerDeployer {
    async fn start_candidate(
        &self,
        spec: CandidateSpec,
        logs: LogSink,
    ) -> Result<Candidate, HostError> {
        if let Some(managed) = &spec.managed {
            return Err(HostError::Invalid(format!(
                "the '{}' target of '{}' is the ECS service '{}' (`ecs-service`), which \
                 the Docker host cannot deploy; run with `--host ecs`, or remove `ecs-service` \
                 to deploy on Docker",
                spec.environment, spec.service, managed.name
            )));
        }
        candidate::start(&self.docker, &spec, logs).await
    }

    async fn probe(
        &self,
        candidate: &Candidate,
        path: &str,
        timeout: Duration,
    ) -> Result<u16, HostError> {
        candidate::probe(&self.docker, candidate, path, timeout).await
    }

    async fn promote(
        &self,
        candidate: &Candidate,
        spec: &CandidateSpec,
    ) -> Result<String, HostError> {
        switch::promote(&self.docker, &self.proxy_image, candidate, spec).await
    }

    async fn discard(&self, candidate: &Candidate) -> Result<(), HostError> {
        candidate::discard(&self.docker, candidate).await
    }

    async fn serving(
        &self,
        service: &str,
        environment: &str,
    ) -> Result<Option<Serving>, HostError> {
        switch::serving(&self.docker, service, environment).await
    }

    async fn remove_unpromoted(&self, run_id: &str) -> Result<usize, HostError> {
        candidate::remove_unpromoted(&self.docker, run_id).await
    }

    async fn check_image(&self, image: &str) -> Result<(), HostError> {
        crate::registry::available(&self.docker, image).await
    }
}
