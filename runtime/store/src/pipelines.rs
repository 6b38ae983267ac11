//! The pipelines a server carries out: each a `seamless.toml` on the server's disk (the
//! source of truth for its stages and services) and the secret its webhooks are
//! signed with.

use rusqlite::{OptionalExtension, params};

use crate::error::StoreError;
use crate::sqlite::{Store, now_ms};

/// A registered pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineRecord {
    /// Its name (the `pipeline` key of its configuration).
    pub name: String,
    /// The path of its `seamless.toml`.
    pub config_path: String,
    /// The secret its GitHub webhooks are signed with.
    pub webhook_secret: Option<String>,
    /// When it was registered, in Unix milliseconds.
    pub created_at: i64,
    /// When it was last changed, in Unix milliseconds.
    pub updated_at: i64,
}

const COLUMNS: &str = "name, config_path, webhook_secret, created_at, updated_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PipelineRecord> {
    Ok(PipelineRecord {
        name: r.get(0)?,
        config_path: r.get(1)?,
        webhook_secret: r.get(2)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

impl Store {
    /// Registers a pipeline, or changes the path and secret of the one of that name.
    pub fn put_pipeline(
        &self,
        name: &str,
        config_path: &str,
        webhook_secret: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        self.conn().execute(
            "INSERT INTO pipelines (name, config_path, webhook_secret, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT(name) DO UPDATE SET config_path = ?2, webhook_secret = ?3, updated_at = ?4",
            params![name, config_path, webhook_secret, now],
        )?;
        Ok(())
    }

    /// The pipeline called `name`.
    pub fn pipeline(&self, name: &str) -> Result<Option<PipelineRecord>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM pipelines WHERE name = ?1"),
                params![name],
                row,
            )
            .optional()?)
    }

    /// Every registered pipeline, by name.
    pub fn pipelines(&self) -> Result<Vec<PipelineRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM pipelines ORDER BY name"))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Unregisters a pipeline (its runs stay). Returns whether it was registered.
    pub fn delete_pipeline(&self, name: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute("DELETE FROM pipelines WHERE name = ?1", params![name])?;
        Ok(n > 0)
    }
}
