//! Persistence of runs, stage states, events, logs and outputs in SQLite (WAL).
//!
//! Every stage transition goes through [`seamless_core::state::apply`] inside a
//! transaction, and is committed before the caller starts the side effect it
//! announces.
//!
//! Several processes may share one database (runs started side by side, `seamless
//! approve` beside a waiting run). Every transaction that writes is `BEGIN IMMEDIATE`:
//! it takes the write lock first and waits for it (busy timeout), because a deferred
//! transaction that read first and then writes gets `SQLITE_BUSY` at once in WAL mode
//! when another process wrote in between.

mod approvals;
mod deliveries;
mod deploy_locks;
mod error;
mod feed;
mod host_resources;
mod lifecycle;
mod migrations;
mod pipelines;
mod records;
mod revisions;
mod run_rows;
mod sessions;
mod sqlite;
mod tokens;

pub use deliveries::Delivery;
pub use error::StoreError;
pub use feed::{FeedEntry, LogEntry, LogQuery};
pub use lifecycle::{RunFilter, STALE_AFTER_MS};
pub use pipelines::PipelineRecord;
pub use records::{
    Approval, EventRecord, LogRecord, NewLogLine, NewRun, Revision, RunRecord, StageKey,
    StageRecord, TestCounts,
};
pub use sessions::SessionRecord;
pub use sqlite::{ChangeHook, Store, now_ms};
pub use tokens::TokenRecord;

#[cfg(test)]
mod feed_tests;
#[cfg(test)]
mod tests;
