//! Deploy revisions: every deploy of a service to an environment, with its result.

use rusqlite::{OptionalExtension, params};

use crate::error::StoreError;
use crate::records::Revision;
use crate::sqlite::{Store, now_ms};

const COLUMNS: &str = "id, service, environment, image, digest, commit_sha, run_id, started_at, \
     finished_at, result, reason, endpoint";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Revision> {
    Ok(Revision {
        id: r.get(0)?,
        service: r.get(1)?,
        environment: r.get(2)?,
        image: r.get(3)?,
        digest: r.get(4)?,
        commit_sha: crate::run_rows::commit(r, 5)?,
        run_id: r.get(6)?,
        started_at: r.get(7)?,
        finished_at: r.get(8)?,
        result: r.get(9)?,
        reason: r.get(10)?,
        endpoint: r.get(11)?,
    })
}

impl Store {
    /// Records a deploy that starts now, with result `in-progress`.
    pub fn start_revision(&self, revision: &Revision) -> Result<(), StoreError> {
        self.conn().execute(
            &format!("INSERT INTO revisions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, NULL, ?10)"),
            params![
                revision.id,
                revision.service,
                revision.environment,
                revision.image,
                revision.digest,
                revision.commit_sha.as_str(),
                revision.run_id,
                revision.started_at,
                Revision::IN_PROGRESS,
                revision.endpoint
            ],
        )?;
        Ok(())
    }

    /// Ends a deploy with `result` (`success` or `failure`) and returns it.
    pub fn finish_revision(
        &self,
        id: &str,
        result: &str,
        reason: Option<&str>,
        endpoint: Option<&str>,
    ) -> Result<Revision, StoreError> {
        let n = self.conn().execute(
            "UPDATE revisions SET result = ?2, reason = ?3, endpoint = COALESCE(?4, endpoint),
                 finished_at = ?5
             WHERE id = ?1 AND result = 'in-progress'",
            params![id, result, reason, endpoint, now_ms()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("unfinished revision '{id}'")));
        }
        self.revision(id)?
            .ok_or_else(|| StoreError::NotFound(format!("revision '{id}'")))
    }

    /// A revision by id.
    pub fn revision(&self, id: &str) -> Result<Option<Revision>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM revisions WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()?)
    }

    /// The revisions of a service in an environment, newest first.
    pub fn revisions(&self, service: &str, environment: &str) -> Result<Vec<Revision>, StoreError> {
        self.select_revisions(
            &format!(
                "SELECT {COLUMNS} FROM revisions WHERE service = ?1 AND environment = ?2
                 ORDER BY started_at DESC, rowid DESC"
            ),
            params![service, environment],
        )
    }

    /// The revisions of a service in every environment, newest first.
    pub fn service_revisions(&self, service: &str) -> Result<Vec<Revision>, StoreError> {
        self.select_revisions(
            &format!(
                "SELECT {COLUMNS} FROM revisions WHERE service = ?1 ORDER BY started_at DESC, rowid DESC"
            ),
            params![service],
        )
    }

    /// The revision that serves an environment: its newest successful one.
    pub fn current_revision(
        &self,
        service: &str,
        environment: &str,
    ) -> Result<Option<Revision>, StoreError> {
        Ok(self
            .revisions(service, environment)?
            .into_iter()
            .find(|r| r.result == Revision::SUCCESS))
    }

    /// Deploys of a run that never ended, such as those a crash interrupted.
    pub fn unfinished_revisions(&self, run_id: &str) -> Result<Vec<Revision>, StoreError> {
        self.select_revisions(
            &format!(
                "SELECT {COLUMNS} FROM revisions WHERE run_id = ?1 AND result = 'in-progress'
                 ORDER BY started_at"
            ),
            params![run_id],
        )
    }

    fn select_revisions(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Revision>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map(args, row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
