//! Persistence of runs, stage states, events, logs and outputs in SQLite (WAL).
//!
//! Every stage transition goes through [`seamless_core::state::apply`] inside a
//! transaction, and is committed before the caller starts the side effect it
//! announces.

mod error;
mod migrations;
mod records;
mod sqlite;

pub use error::StoreError;
pub use records::{EventRecord, LogRecord, NewLogLine, NewRun, RunRecord, StageKey, StageRecord};
pub use sqlite::{Store, now_ms};
