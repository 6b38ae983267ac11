//! What a container host made once and finds again by key, such as the ECS host's
//! task definition of each container shape: kept here so a restarted runtime, or
//! another replica, reuses it instead of making it again.

use rusqlite::{OptionalExtension, params};

use crate::error::StoreError;
use crate::sqlite::{Store, now_ms};

impl Store {
    /// The value `host` remembered under `key`.
    pub fn host_resource(&self, host: &str, key: &str) -> Result<Option<String>, StoreError> {
        let value = self
            .conn()
            .query_row(
                "SELECT value FROM host_resources WHERE host = ?1 AND key = ?2",
                params![host, key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(value)
    }

    /// Remembers `value` under `key` for `host`, replacing what was there.
    pub fn set_host_resource(&self, host: &str, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO host_resources (host, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (host, key) DO UPDATE SET value = excluded.value,
                 updated_at = excluded.updated_at",
            params![host, key, value, now_ms()],
        )?;
        Ok(())
    }

    /// Forgets `key` of `host`.
    pub fn remove_host_resource(&self, host: &str, key: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "DELETE FROM host_resources WHERE host = ?1 AND key = ?2",
            params![host, key],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::Store;

    #[test]
    fn a_host_resource_is_kept_replaced_and_forgotten_per_host() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.host_resource("ecs", "k").unwrap(), None);
        store.set_host_resource("ecs", "k", "arn:1").unwrap();
        store.set_host_resource("other", "k", "x").unwrap();
        assert_eq!(
            store.host_resource("ecs", "k").unwrap().as_deref(),
            Some("arn:1")
        );
        store.set_host_resource("ecs", "k", "arn:2").unwrap();
        assert_eq!(
            store.host_resource("ecs", "k").unwrap().as_deref(),
            Some("arn:2")
        );
        store.remove_host_resource("ecs", "k").unwrap();
        assert_eq!(store.host_resource("ecs", "k").unwrap(), None);
        assert_eq!(
            store.host_resource("other", "k").unwrap().as_deref(),
            Some("x")
        );
        let reopened = Store::open(dir.path()).unwrap();
        assert_eq!(
            reopened.host_resource("other", "k").unwrap().as_deref(),
            Some("x")
        );
    }
}
