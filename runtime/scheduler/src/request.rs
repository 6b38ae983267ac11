//! What a run is asked to do, and how it ended.

use seamless_core::config::Config;
use seamless_core::plan::RunPlan;
use seamless_core::state::RunStatus;
use std::path::PathBuf;
use std::sync::Arc;

/// One run to carry out.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The stage instances to run.
    pub plan: RunPlan,
    /// The run's workspace on the host.
    pub workspace: PathBuf,
    /// What started the run (`cli`, `api`, ...).
    pub trigger: String,
    /// The commit being built.
    pub commit_sha: String,
    /// Most stage instances running at once.
    pub max_parallel: usize,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The run's id.
    pub run_id: String,
    /// Its final status.
    pub status: RunStatus,
}
