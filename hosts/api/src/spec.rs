//! What a backend is asked to run or build.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Label that names the run a container belongs to.
pub const LABEL_RUN: &str = "dev.seamless.run";
/// Label that names the stage a container belongs to.
pub const LABEL_STAGE: &str = "dev.seamless.stage";
/// Label that names the commit a container works on (a stage's) or runs (a deploy's),
/// so `docker ps --format '{{.Label "dev.seamless.commit"}}'` shows what runs.
pub const LABEL_COMMIT: &str = "dev.seamless.commit";
/// Label that names the service a container belongs to.
pub const LABEL_SERVICE: &str = "dev.seamless.service";
/// Label that names the service a deployed container or deploy network serves.
/// Deployed containers carry no [`LABEL_RUN`]: they outlive the run that made them.
pub const LABEL_DEPLOY_SERVICE: &str = "dev.seamless.deploy.service";
/// Label that names the environment a deployed container serves.
pub const LABEL_DEPLOY_ENV: &str = "dev.seamless.deploy.environment";
/// Label that names the revision a deployed container belongs to.
pub const LABEL_DEPLOY_REVISION: &str = "dev.seamless.deploy.revision";
/// Label that names the run that started a deploy candidate, so a crashed run's
/// candidates can be found and removed.
pub const LABEL_DEPLOY_RUN: &str = "dev.seamless.deploy.run";

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
    /// A network to join, with the names the container answers to on it.
    pub network: Option<NetworkAttachment>,
    /// Container ports to publish on the host.
    pub ports: Vec<PortBinding>,
    /// A health check the backend runs inside the container.
    pub healthcheck: Option<HealthCheck>,
    /// Restart the container when it stops, until it is stopped on purpose
    /// (for deployed services).
    pub restart: bool,
    /// A fixed container name; `None` lets the backend choose one.
    pub name: Option<String>,
    /// CPU units (1024 = one vCPU) the container gets, if the stage sets them.
    pub cpu: Option<u32>,
    /// Memory the container gets, MiB, if the stage sets it.
    pub memory_mib: Option<u32>,
}

/// Joins a container to a network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkAttachment {
    /// The network's id or name.
    pub network: String,
    /// Host names the container answers to on that network.
    pub aliases: Vec<String>,
}

/// Publishes a container port on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortBinding {
    /// The port inside the container (TCP).
    pub container_port: u16,
    /// The host address to bind, such as `127.0.0.1`.
    pub host_ip: String,
    /// The host port; `None` picks a free one.
    pub host_port: Option<u16>,
}

/// A command run inside the container to judge its health; exit 0 is healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// The command and its arguments, run without a shell.
    pub command: Vec<String>,
    /// Time between checks.
    pub interval: Duration,
    /// Time one check may take.
    pub timeout: Duration,
    /// Failed checks in a row that make the container unhealthy.
    pub retries: u32,
    /// Time after start during which failures do not count.
    pub start_period: Duration,
}

/// What a container's health check says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// The container has no health check.
    None,
    /// Checks have not passed yet.
    Starting,
    /// The last check passed.
    Healthy,
    /// Too many checks failed.
    Unhealthy,
}

/// What a container is doing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerState {
    /// Whether it runs.
    pub running: bool,
    /// Its exit code, once it has exited.
    pub exit_code: Option<i64>,
    /// What its health check says.
    pub health: Health,
    /// Published ports: (container port, host ip, host port).
    pub published: Vec<(u16, String, u16)>,
    /// The container's address on each network it joined, by network name.
    pub addresses: BTreeMap<String, String>,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// The image it runs.
    pub image: String,
}

/// A container found by its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    /// Its handle.
    pub handle: ContainerHandle,
    /// Its name, without a leading `/`.
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Whether it runs.
    pub running: bool,
}

/// A network to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkSpec {
    /// Its name; must be unique on the backend.
    pub name: String,
    /// Labels, so a crashed run's networks can be found.
    pub labels: BTreeMap<String, String>,
}

/// A created network.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkHandle {
    /// The backend's id for it.
    pub id: String,
    /// Its name.
    pub name: String,
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
    /// Where the context lies in the run's workspace, for a backend that reaches the
    /// workspace another way than through `context_dir` (ECS, through the run's EFS
    /// access point).
    pub in_workspace: Option<WorkspaceContext>,
}

/// A build context inside a run's workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceContext {
    /// The run whose workspace it is.
    pub run_id: String,
    /// The context's path relative to the workspace (`.` for the workspace itself).
    pub path: String,
}
