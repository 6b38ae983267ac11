//! API tokens: only a hash of each token is stored, never the token itself.

use rusqlite::{OptionalExtension, params};

use crate::error::StoreError;
use crate::sqlite::{Store, now_ms};

/// A stored API token (without the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Its id, shown in listings and used to revoke it.
    pub id: String,
    /// What it is for, as its creator named it.
    pub name: String,
    /// `viewer` or `operator`.
    pub role: String,
    /// When it was created, in Unix milliseconds.
    pub created_at: i64,
    /// When it was last used, in Unix milliseconds.
    pub last_used_at: Option<i64>,
    /// When it was revoked, in Unix milliseconds.
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, name, role, created_at, last_used_at, revoked_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        role: r.get(2)?,
        created_at: r.get(3)?,
        last_used_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

impl Store {
    /// Stores a token by the hash of its value.
    pub fn create_token(
        &self,
        id: &str,
        name: &str,
        role: &str,
        hash: &str,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, name, role, hash, now_ms()],
        )?;
        Ok(())
    }

    /// The live (not revoked) token with this hash, marked as used now.
    pub fn use_token(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let conn = self.conn();
        let found = conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM api_tokens WHERE hash = ?1 AND revoked_at IS NULL"),
                params![hash],
                row,
            )
            .optional()?;
        if let Some(token) = &found {
            conn.execute(
                "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
                params![token.id, now_ms()],
            )?;
        }
        Ok(found)
    }

    /// Every token, newest first.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM api_tokens ORDER BY created_at DESC, id DESC"
        ))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes a token; revoking one twice is not an error.
    pub fn revoke_token(&self, id: &str) -> Result<(), StoreError> {
        let n = self.conn().execute(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
            params![id, now_ms()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("token '{id}'")));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_found_by_its_hash_until_it_is_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.create_token("t1", "ci", "operator", "h1").unwrap();
        assert!(store.use_token("nope").unwrap().is_none());
        let found = store.use_token("h1").unwrap().unwrap();
        assert_eq!(
            (found.name.as_str(), found.role.as_str()),
            ("ci", "operator")
        );
        assert!(store.tokens().unwrap()[0].last_used_at.is_some());
        store.revoke_token("t1").unwrap();
        store.revoke_token("t1").unwrap();
        assert!(store.use_token("h1").unwrap().is_none());
        assert!(store.revoke_token("ghost").is_err());
        // The same hash cannot be stored twice.
        assert!(store.create_token("t2", "x", "viewer", "h1").is_err());
    }
}
