//! The SQLite store.

use crate::error::StoreError;
use crate::migrations::migrate;
use crate::records::{
    EventRecord, LogRecord, NewLogLine, NewRun, RunRecord, StageKey, StageRecord, TestCounts,
};
use crate::run_rows::{RUN_COLUMNS, RawRun, run_row};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use seamless_core::state::{RunStatus, StageEvent, StageStatus, apply};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// Called after every committed change that the live feed shows (statuses and logs).
pub type ChangeHook = Arc<dyn Fn() + Send + Sync>;

/// The run database: one SQLite file in WAL mode.
pub struct Store {
    conn: Mutex<Connection>,
    on_change: RwLock<Option<ChangeHook>>,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) fn parse<T: FromStr>(s: String) -> Result<T, StoreError> {
    T::from_str(&s).map_err(|_| StoreError::Corrupt(format!("status '{s}'")))
}

impl Store {
    /// Opens (or creates) `seamless.db` in `data_dir`, in WAL mode, migrated.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join("seamless.db");
        let open_err = |reason: String| StoreError::Open {
            path: path.clone(),
            reason,
        };
        std::fs::create_dir_all(data_dir).map_err(|e| open_err(e.to_string()))?;
        let mut conn = Connection::open(&path).map_err(|e| open_err(e.to_string()))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|()| conn.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|()| conn.busy_timeout(std::time::Duration::from_secs(30)))
            .map_err(|e| open_err(e.to_string()))?;
        migrate(&mut conn).map_err(|e| open_err(e.to_string()))?;
        Ok(Self {
            conn: Mutex::new(conn),
            on_change: RwLock::new(None),
        })
    }

    /// Calls `hook` after every committed change of a run's or a stage's status and
    /// after every batch of log lines, so a live feed learns of them at once (changes
    /// made by other processes sharing the database are not seen by it).
    pub fn set_change_hook(&self, hook: ChangeHook) {
        if let Ok(mut slot) = self.on_change.write() {
            *slot = Some(hook);
        }
    }

    /// Tells the change hook, if any, that something changed.
    pub(crate) fn changed(&self) {
        let hook = self.on_change.read().ok().and_then(|h| h.clone());
        if let Some(hook) = hook {
            hook();
        }
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        match self.conn.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Creates a run and its stage instances, all `idle`, in one transaction.
    pub fn create_run(&self, run: &NewRun, stages: &[(String, String)]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO runs (id, pipeline, trigger, commit_sha, workspace, host, status, created_at,
                               branch, request, owner_pid, heartbeat_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?8)",
            params![
                run.id,
                run.pipeline,
                run.trigger,
                run.commit_sha.as_str(),
                run.workspace,
                run.host,
                RunStatus::InProgress.as_str(),
                now_ms(),
                run.branch,
                run.request,
                i64::from(std::process::id())
            ],
        )?;
        for (i, (service, stage)) in stages.iter().enumerate() {
            tx.execute(
                "INSERT INTO stages (run_id, service, stage, position, status) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![run.id, service, stage, i as i64, StageStatus::Idle.as_str()],
            )?;
        }
        tx.commit()?;
        drop(conn);
        self.changed();
        Ok(())
    }

    /// Applies `event` to a stage through the core state machine and records the
    /// transition. Returns the new status. Committed before it returns.
    pub fn transition(&self, key: &StageKey, event: StageEvent) -> Result<StageStatus, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: Option<String> = tx
            .query_row(
                "SELECT status FROM stages WHERE run_id = ?1 AND service = ?2 AND stage = ?3",
                params![key.run_id, key.service, key.stage],
                |r| r.get(0),
            )
            .optional()?;
        let current: StageStatus = parse(current.ok_or_else(|| {
            StoreError::NotFound(format!(
                "stage '{}' of service '{}' in run '{}'",
                key.stage, key.service, key.run_id
            ))
        })?)?;
        let next = apply(current, event).map_err(|source| StoreError::Transition {
            service: key.service.clone(),
            stage: key.stage.clone(),
            source,
        })?;
        let now = now_ms();
        let started = matches!(next, StageStatus::InProgress).then_some(now);
        let finished = next.is_terminal().then_some(now);
        tx.execute(
            "UPDATE stages SET status = ?4,
                 started_at = COALESCE(?5, started_at),
                 finished_at = COALESCE(?6, finished_at)
             WHERE run_id = ?1 AND service = ?2 AND stage = ?3",
            params![
                key.run_id,
                key.service,
                key.stage,
                next.as_str(),
                started,
                finished
            ],
        )?;
        tx.execute(
            "INSERT INTO events (run_id, service, stage, from_status, event, to_status, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                key.run_id,
                key.service,
                key.stage,
                current.as_str(),
                event.as_str(),
                next.as_str(),
                now
            ],
        )?;
        tx.commit()?;
        drop(conn);
        self.changed();
        Ok(next)
    }

    /// Records a stage's summary or error message.
    pub fn set_stage_message(
        &self,
        key: &StageKey,
        summary: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE stages SET summary = ?4, error = ?5 WHERE run_id = ?1 AND service = ?2 AND stage = ?3",
            params![key.run_id, key.service, key.stage, summary, error],
        )?;
        Ok(())
    }

    /// Records a stage's outputs.
    pub fn put_outputs(
        &self,
        key: &StageKey,
        outputs: &BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (k, v) in outputs {
            tx.execute(
                "INSERT OR REPLACE INTO outputs (run_id, service, stage, key, value) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.run_id, key.service, key.stage, k, v],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets a run's final status.
    pub fn finish_run(&self, run_id: &str, status: RunStatus) -> Result<(), StoreError> {
        let n = self.conn().execute(
            "UPDATE runs SET status = ?2, finished_at = ?3 WHERE id = ?1",
            params![run_id, status.as_str(), now_ms()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("run '{run_id}'")));
        }
        self.changed();
        Ok(())
    }

    /// Appends log lines in one transaction.
    pub fn append_logs(&self, lines: &[NewLogLine]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO logs (run_id, service, stage, source, line, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for l in lines {
                stmt.execute(params![
                    l.key.run_id,
                    l.key.service,
                    l.key.stage,
                    l.source,
                    l.line,
                    l.at
                ])?;
            }
        }
        tx.commit()?;
        drop(conn);
        self.changed();
        Ok(())
    }

    /// A run by id.
    pub fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        let row = self
            .conn()
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                params![run_id],
                run_row,
            )
            .optional()?;
        row.map(RawRun::into_record).transpose()
    }

    /// The stage instances of a run, in plan order.
    pub fn stages(&self, run_id: &str) -> Result<Vec<StageRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT service, stage, status, started_at, finished_at, summary, error, attempts,
                    tests_passed, tests_failed, tests_skipped
             FROM stages WHERE run_id = ?1 ORDER BY position",
        )?;
        let rows = stmt.query_map(params![run_id], |r| {
            let tests = match (
                r.get::<_, Option<u32>>(8)?,
                r.get::<_, Option<u32>>(9)?,
                r.get::<_, Option<u32>>(10)?,
            ) {
                (Some(passed), Some(failed), Some(skipped)) => Some(TestCounts {
                    passed,
                    failed,
                    skipped,
                }),
                _ => None,
            };
            Ok((
                r.get::<_, String>(2)?,
                StageRecord {
                    service: r.get(0)?,
                    stage: r.get(1)?,
                    status: StageStatus::Idle,
                    started_at: r.get(3)?,
                    finished_at: r.get(4)?,
                    summary: r.get(5)?,
                    error: r.get(6)?,
                    attempts: r.get(7)?,
                    tests,
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (status, mut record) = row?;
            record.status = parse(status)?;
            out.push(record);
        }
        Ok(out)
    }

    /// The transitions of a run, oldest first.
    pub fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT service, stage, from_status, event, to_status, at FROM events WHERE run_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![run_id], |r| {
            Ok(EventRecord {
                service: r.get(0)?,
                stage: r.get(1)?,
                from: r.get(2)?,
                event: r.get(3)?,
                to: r.get(4)?,
                at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The log lines of a run, oldest first.
    pub fn logs(&self, run_id: &str) -> Result<Vec<LogRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT service, stage, source, line FROM logs WHERE run_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![run_id], |r| {
            Ok(LogRecord {
                service: r.get(0)?,
                stage: r.get(1)?,
                source: r.get(2)?,
                line: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Outputs of a run's stage instance.
    pub fn outputs(&self, key: &StageKey) -> Result<BTreeMap<String, String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT key, value FROM outputs WHERE run_id = ?1 AND service = ?2 AND stage = ?3",
        )?;
        let rows = stmt.query_map(params![key.run_id, key.service, key.stage], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(stage: &str) -> StageKey {
        StageKey {
            run_id: "r1".into(),
            service: "svc".into(),
            stage: stage.into(),
        }
    }

    fn store_with_run() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .create_run(
                &NewRun {
                    id: "r1".into(),
                    pipeline: "p".into(),
                    trigger: "cli".into(),
                    commit_sha: seamless_core::commit::Commit::local(0xabc),
                    workspace: "/w".into(),
                    host: "local".into(),
                    branch: None,
                    request: "{}".into(),
                },
                &[("svc".into(), "a".into()), ("svc".into(), "b".into())],
            )
            .unwrap();
        (dir, store)
    }

    #[test]
    fn transitions_are_recorded_as_events_in_order() {
        let (_d, store) = store_with_run();
        assert_eq!(
            store.transition(&key("a"), StageEvent::Start).unwrap(),
            StageStatus::InProgress
        );
        assert_eq!(
            store.transition(&key("a"), StageEvent::Succeed).unwrap(),
            StageStatus::Success
        );
        assert_eq!(
            store.transition(&key("b"), StageEvent::Skip).unwrap(),
            StageStatus::Skipped
        );
        let events = store.events("r1").unwrap();
        let seq: Vec<(&str, &str)> = events
            .iter()
            .map(|e| (e.stage.as_str(), e.to.as_str()))
            .collect();
        assert_eq!(
            seq,
            [("a", "in-progress"), ("a", "success"), ("b", "skipped")]
        );
        let stages = store.stages("r1").unwrap();
        assert!(stages[0].started_at.is_some() && stages[0].finished_at.is_some());
    }

    #[test]
    fn an_invalid_transition_is_refused_and_changes_nothing() {
        let (_d, store) = store_with_run();
        store.transition(&key("a"), StageEvent::Skip).unwrap();
        let err = store.transition(&key("a"), StageEvent::Start).unwrap_err();
        assert!(matches!(err, StoreError::Transition { .. }), "{err}");
        assert_eq!(store.stages("r1").unwrap()[0].status, StageStatus::Skipped);
        assert_eq!(store.events("r1").unwrap().len(), 1);
    }

    #[test]
    fn state_survives_reopening_the_database() {
        let (dir, store) = store_with_run();
        store.transition(&key("a"), StageEvent::Start).unwrap();
        store
            .append_logs(&[NewLogLine {
                key: key("a"),
                source: "info".into(),
                line: "hello".into(),
                at: 1,
            }])
            .unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.stages("r1").unwrap()[0].status,
            StageStatus::InProgress
        );
        assert_eq!(store.logs("r1").unwrap()[0].line, "hello");
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
