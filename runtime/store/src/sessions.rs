//! Dashboard sessions after a GitHub login: stored by the hash of the cookie's value,
//! with the user's login, role, CSRF token and expiry.

use rusqlite::{OptionalExtension, params};

use crate::error::StoreError;
use crate::sqlite::{Store, now_ms};

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The GitHub login.
    pub login: String,
    /// `viewer` or `operator`.
    pub role: String,
    /// The token that state-changing requests must echo in `X-CSRF-Token`.
    pub csrf: String,
    /// When it ends, in Unix milliseconds.
    pub expires_at: i64,
}

impl Store {
    /// Stores a session under the hash of its cookie value.
    pub fn create_session(&self, hash: &str, session: &SessionRecord) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO sessions (hash, login, role, csrf, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                hash,
                session.login,
                session.role,
                session.csrf,
                now_ms(),
                session.expires_at
            ],
        )?;
        Ok(())
    }

    /// The unexpired session stored under `hash`.
    pub fn session(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT login, role, csrf, expires_at FROM sessions
                 WHERE hash = ?1 AND expires_at > ?2",
                params![hash, now_ms()],
                |r| {
                    Ok(SessionRecord {
                        login: r.get(0)?,
                        role: r.get(1)?,
                        csrf: r.get(2)?,
                        expires_at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Ends the session stored under `hash`, and every expired one.
    pub fn delete_session(&self, hash: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "DELETE FROM sessions WHERE hash = ?1 OR expires_at <= ?2",
            params![hash, now_ms()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sessions_live_until_they_expire_or_end() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let live = SessionRecord {
            login: "octocat".into(),
            role: "operator".into(),
            csrf: "c".into(),
            expires_at: now_ms() + 60_000,
        };
        store.create_session("h1", &live).unwrap();
        store
            .create_session(
                "h2",
                &SessionRecord {
                    expires_at: now_ms() - 1,
                    ..live.clone()
                },
            )
            .unwrap();
        assert_eq!(store.session("h1").unwrap(), Some(live));
        assert_eq!(store.session("h2").unwrap(), None, "expired");
        store.delete_session("h1").unwrap();
        assert_eq!(store.session("h1").unwrap(), None);
    }
}
