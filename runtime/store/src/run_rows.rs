//! Reading `runs` rows.

use crate::error::StoreError;
use crate::records::RunRecord;
use crate::sqlite::parse;
use seamless_core::commit::Commit;

/// The columns [`run_row`] reads, in order.
pub(crate) const RUN_COLUMNS: &str = "id, pipeline, trigger, commit_sha, workspace, host, status, \
     created_at, finished_at, branch, request, owner_pid, heartbeat_at";

/// A `runs` row before its status is parsed.
pub(crate) struct RawRun {
    record: RunRecord,
    status: String,
}

impl RawRun {
    /// The record, with its status parsed.
    pub(crate) fn into_record(self) -> Result<RunRecord, StoreError> {
        let mut record = self.record;
        record.status = parse(self.status)?;
        Ok(record)
    }
}

/// Reads one row selected with [`RUN_COLUMNS`].
pub(crate) fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRun> {
    Ok(RawRun {
        status: r.get(6)?,
        record: RunRecord {
            id: r.get(0)?,
            pipeline: r.get(1)?,
            trigger: r.get(2)?,
            commit_sha: commit(r, 3)?,
            workspace: r.get(4)?,
            host: r.get(5)?,
            status: seamless_core::state::RunStatus::InProgress,
            created_at: r.get(7)?,
            finished_at: r.get(8)?,
            branch: r.get(9)?,
            request: r.get(10)?,
            owner_pid: r.get(11)?,
            heartbeat_at: r.get(12)?,
        },
    })
}

/// Reads column `idx` as a [`Commit`]; a stored text that is not one is a conversion
/// error (the store only ever writes valid commits).
pub(crate) fn commit(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Commit> {
    let text: String = r.get(idx)?;
    Commit::parse(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}
