//! What a backend is asked to run or build.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Label that names the run a container belongs to.
pub const LABEL_RUN: &str = "dev.seamless.run";
/// Label that names the stage a container belongs to.
pub const LABEL_STAGE: &str = "dev.seamless.stage";
/// Label that names the service a container belongs to.
pub const LABEL_SERVICE: &str = "dev.seamless.service";

/// Which output stream a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Receives log lines, one call per line, without the trailing newline.
pub type LogSink = Arc<dyn Fn(LogStream, &str) + Send + Sync>;

/// The run's workspace, mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceMount {
    /// The workspace on the host.
    pub host_path: PathBuf,
    /// Where it appears in the container, normally `/workspace`.
    pub container_path: String,
    /// Whether the container may only read it.
    pub read_only: bool,
}

/// A container to create and start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerSpec {
    /// The image reference.
    pub image: String,
    /// Command and arguments; empty means the image's default.
    pub command: Vec<String>,
    /// Environment variables, secrets included.
    pub env: Vec<(String, String)>,
    /// Absolute working directory inside the container.
    pub workdir: Option<String>,
    /// The workspace mount, if any.
    pub workspace: Option<WorkspaceMount>,
    /// Labels: run, stage and service at least.
    pub labels: BTreeMap<String, String>,
}

/// A started container.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerHandle {
    /// The backend's id for it.
    pub id: String,
}

/// An image to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBuildSpec {
    /// The build context directory on the host.
    pub context_dir: PathBuf,
    /// The Dockerfile, relative to the context directory.
    pub dockerfile: String,
    /// The tag, such as `hello:3f2a...`.
    pub tag: String,
    /// Labels for the image.
    pub labels: BTreeMap<String, String>,
}
