//! What one stage invocation is given, and what it reports.

use crate::error::StageFailure;
use crate::masking::Masker;
use crate::stage_log::LogLineSink;
use seamless_core::config::{Grants, Limits, StageOrigin};
use seamless_host_api::ContainerHost;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The service a stage instance works on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceFacts {
    /// Its name.
    pub name: String,
    /// Its directory relative to the workspace root.
    pub path: String,
    /// Its Dockerfile relative to `path`.
    pub dockerfile: String,
    /// The image its commands run in.
    pub image: String,
    /// Its named commands.
    pub commands: BTreeMap<String, String>,
}

/// Facts about the run, as `run-info.current` reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFacts {
    /// The run's id.
    pub run_id: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// What started the run.
    pub trigger: String,
    /// The commit being built.
    pub commit_sha: String,
    /// The service.
    pub service: ServiceFacts,
}

/// Everything one stage invocation needs.
#[derive(Clone)]
pub struct Invocation {
    /// The stage's name.
    pub stage: String,
    /// The stage's `[stage.with]` settings.
    pub config: BTreeMap<String, String>,
    /// Outputs of the stages it needs, keyed `<stage>.<key>`.
    pub inputs: BTreeMap<String, String>,
    /// Facts about the run.
    pub run: RunFacts,
    /// The run's workspace on the host.
    pub workspace: PathBuf,
    /// What `seamless.toml` grants the stage.
    pub grants: Grants,
    /// Memory and time limits.
    pub limits: Limits,
    /// Where the stage is defined, for error messages.
    pub origin: StageOrigin,
    /// Values of the secrets the stage is granted, by name.
    pub secrets: BTreeMap<String, String>,
    /// Masks every secret of the run in log lines.
    pub masker: Arc<Masker>,
    /// Where containers run.
    pub host: Arc<dyn ContainerHost>,
    /// Receives the stage's masked log lines.
    pub log: LogLineSink,
    /// Labels for every container the stage starts (run, stage, service).
    pub labels: BTreeMap<String, String>,
}

/// How a stage invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageReport {
    /// The one-line summary on success, or why the stage failed.
    pub result: Result<String, StageFailure>,
    /// Outputs the stage set.
    pub outputs: BTreeMap<String, String>,
}
