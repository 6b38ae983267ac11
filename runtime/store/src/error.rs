//! Store errors.

use seamless_core::state::InvalidTransition;
use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or migrated.
    #[error("cannot open the run database at '{}': {reason}", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A query failed.
    #[error("run database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The transition is not allowed from the stage's current state.
    #[error("stage '{stage}' of service '{service}': {source}")]
    Transition {
        /// The service.
        service: String,
        /// The stage.
        stage: String,
        /// The rejected transition.
        source: InvalidTransition,
    },
    /// The run or stage does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A stored value could not be read back.
    #[error("run database holds an unreadable value: {0}")]
    Corrupt(String),
    /// A run already has the opposite approval decision.
    #[error("run '{run_id}' was already {decision} by {by}; a run takes one decision")]
    AlreadyDecided {
        /// The run.
        run_id: String,
        /// `approved` or `rejected`.
        decision: &'static str,
        /// Who decided.
        by: String,
    },
}
