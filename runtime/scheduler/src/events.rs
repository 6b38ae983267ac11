//! What a running pipeline reports to its watchers (terminal, later WebSocket).

use seamless_core::state::{RunStatus, StageStatus};
use seamless_engine::LogLine;
use std::time::Duration;

/// One thing that happened in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEvent {
    /// The run was created with these stage instances (service, stage), in order.
    Planned {
        /// The run's id.
        run_id: String,
        /// Every stage instance.
        instances: Vec<(String, String)>,
    },
    /// A stage instance changed status.
    Stage {
        /// The service.
        service: String,
        /// The stage.
        stage: String,
        /// Its new status.
        status: StageStatus,
        /// How long it ran, once it has finished.
        duration: Option<Duration>,
        /// The summary or failure message.
        message: Option<String>,
    },
    /// A (masked) log line of a stage instance.
    Log {
        /// The service.
        service: String,
        /// The stage.
        stage: String,
        /// The line.
        line: LogLine,
    },
    /// The run ended.
    Finished {
        /// Its final status.
        status: RunStatus,
    },
}
