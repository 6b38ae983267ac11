//! The container backend contract.
//!
//! Every backend (Docker, ECS, local processes) implements [`ContainerHost`]. The
//! runtime's host functions call it; a backend never decides policy, it only carries
//! out side effects.

mod deploy;
mod error;
mod spec;

pub use deploy::{Candidate, CandidateSpec, DeployHost, ManagedService, Serving};

pub use error::HostError;
pub use spec::{
    ContainerHandle, ContainerSpec, ContainerState, ContainerSummary, Health, HealthCheck,
    ImageBuildSpec, LABEL_COMMIT, LABEL_DEPLOY_ENV, LABEL_DEPLOY_REVISION, LABEL_DEPLOY_RUN,
    LABEL_DEPLOY_SERVICE, LABEL_RUN, LABEL_SERVICE, LABEL_STAGE, LogSink, LogStream,
    NetworkAttachment, NetworkHandle, NetworkSpec, PortBinding, WorkspaceContext, WorkspaceMount,
};

use async_trait::async_trait;
use std::collections::BTreeMap;

/// A backend that runs containers and builds images.
#[async_trait]
pub trait ContainerHost: Send + Sync {
    /// A short name for messages, such as `docker` or `local`.
    fn name(&self) -> &'static str;

    /// Creates and starts a container. Its output goes to `logs` line by line until
    /// the container exits.
    async fn run(&self, spec: ContainerSpec, logs: LogSink) -> Result<ContainerHandle, HostError>;

    /// Waits for the container to exit, drains its logs, removes it and returns its
    /// exit code.
    async fn wait(&self, handle: &ContainerHandle) -> Result<i64, HostError>;

    /// Stops the container if it runs, and removes it. Stopping a container that is
    /// already gone is not an error.
    async fn stop(&self, handle: &ContainerHandle) -> Result<(), HostError>;

    /// Builds an image and tags it. Build output goes to `logs`. Returns the tag.
    async fn build_image(&self, spec: ImageBuildSpec, logs: LogSink) -> Result<String, HostError>;

    /// Removes every container that carries all of `labels`, running or not, then
    /// every network that carries them, and returns how many things were removed.
    /// Used to clean up after a cancelled or crashed run.
    async fn remove_labelled(&self, labels: &BTreeMap<String, String>) -> Result<usize, HostError>;

    /// Reports a container's state, health, published ports and addresses.
    async fn inspect(&self, handle: &ContainerHandle) -> Result<ContainerState, HostError> {
        let _ = handle;
        Err(self.unsupported("inspecting containers"))
    }

    /// Lists the containers, running or not, that carry all of `labels`.
    async fn list_labelled(
        &self,
        labels: &BTreeMap<String, String>,
    ) -> Result<Vec<ContainerSummary>, HostError> {
        let _ = labels;
        Err(self.unsupported("listing containers"))
    }

    /// Creates a network; creating one whose name exists returns the existing one.
    async fn create_network(&self, spec: NetworkSpec) -> Result<NetworkHandle, HostError> {
        let _ = spec;
        Err(self.unsupported("networks"))
    }

    /// Removes a network, disconnecting what is still on it. A network that is already
    /// gone is not an error.
    async fn remove_network(&self, network: &str) -> Result<(), HostError> {
        let _ = network;
        Err(self.unsupported("networks"))
    }

    /// Connects a running container to a network under `aliases`.
    async fn connect_network(
        &self,
        network: &str,
        handle: &ContainerHandle,
        aliases: &[String],
    ) -> Result<(), HostError> {
        let _ = (network, handle, aliases);
        Err(self.unsupported("networks"))
    }

    /// Disconnects a container from a network; one that is not connected is not an
    /// error.
    async fn disconnect_network(
        &self,
        network: &str,
        handle: &ContainerHandle,
    ) -> Result<(), HostError> {
        let _ = (network, handle);
        Err(self.unsupported("networks"))
    }

    /// Pushes an image to the registry its reference names and returns the digest the
    /// registry reports (`sha256:...`). Push progress goes to `logs`.
    async fn push_image(&self, reference: &str, logs: LogSink) -> Result<String, HostError> {
        let _ = (reference, logs);
        Err(self.unsupported("pushing images"))
    }

    /// Makes sure the image is present, pulling it if it is not. Pull progress goes to
    /// `logs`.
    async fn ensure_image(&self, reference: &str, logs: LogSink) -> Result<(), HostError> {
        let _ = (reference, logs);
        Err(self.unsupported("pulling images"))
    }

    /// The backend's deploy side, if it can deploy services.
    fn deployer(&self) -> Option<&dyn DeployHost> {
        None
    }

    /// The error for an operation this backend does not offer.
    fn unsupported(&self, what: &str) -> HostError {
        HostError::Unsupported {
            backend: self.name(),
            what: what.to_owned(),
        }
    }
}
