//! Webhook deliveries, kept so that a redelivery (same `X-GitHub-Delivery`) starts
//! nothing new.
//!
//! A delivery is recorded with a single `INSERT ... ON CONFLICT DO NOTHING`: of two
//! requests carrying the same id, exactly one records it, even across processes.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use crate::error::StoreError;
use crate::sqlite::{Store, now_ms};

/// A recorded webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The sender's delivery id (GitHub's `X-GitHub-Delivery`).
    pub delivery_id: String,
    /// The event name (GitHub's `X-GitHub-Event`).
    pub event: String,
    /// When it was recorded, in milliseconds since the Unix epoch.
    pub received_at: i64,
    /// What became of it (for example `queued`, `ignored`, `pong`).
    pub outcome: String,
    /// The run it started, once one was created.
    pub run_id: Option<String>,
}

const COLUMNS: &str = "delivery_id, event, received_at, outcome, run_id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        delivery_id: r.get(0)?,
        event: r.get(1)?,
        received_at: r.get(2)?,
        outcome: r.get(3)?,
        run_id: r.get(4)?,
    })
}

impl Store {
    /// Records a delivery now. Returns `true` if it is new, `false` if a delivery with
    /// this id was already recorded (which is left as it was).
    pub fn record_delivery(
        &self,
        delivery_id: &str,
        event: &str,
        outcome: &str,
    ) -> Result<bool, StoreError> {
        let inserted = self.conn().execute(
            "INSERT INTO webhook_deliveries (delivery_id, event, received_at, outcome)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (delivery_id) DO NOTHING",
            params![delivery_id, event, now_ms(), outcome],
        )?;
        Ok(inserted == 1)
    }

    /// Removes a delivery, so that a redelivery of it is handled again (used when the
    /// work it announced could not be queued). Returns whether it existed.
    pub fn forget_delivery(&self, delivery_id: &str) -> Result<bool, StoreError> {
        let removed = self.conn().execute(
            "DELETE FROM webhook_deliveries WHERE delivery_id = ?1",
            params![delivery_id],
        )?;
        Ok(removed == 1)
    }

    /// Records what came of a queued delivery, such as `ignored` or `failed`.
    pub fn set_delivery_outcome(&self, delivery_id: &str, outcome: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE webhook_deliveries SET outcome = ?2 WHERE delivery_id = ?1",
            params![delivery_id, outcome],
        )?;
        Ok(())
    }

    /// Links a delivery to the run it started (its outcome becomes `started`).
    pub fn set_delivery_run(&self, delivery_id: &str, run_id: &str) -> Result<(), StoreError> {
        let updated = self.conn().execute(
            "UPDATE webhook_deliveries SET run_id = ?2, outcome = 'started' WHERE delivery_id = ?1",
            params![delivery_id, run_id],
        )?;
        if updated == 0 {
            return Err(StoreError::NotFound(format!(
                "webhook delivery '{delivery_id}'"
            )));
        }
        Ok(())
    }

    /// The delivery with this id, if recorded.
    pub fn delivery(&self, delivery_id: &str) -> Result<Option<Delivery>, StoreError> {
        let found = self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM webhook_deliveries WHERE delivery_id = ?1"),
                params![delivery_id],
                row,
            )
            .optional()?;
        Ok(found)
    }

    /// The most recent deliveries, newest first, at most `limit`.
    pub fn deliveries(&self, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM webhook_deliveries
             ORDER BY received_at DESC, rowid DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map(params![limit], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many runs have each status.
    pub fn run_counts(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT status, COUNT(*) FROM runs GROUP BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut counts = BTreeMap::new();
        for entry in rows {
            let (status, n) = entry?;
            counts.insert(status, u64::try_from(n).unwrap_or(0));
        }
        Ok(counts)
    }

    /// How many recorded deliveries had each outcome.
    pub fn delivery_outcomes(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT outcome, COUNT(*) FROM webhook_deliveries GROUP BY outcome")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut counts = BTreeMap::new();
        for entry in rows {
            let (outcome, n) = entry?;
            counts.insert(outcome, u64::try_from(n).unwrap_or(0));
        }
        Ok(counts)
    }

    /// Removes deliveries recorded before `before_ms` (milliseconds since the Unix
    /// epoch). Returns how many were removed.
    pub fn prune_deliveries(&self, before_ms: i64) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM webhook_deliveries WHERE received_at < ?1",
            params![before_ms],
        )?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::{Store, StoreError, now_ms};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn a_delivery_is_recorded_once() {
        let (_d, store) = store();
        assert!(store.record_delivery("d-1", "push", "queued").unwrap());
        assert!(!store.record_delivery("d-1", "push", "ignored").unwrap());
        let d = store.delivery("d-1").unwrap().unwrap();
        assert_eq!(d.event, "push");
        assert_eq!(d.outcome, "queued", "a duplicate leaves the first record");
        assert_eq!(d.run_id, None);
        assert_eq!(store.deliveries(10).unwrap().len(), 1);
    }

    #[test]
    fn concurrent_recordings_of_one_delivery_admit_exactly_one() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).unwrap();
        let second = Store::open(dir.path()).unwrap();
        let won = std::thread::scope(|s| {
            let a = s.spawn(|| first.record_delivery("same", "push", "queued").unwrap());
            let b = s.spawn(|| second.record_delivery("same", "push", "queued").unwrap());
            [a.join().unwrap(), b.join().unwrap()]
        });
        assert_eq!(won.iter().filter(|w| **w).count(), 1);
    }

    #[test]
    fn a_forgotten_delivery_can_be_recorded_again() {
        let (_d, store) = store();
        store.record_delivery("d-1", "push", "queued").unwrap();
        assert!(store.forget_delivery("d-1").unwrap());
        assert!(!store.forget_delivery("d-1").unwrap());
        assert!(store.record_delivery("d-1", "push", "queued").unwrap());
    }

    #[test]
    fn a_delivery_links_to_its_run() {
        let (_d, store) = store();
        store.record_delivery("d-1", "push", "queued").unwrap();
        store.set_delivery_run("d-1", "run-9").unwrap();
        assert_eq!(
            store.delivery("d-1").unwrap().unwrap().run_id.as_deref(),
            Some("run-9")
        );
        assert!(matches!(
            store.set_delivery_run("nope", "run-9"),
            Err(StoreError::NotFound(_))
        ));
    }

    #[test]
    fn outcomes_are_counted_and_old_deliveries_pruned() {
        let (_d, store) = store();
        store.record_delivery("a", "push", "queued").unwrap();
        store
            .record_delivery("b", "pull_request", "queued")
            .unwrap();
        store.record_delivery("c", "issues", "ignored").unwrap();
        let counts = store.delivery_outcomes().unwrap();
        assert_eq!(counts.get("queued"), Some(&2));
        assert_eq!(counts.get("ignored"), Some(&1));
        let newest = store.deliveries(2).unwrap();
        assert_eq!(newest.len(), 2);
        assert_eq!(newest[0].delivery_id, "c");
        assert_eq!(store.prune_deliveries(now_ms() + 1).unwrap(), 3);
        assert!(store.deliveries(10).unwrap().is_empty());
    }
}
