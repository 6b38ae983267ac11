//! Rows as the store hands them out.

use seamless_core::commit::Commit;
use seamless_core::state::{RunStatus, StageStatus};

/// A run to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    /// Its id.
    pub id: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// What started it.
    pub trigger: String,
    /// The commit.
    pub commit_sha: Commit,
    /// The workspace directory.
    pub workspace: String,
    /// The container backend.
    pub host: String,
    /// The branch, when known.
    pub branch: Option<String>,
    /// What the scheduler needs to resume the run (opaque JSON).
    pub request: String,
}

/// Names one stage instance of a run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StageKey {
    /// The run.
    pub run_id: String,
    /// The service.
    pub service: String,
    /// The stage.
    pub stage: String,
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Its id.
    pub id: String,
    /// The pipeline.
    pub pipeline: String,
    /// What started it.
    pub trigger: String,
    /// The commit.
    pub commit_sha: Commit,
    /// The workspace.
    pub workspace: String,
    /// The backend.
    pub host: String,
    /// Its status.
    pub status: RunStatus,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds, once finished.
    pub finished_at: Option<i64>,
    /// The branch, when known.
    pub branch: Option<String>,
    /// What the scheduler needs to resume the run (opaque JSON).
    pub request: String,
    /// The process that carries the run out, while it does.
    pub owner_pid: Option<i64>,
    /// When that process last said it was alive, in Unix milliseconds.
    pub heartbeat_at: Option<i64>,
}

/// A stored stage instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRecord {
    /// The service.
    pub service: String,
    /// The stage.
    pub stage: String,
    /// Its status.
    pub status: StageStatus,
    /// Unix milliseconds.
    pub started_at: Option<i64>,
    /// Unix milliseconds.
    pub finished_at: Option<i64>,
    /// The success summary.
    pub summary: Option<String>,
    /// The failure message.
    pub error: Option<String>,
    /// Attempts started so far.
    pub attempts: u32,
    /// Test counts, when the stage ran tests.
    pub tests: Option<TestCounts>,
}

/// A stored transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// The service.
    pub service: String,
    /// The stage.
    pub stage: String,
    /// Status before.
    pub from: String,
    /// The event's name.
    pub event: String,
    /// Status after.
    pub to: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// A log line to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLogLine {
    /// The stage instance.
    pub key: StageKey,
    /// Where it came from.
    pub source: String,
    /// The (masked) text.
    pub line: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// A stored log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// The service.
    pub service: String,
    /// The stage.
    pub stage: String,
    /// Where it came from.
    pub source: String,
    /// The text.
    pub line: String,
}

pub use seamless_core::report::TestCounts;

/// A person's decision on a run that waits for approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// `true` to approve, `false` to reject.
    pub approved: bool,
    /// Why, for a rejection.
    pub reason: Option<String>,
    /// Who decided (a user name, or `cli`).
    pub decided_by: String,
    /// When, in Unix milliseconds.
    pub at: i64,
}

pub use seamless_core::deploy::Revision;
