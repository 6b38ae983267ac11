//! Who carries a run out, its attempts, test counts and listings.
//!
//! A run is owned by the process that executes it: it records its PID and a heartbeat.
//! A run whose owner is gone (the PID no longer exists, or the heartbeat is older than
//! [`STALE_AFTER_MS`]) can be claimed by `seamless resume`.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use seamless_core::state::RunStatus;

use crate::error::StoreError;
use crate::records::{RunRecord, StageKey, TestCounts};
use crate::run_rows::{RUN_COLUMNS, run_row};
use crate::sqlite::{Store, now_ms};

/// A heartbeat older than this means the owner is gone, even if its PID exists.
pub const STALE_AFTER_MS: i64 = 30_000;

/// Filters for [`Store::list_runs`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs with this status.
    pub status: Option<RunStatus>,
    /// Only runs with this trigger.
    pub trigger: Option<String>,
    /// Only runs that have a stage instance of this service.
    pub service: Option<String>,
    /// Only runs of this branch.
    pub branch: Option<String>,
    /// Only runs of this pipeline.
    pub pipeline: Option<String>,
    /// Only runs older than this one (the last of the previous page).
    pub before: Option<String>,
    /// At most this many runs, newest first (0 means 50).
    pub limit: u32,
}

impl Store {
    /// Makes `pid` the owner of a run, if the run is unfinished and nobody alive owns
    /// it. Returns whether the claim succeeded.
    pub fn claim_run(&self, run_id: &str, pid: u32) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, Option<i64>, Option<i64>)> = tx
            .query_row(
                "SELECT status, owner_pid, heartbeat_at FROM runs WHERE id = ?1",
                params![run_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((status, owner, heartbeat)) = row else {
            return Err(StoreError::NotFound(format!("run '{run_id}'")));
        };
        let status: RunStatus = crate::sqlite::parse(status)?;
        if status.is_terminal() {
            return Ok(false);
        }
        let mine = owner == Some(i64::from(pid));
        if !mine && owner_alive(owner, heartbeat) {
            return Ok(false);
        }
        tx.execute(
            "UPDATE runs SET owner_pid = ?2, heartbeat_at = ?3 WHERE id = ?1",
            params![run_id, i64::from(pid), now_ms()],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Records that this process, the owner of a run, is alive. Returns `false` when
    /// the run has another owner now (this process lost it, for example after going
    /// quiet for longer than [`STALE_AFTER_MS`]).
    pub fn heartbeat(&self, run_id: &str) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE runs SET heartbeat_at = ?2 WHERE id = ?1 AND owner_pid = ?3",
            params![run_id, now_ms(), i64::from(std::process::id())],
        )?;
        Ok(n == 1)
    }

    /// Gives up ownership of a run.
    pub fn release_run(&self, run_id: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE runs SET owner_pid = NULL WHERE id = ?1",
            params![run_id],
        )?;
        Ok(())
    }

    /// Asks the process that carries out a run to cancel it.
    pub fn request_cancel(&self, run_id: &str) -> Result<(), StoreError> {
        let n = self.conn().execute(
            "UPDATE runs SET cancel_requested = 1 WHERE id = ?1",
            params![run_id],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("run '{run_id}'")));
        }
        Ok(())
    }

    /// Whether someone asked to cancel a run.
    pub fn cancel_requested(&self, run_id: &str) -> Result<bool, StoreError> {
        let flag: Option<i64> = self
            .conn()
            .query_row(
                "SELECT cancel_requested FROM runs WHERE id = ?1",
                params![run_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(flag.unwrap_or(0) != 0)
    }

    /// Records a run's status while it is not finished (such as awaiting approval).
    pub fn set_run_status(&self, run_id: &str, status: RunStatus) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE runs SET status = ?2 WHERE id = ?1 AND finished_at IS NULL",
            params![run_id, status.as_str()],
        )?;
        self.changed();
        Ok(())
    }

    /// Unfinished runs that no live process owns, oldest first.
    pub fn orphaned_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let runs = self.query_runs(
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE finished_at IS NULL ORDER BY created_at"
            ),
            &[],
        )?;
        Ok(runs
            .into_iter()
            .filter(|run| !owner_alive(run.owner_pid, run.heartbeat_at))
            .collect())
    }

    /// Whether the process that owns a run is alive.
    pub fn owner_alive(&self, run: &RunRecord) -> bool {
        owner_alive(run.owner_pid, run.heartbeat_at)
    }

    /// Runs matching `filter`, newest first.
    pub fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        let mut sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE 1 = 1");
        let mut args: Vec<String> = Vec::new();
        if let Some(status) = filter.status {
            args.push(status.as_str().to_string());
            sql.push_str(&format!(" AND status = ?{}", args.len()));
        }
        if let Some(trigger) = &filter.trigger {
            args.push(trigger.clone());
            sql.push_str(&format!(" AND trigger = ?{}", args.len()));
        }
        if let Some(branch) = &filter.branch {
            args.push(branch.clone());
            sql.push_str(&format!(" AND branch = ?{}", args.len()));
        }
        if let Some(pipeline) = &filter.pipeline {
            args.push(pipeline.clone());
            sql.push_str(&format!(" AND pipeline = ?{}", args.len()));
        }
        if let Some(before) = &filter.before {
            args.push(before.clone());
            let n = args.len();
            sql.push_str(&format!(
                " AND (created_at, id) < (SELECT created_at, id FROM runs WHERE id = ?{n})"
            ));
        }
        if let Some(service) = &filter.service {
            args.push(service.clone());
            sql.push_str(&format!(
                " AND id IN (SELECT run_id FROM stages WHERE service = ?{})",
                args.len()
            ));
        }
        let limit = if filter.limit == 0 { 50 } else { filter.limit };
        sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT {limit}"));
        let refs: Vec<&dyn rusqlite::ToSql> =
            args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
        self.query_runs(&sql, &refs)
    }

    fn query_runs(
        &self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<RunRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map(args, run_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?.into_record()?);
        }
        Ok(out)
    }

    /// Counts one more attempt of a stage and returns the new count.
    pub fn begin_attempt(&self, key: &StageKey) -> Result<u32, StoreError> {
        let conn = self.conn();
        conn.execute(
            "UPDATE stages SET attempts = attempts + 1 WHERE run_id = ?1 AND service = ?2 AND stage = ?3",
            params![key.run_id, key.service, key.stage],
        )?;
        let attempts: u32 = conn.query_row(
            "SELECT attempts FROM stages WHERE run_id = ?1 AND service = ?2 AND stage = ?3",
            params![key.run_id, key.service, key.stage],
            |r| r.get(0),
        )?;
        Ok(attempts)
    }

    /// Records the test counts of a stage.
    pub fn set_tests(&self, key: &StageKey, tests: TestCounts) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE stages SET tests_passed = ?4, tests_failed = ?5, tests_skipped = ?6
             WHERE run_id = ?1 AND service = ?2 AND stage = ?3",
            params![
                key.run_id,
                key.service,
                key.stage,
                tests.passed,
                tests.failed,
                tests.skipped
            ],
        )?;
        Ok(())
    }
}

/// Whether an owner recorded as `pid` with `heartbeat` is still alive.
fn owner_alive(pid: Option<i64>, heartbeat: Option<i64>) -> bool {
    let Some(pid) = pid else { return false };
    let fresh = heartbeat.is_some_and(|at| now_ms() - at < STALE_AFTER_MS);
    fresh && pid_exists(pid)
}

/// Whether a process with this PID exists on this machine.
fn pid_exists(pid: i64) -> bool {
    if pid <= 0 {
        return false;
    }
    let status = std::path::Path::new("/proc")
        .join(pid.to_string())
        .join("stat");
    match std::fs::read_to_string(status) {
        // A zombie (state `Z`) has exited; it only waits for its parent to reap it.
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start())
            .is_some_and(|rest| !rest.starts_with('Z')),
        Err(_) => false,
    }
}
