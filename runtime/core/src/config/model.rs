//! The validated config: what the rest of Seamless codes against.
//!
//! Every value here has been checked; paths that must exist did exist at load time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use super::defaults::DEFAULT_PIPELINE_ORIGIN;

/// Names of the built-in stage plugins, used as `uses = "builtin:<name>"`.
pub const KNOWN_BUILTINS: &[&str] = &[
    "prepare",
    "command",
    "build",
    "integration-test",
    "deploy",
    "notify",
];

/// The `uses` value of the manual approval gate, which the engine runs itself.
pub const APPROVAL_GATE: &str = "gate:approval";

/// A validated `seamless.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The `seamless.toml` file itself.
    pub file: PathBuf,
    /// The directory of that file; relative paths in it are resolved from here.
    pub root: PathBuf,
    /// The pipeline name.
    pub pipeline: String,
    /// Named secrets that stages may be granted, by name.
    pub secrets: BTreeMap<String, SecretSource>,
    /// The services, in file order.
    pub services: Vec<Service>,
    /// The stages, in file order (or the embedded default pipeline).
    pub stages: Vec<Stage>,
    /// Where built images are pushed, if anywhere.
    pub registry: Option<String>,
    /// How far each trigger's runs go, and which branches they follow.
    pub triggers: Triggers,
    /// How many run workspaces are kept.
    pub workspaces_keep: u32,
    /// How long a run waits for approval before the approval expires.
    pub approval_expires: Duration,
    /// Trust in plugin bundles (`[plugins]`).
    pub plugins: PluginTrust,
    /// `[hosts.ecs]`, as the file has it (see [`super::ecs`]).
    pub ecs: super::ecs::EcsSettings,
}

/// `[plugins]`: which plugin bundles a run accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginTrust {
    /// Whether every bundle must be signed by one of `trusted_keys`.
    pub require_signatures: bool,
    /// Trusted public keys, each `seamless-ed25519 <64 hex digits>`.
    pub trusted_keys: Vec<String>,
    /// 1-based line of the `[plugins]` table, for hints; `None` without one.
    pub line: Option<usize>,
}

/// What starts a run; it decides how far the run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Trigger {
    /// `seamless run` or the API without a named event.
    Manual,
    /// A push to a branch.
    Push,
    /// A pull request was opened, updated or reopened.
    PullRequest,
    /// `seamless rollback`.
    Rollback,
}

impl Trigger {
    /// Every trigger.
    pub const ALL: [Trigger; 4] = [
        Trigger::Manual,
        Trigger::Push,
        Trigger::PullRequest,
        Trigger::Rollback,
    ];

    /// The kebab-case name, as stored, shown and given to `--trigger`.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Push => "push",
            Trigger::PullRequest => "pull-request",
            Trigger::Rollback => "rollback",
        }
    }

    /// The trigger called `name`, if any.
    pub fn parse(name: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-trigger settings from `[triggers]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triggers {
    /// The branch whose pushes run the whole pipeline (default `main`).
    pub default_branch: String,
    /// The last stage that pull-request runs go to (with what it needs); `None` runs
    /// everything.
    pub pull_request_until: Option<String>,
    /// The last stage that push runs go to; `None` runs everything.
    pub push_until: Option<String>,
    /// The last stage that manual runs go to; `None` runs everything.
    pub manual_until: Option<String>,
    /// Branches whose pushes start runs (default: the default branch).
    pub push_branches: Vec<String>,
    /// Whether `seamless serve` merges a pull request whose run succeeded (default
    /// false).
    pub pull_request_auto_merge: bool,
    /// How it merges them (default [`MergeMethod::Merge`]).
    pub pull_request_merge_method: MergeMethod,
}

/// How a pull request is merged (GitHub's `merge_method`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MergeMethod {
    /// A merge commit.
    #[default]
    Merge,
    /// One commit of all the changes.
    Squash,
    /// The commits replayed onto the base branch.
    Rebase,
}

impl MergeMethod {
    /// Every method, in the order the docs list them.
    pub const ALL: [MergeMethod; 3] =
        [MergeMethod::Merge, MergeMethod::Squash, MergeMethod::Rebase];

    /// The name in `seamless.toml` and GitHub's API.
    pub fn as_str(self) -> &'static str {
        match self {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        }
    }

    /// The method called `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

impl std::fmt::Display for MergeMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Triggers {
    /// The last stage runs of `trigger` go to, if they stop early.
    pub fn until(&self, trigger: Trigger) -> Option<&str> {
        match trigger {
            Trigger::PullRequest => self.pull_request_until.as_deref(),
            Trigger::Push => self.push_until.as_deref(),
            Trigger::Manual => self.manual_until.as_deref(),
            Trigger::Rollback => None,
        }
    }
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers {
            default_branch: "main".into(),
            pull_request_until: None,
            push_until: None,
            manual_until: None,
            push_branches: vec!["main".into()],
            pull_request_auto_merge: false,
            pull_request_merge_method: MergeMethod::Merge,
        }
    }
}

impl Config {
    /// The stage called `name`, if any.
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| stage.name == name)
    }

    /// The service called `name`, if any.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|service| service.name == name)
    }
}

/// Where a secret's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The named environment variable of the Seamless process.
    Env(String),
    /// The contents of this file (absolute path).
    File(PathBuf),
}

/// One service built and tested by the pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    /// Unique name, `[a-z0-9-]`.
    pub name: String,
    /// Directory of the service, relative to the config root (default `"."`).
    pub path: String,
    /// Dockerfile, relative to `path` (default `"Dockerfile"`).
    pub dockerfile: String,
    /// Image that commands run in (default `"seamless/busybox"`).
    pub image: String,
    /// Named shell commands, such as `unit-test = "sh ./test.sh"`.
    pub commands: BTreeMap<String, String>,
    /// The port the service listens on inside its container, for deploys.
    pub port: Option<u16>,
    /// The health check path of a deployed service (default `/health`).
    pub health: String,
    /// Deploy to production without waiting for approval.
    pub auto_deploy: bool,
    /// Whether pull requests run this service (default true).
    pub on_pull_request: bool,
    /// Whether pushes run this service (default true).
    pub on_push: bool,
    /// Environment variables of the deployed service, in every environment.
    pub env: BTreeMap<String, String>,
    /// Where the service deploys, by environment name.
    pub targets: BTreeMap<String, Target>,
}

/// Where a service is deployed in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The stable host port the environment serves on.
    pub port: u16,
    /// The host address that port binds (default `127.0.0.1`).
    pub bind: String,
    /// How many containers serve (default 1).
    pub replicas: u32,
    /// Environment variables for this environment, over the service's.
    pub env: BTreeMap<String, String>,
    /// The ECS service that serves this environment, when it runs on ECS.
    pub ecs: Option<EcsTarget>,
}

/// An environment served by an ECS service (`ecs-service` in the target): a deploy
/// updates that service in place with ECS's rolling deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsTarget {
    /// The service's name.
    pub service: String,
    /// Its cluster (default: `[hosts.ecs] cluster`).
    pub cluster: Option<String>,
    /// An ALB target group whose targets must all be healthy.
    pub target_group: Option<String>,
    /// A URL that must answer 2xx once the rollout completed.
    pub health_url: Option<String>,
}

/// One stage of the pipeline; every service runs every stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Unique name, `[a-z0-9-]`.
    pub name: String,
    /// The plugin that runs this stage.
    pub uses: PluginRef,
    /// Stages that must succeed first, by name.
    pub needs: Vec<String>,
    /// Capabilities the plugin is granted.
    pub grants: Grants,
    /// Resource limits of the plugin.
    pub limits: Limits,
    /// Free settings handed to the plugin, rendered as strings.
    pub with: BTreeMap<String, String>,
    /// Where the stage was defined, for error messages.
    pub origin: StageOrigin,
    /// Whether it runs once per service or once per run.
    pub scope: Scope,
    /// When it runs.
    pub when: When,
    /// The environment it deploys to: services without a target there skip it.
    pub environment: Option<String>,
    /// How often a failed attempt is retried.
    pub retry: RetryPolicy,
}

/// How many stage instances a run has of a stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    /// One instance per service (the default).
    #[default]
    Service,
    /// One instance per run, such as `prepare` and `notify`.
    Run,
}

/// When a stage instance starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum When {
    /// Once every stage it needs has succeeded (the default).
    #[default]
    Success,
    /// At the start of the run, beside everything else (`notify` on start).
    RunStart,
    /// Once every other stage instance of the run has ended, whatever the result
    /// (`notify` on success or failure).
    RunEnd,
}

/// Retries of a failed stage attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first (default 0).
    pub retries: u32,
    /// Wait before the first retry; each later retry waits twice as long (default 2s).
    pub backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 0,
            backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32 << retry.saturating_sub(1).min(16);
        self.backoff.saturating_mul(factor)
    }
}

/// The plugin a stage uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginRef {
    /// A built-in plugin by name, one of [`KNOWN_BUILTINS`].
    Builtin(String),
    /// A `.wasm` component on disk (absolute path).
    File(PathBuf),
    /// The manual approval gate (`gate:approval`): no plugin; the engine waits for a
    /// person, unless the service deploys automatically.
    Approval,
    /// A plugin bundle, as written in `uses`: an OCI reference
    /// (`registry/repo:tag` or `registry/repo@sha256:...`) or the path of an OCI image
    /// layout (a directory or a `.tar`), relative to the config's directory. A run
    /// resolves it through `seamless.lock` and runs only the pinned digest.
    Bundle(String),
}

impl std::fmt::Display for PluginRef {
    /// As written in `uses`: `builtin:NAME`, the component's path, or `gate:approval`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Builtin(name) => write!(f, "builtin:{name}"),
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Approval => f.write_str("gate:approval"),
            Self::Bundle(reference) => f.write_str(reference),
        }
    }
}

/// Capabilities granted to a stage's plugin; everything is denied by default. Whether
/// they allow a capability is decided in [`crate::capability`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// May start containers.
    pub containers: bool,
    /// May build and push images.
    pub images: bool,
    /// Secrets the plugin may read, by name; each is declared in `[secrets]`.
    pub secrets: BTreeSet<String>,
    /// May write to the run's workspace.
    pub workspace_write: bool,
    /// May create networks.
    pub networks: bool,
    /// Environments the plugin may deploy to.
    pub deploy: BTreeSet<String>,
    /// Hosts (`host` or `host:port`) the plugin may send HTTP requests to; `*`: any.
    pub http: BTreeSet<String>,
}

/// Resource limits of a stage's plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Memory cap of the plugin instance, in bytes.
    pub memory_bytes: u64,
    /// Wall-clock limit of the stage.
    pub timeout: Duration,
    /// CPU units (1024 = one vCPU) of each container the stage starts, when set: a
    /// Fargate task's cpu on ECS, a CPU limit on Docker.
    pub container_cpu: Option<u32>,
    /// Memory of each container the stage starts, MiB, when set.
    pub container_memory_mib: Option<u32>,
}

impl Limits {
    /// Default memory cap: 256 MiB.
    pub const DEFAULT_MEMORY_MIB: u64 = 256;
    /// Largest memory cap that may be set: 4096 MiB.
    pub const MAX_MEMORY_MIB: u64 = 4096;
    /// Default timeout: 30 minutes.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
    /// Longest timeout that may be set: 24 hours.
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: Self::DEFAULT_MEMORY_MIB * 1024 * 1024,
            timeout: Self::DEFAULT_TIMEOUT,
            container_cpu: None,
            container_memory_mib: None,
        }
    }
}

/// Where a stage was defined, so runtime errors can point at the line to change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageOrigin {
    /// Display name of the file, e.g. `examples/hello/seamless.toml`, or
    /// [`DEFAULT_PIPELINE_ORIGIN`].
    pub file: String,
    /// 1-based line of the stage's `name = ...` key.
    pub line: usize,
    /// Line of the stage's `[stage.grants]` table, if present.
    pub grants_line: Option<usize>,
    /// Line of the stage's `[stage.limits]` table, if present.
    pub limits_line: Option<usize>,
    /// Line of `memory-mib`, if set.
    pub memory_line: Option<usize>,
    /// Line of `timeout`, if set.
    pub timeout_line: Option<usize>,
}

impl StageOrigin {
    /// Whether the stage comes from the embedded default pipeline rather than a file.
    pub fn is_default_pipeline(&self) -> bool {
        self.file == DEFAULT_PIPELINE_ORIGIN
    }

    /// `file:line` of the stage, or of its grants table when there is one.
    pub fn grants_location(&self) -> String {
        format!("{}:{}", self.file, self.grants_line.unwrap_or(self.line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits_are_256_mib_and_30_minutes() {
        let limits = Limits::default();
        assert_eq!(limits.memory_bytes, 256 * 1024 * 1024);
        assert_eq!(limits.timeout, Duration::from_secs(1800));
    }
}
