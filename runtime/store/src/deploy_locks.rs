//! Deploy locks: one deploy at a time per service and environment, across runs,
//! processes and machines that share the store. A holder renews its lock while it
//! deploys; a lock not renewed for longer than the caller's `stale_ms` (its holder
//! died) may be taken over, and so may a lock of the same run (a resumed run takes
//! over from its process that died mid-deploy: one run never deploys a service to an
//! environment twice at once).

use rusqlite::{OptionalExtension, params};

use crate::error::StoreError;
use crate::sqlite::{Store, now_ms};

/// Who holds a deploy lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployLockHolder {
    /// The holder's id (one per acquisition).
    pub holder: String,
    /// The run that deploys.
    pub run_id: String,
    /// When it took the lock, Unix ms.
    pub acquired_at: i64,
    /// When it last renewed it, Unix ms.
    pub renewed_at: i64,
}

impl Store {
    /// Takes the lock of `service` in `environment` for `holder` of `run_id`, if it is
    /// free, already `holder`'s or `run_id`'s, or not renewed for `stale_ms`. Returns
    /// whether `holder` has it now.
    pub fn try_deploy_lock(
        &self,
        service: &str,
        environment: &str,
        holder: &str,
        run_id: &str,
        stale_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: Option<(String, String, i64)> = tx
            .query_row(
                "SELECT holder, run_id, renewed_at FROM deploy_locks
                 WHERE service = ?1 AND environment = ?2",
                params![service, environment],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let free = match &current {
            None => true,
            Some((h, r, _)) if h == holder || r == run_id => true,
            Some((_, _, renewed)) => now - renewed > stale_ms,
        };
        if free {
            tx.execute(
                "INSERT INTO deploy_locks (service, environment, holder, run_id, acquired_at, renewed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (service, environment) DO UPDATE SET holder = excluded.holder,
                     run_id = excluded.run_id, acquired_at = excluded.acquired_at,
                     renewed_at = excluded.renewed_at",
                params![service, environment, holder, run_id, now],
            )?;
        }
        tx.commit()?;
        Ok(free)
    }

    /// Renews `holder`'s lock; `false` if it no longer holds it (it was taken over).
    pub fn renew_deploy_lock(
        &self,
        service: &str,
        environment: &str,
        holder: &str,
    ) -> Result<bool, StoreError> {
        let changed = self.conn().execute(
            "UPDATE deploy_locks SET renewed_at = ?4
             WHERE service = ?1 AND environment = ?2 AND holder = ?3",
            params![service, environment, holder, now_ms()],
        )?;
        Ok(changed == 1)
    }

    /// Releases `holder`'s lock (a lock someone else holds is left alone).
    pub fn release_deploy_lock(
        &self,
        service: &str,
        environment: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "DELETE FROM deploy_locks WHERE service = ?1 AND environment = ?2 AND holder = ?3",
            params![service, environment, holder],
        )?;
        Ok(())
    }

    /// Who holds the lock of `service` in `environment`, if anyone.
    pub fn deploy_lock(
        &self,
        service: &str,
        environment: &str,
    ) -> Result<Option<DeployLockHolder>, StoreError> {
        let found = self
            .conn()
            .query_row(
                "SELECT holder, run_id, acquired_at, renewed_at FROM deploy_locks
                 WHERE service = ?1 AND environment = ?2",
                params![service, environment],
                |r| {
                    Ok(DeployLockHolder {
                        holder: r.get(0)?,
                        run_id: r.get(1)?,
                        acquired_at: r.get(2)?,
                        renewed_at: r.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::Store;

    #[test]
    fn one_holder_at_a_time_until_it_releases_or_goes_stale() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let other = Store::open(dir.path()).unwrap();
        assert!(
            store
                .try_deploy_lock("web", "prod", "a", "run-1", 60_000)
                .unwrap()
        );
        assert!(
            store
                .try_deploy_lock("web", "prod", "a", "run-1", 60_000)
                .unwrap(),
            "again"
        );
        assert!(
            !other
                .try_deploy_lock("web", "prod", "b", "run-2", 60_000)
                .unwrap()
        );
        assert!(
            other
                .try_deploy_lock("web", "staging", "b", "run-2", 60_000)
                .unwrap()
        );
        assert_eq!(
            store.deploy_lock("web", "prod").unwrap().unwrap().run_id,
            "run-1"
        );
        // b may not release a's lock.
        other.release_deploy_lock("web", "prod", "b").unwrap();
        assert!(
            !other
                .try_deploy_lock("web", "prod", "b", "run-2", 60_000)
                .unwrap()
        );
        store.release_deploy_lock("web", "prod", "a").unwrap();
        assert!(
            other
                .try_deploy_lock("web", "prod", "b", "run-2", 60_000)
                .unwrap()
        );
        // The same run (resumed after its process died) takes its own lock over.
        assert!(
            other
                .try_deploy_lock("web", "staging", "b2", "run-2", 60_000)
                .unwrap()
        );
        // A holder that stopped renewing loses the lock to the next one.
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(
            store
                .try_deploy_lock("web", "prod", "c", "run-3", 5)
                .unwrap()
        );
        assert!(!other.renew_deploy_lock("web", "prod", "b").unwrap());
        assert!(store.renew_deploy_lock("web", "prod", "c").unwrap());
    }
}
