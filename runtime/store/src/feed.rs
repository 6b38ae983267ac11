//! The live feed: every change of a run's or a stage's status (recorded by triggers in
//! the same transaction as the change) and every log line, each under an increasing
//! id, so a reader that remembers the last ids it saw misses nothing and sees nothing
//! twice.
//!
//! SQLite has one writer at a time and assigns ids inside the writing transaction, so
//! ids become visible in increasing order: reading `id > last` never skips a row that
//! commits later. Each status change also records the newest log line's id at that
//! moment, which places it exactly between two log lines.

use rusqlite::params;

use crate::error::StoreError;
use crate::sqlite::{Store, now_ms};

/// A change of status: of a run (`service` and `stage` are `None`) or of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// Its place in the feed.
    pub id: i64,
    /// The run.
    pub run_id: String,
    /// The stage instance's service (empty for run-scoped stages), for stage changes.
    pub service: Option<String>,
    /// The stage, for stage changes.
    pub stage: Option<String>,
    /// The new status.
    pub status: String,
    /// When, in Unix milliseconds.
    pub at: i64,
    /// For stage changes: when the stage started, in Unix milliseconds.
    pub started_at: Option<i64>,
    /// For stage changes: when it finished, in Unix milliseconds.
    pub finished_at: Option<i64>,
    /// The id of the newest log line when the change was made: the change comes after
    /// that line and before the next one.
    pub after_log: i64,
}

/// A stored log line with its place in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Its place in the log (of every run).
    pub id: i64,
    /// The run.
    pub run_id: String,
    /// The service.
    pub service: String,
    /// The stage.
    pub stage: String,
    /// Where it came from (`stdout`, `stderr`, `plugin`, ...).
    pub source: String,
    /// The (masked) text.
    pub line: String,
    /// When, in Unix milliseconds.
    pub at: i64,
}

/// Which log lines to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// Only this run's.
    pub run_id: Option<String>,
    /// Only this service's (with `stage`, one stage instance).
    pub service: Option<String>,
    /// Only this stage's.
    pub stage: Option<String>,
    /// Only lines after this id.
    pub after: i64,
    /// At most this many (capped at 5000; 0 means 500).
    pub limit: u32,
}

/// The most entries one read returns.
const MAX_PAGE: u32 = 5000;

fn page(limit: u32) -> u32 {
    match limit {
        0 => 500,
        n => n.min(MAX_PAGE),
    }
}

impl Store {
    /// The ids of the newest feed entry and the newest log line (0 when none).
    pub fn feed_head(&self) -> Result<(i64, i64), StoreError> {
        let conn = self.conn();
        let feed = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM feed", [], |r| r.get(0))?;
        let logs = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM logs", [], |r| r.get(0))?;
        Ok((feed, logs))
    }

    /// Feed entries after `after`, of one run or of all, oldest first, at most `limit`
    /// (capped at 5000; 0 means 500).
    pub fn feed_since(
        &self,
        after: i64,
        run_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT f.id, f.run_id, f.service, f.stage, f.status, f.at, s.started_at, s.finished_at,
                    f.after_log
             FROM feed f LEFT JOIN stages s
               ON f.stage IS NOT NULL AND s.run_id = f.run_id AND s.service = f.service
                  AND s.stage = f.stage
             WHERE f.id > ?1 AND (?2 IS NULL OR f.run_id = ?2)
             ORDER BY f.id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![after, run_id, page(limit)], |r| {
            Ok(FeedEntry {
                id: r.get(0)?,
                run_id: r.get(1)?,
                service: r.get(2)?,
                stage: r.get(3)?,
                status: r.get(4)?,
                at: r.get(5)?,
                started_at: r.get(6)?,
                finished_at: r.get(7)?,
                after_log: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Log lines matching `query`, oldest first.
    pub fn log_entries(&self, query: &LogQuery) -> Result<Vec<LogEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, run_id, service, stage, source, line, at FROM logs
             WHERE id > ?1 AND (?2 IS NULL OR run_id = ?2) AND (?3 IS NULL OR service = ?3)
               AND (?4 IS NULL OR stage = ?4)
             ORDER BY id LIMIT ?5",
        )?;
        let rows = stmt.query_map(
            params![
                query.after,
                query.run_id,
                query.service,
                query.stage,
                page(query.limit)
            ],
            |r| {
                Ok(LogEntry {
                    id: r.get(0)?,
                    run_id: r.get(1)?,
                    service: r.get(2)?,
                    stage: r.get(3)?,
                    source: r.get(4)?,
                    line: r.get(5)?,
                    at: r.get(6)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes the log lines of runs that finished before `finished_before_ms` (the
    /// runs, their stages and their outcome stay). Returns how many lines went.
    pub fn prune_logs(&self, finished_before_ms: i64) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let lines = tx.execute(
            "DELETE FROM logs WHERE run_id IN
                 (SELECT id FROM runs WHERE finished_at IS NOT NULL AND finished_at < ?1)",
            params![finished_before_ms],
        )?;
        tx.execute(
            "UPDATE runs SET logs_pruned_at = ?2
             WHERE finished_at IS NOT NULL AND finished_at < ?1 AND logs_pruned_at IS NULL",
            params![finished_before_ms, now_ms()],
        )?;
        tx.commit()?;
        Ok(lines)
    }

    /// When a run's logs were deleted by retention, if they were.
    pub fn logs_pruned_at(&self, run_id: &str) -> Result<Option<i64>, StoreError> {
        use rusqlite::OptionalExtension;
        let at = self
            .conn()
            .query_row(
                "SELECT logs_pruned_at FROM runs WHERE id = ?1",
                params![run_id],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?;
        Ok(at.flatten())
    }
}
