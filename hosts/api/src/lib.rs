//! The container backend contract.
//!
//! Every backend (Docker, ECS, local processes) implements [`ContainerHost`]. The
//! runtime's host functions call it; a backend never decides policy, it only carries
//! out side effects.

mod error;
mod spec;

pub use error::HostError;
pub use spec::{
    ContainerHandle, ContainerSpec, ImageBuildSpec, LABEL_RUN, LABEL_SERVICE, LABEL_STAGE, LogSink,
    LogStream, WorkspaceMount,
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

    /// Removes every container that carries all of `labels`, running or not, and
    /// returns how many were removed. Used to clean up after a cancelled or crashed
    /// run.
    async fn remove_labelled(&self, labels: &BTreeMap<String, String>) -> Result<usize, HostError>;
}
