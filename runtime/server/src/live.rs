//! The live feed: one task reads new status changes and log lines from the store and
//! hands them to every subscriber; a subscriber first replays what it missed from the
//! store (from the cursor it gives), so reconnecting clients get no gap and no
//! duplicate.
//!
//! The store wakes the hub at once on every change this process makes (its change
//! hook); changes made by other processes sharing the database (a `seamless run` beside
//! the server) are picked up within [`IDLE_READ`].

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use seamless_store::{FeedEntry, LogEntry, LogQuery, Store, StoreError};
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;

/// How often the hub looks for changes made by other processes.
pub const IDLE_READ: Duration = Duration::from_millis(250);

/// How many batches a slow subscriber may fall behind before it rereads the store.
const BACKLOG: usize = 256;

/// Most entries read from the store at once.
const PAGE: u32 = 2000;

/// A place in the feed: the last status change and the last log line seen. Written
/// `FEED-LOG` (the SSE event id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    /// The id of the last status change seen.
    pub feed: i64,
    /// The id of the last log line seen.
    pub logs: i64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.feed, self.logs)
    }
}

/// A cursor that is not `FEED-LOG` (two non-negative integers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an event id: event ids look like 120-4711")]
pub struct BadCursor(pub String);

impl FromStr for Cursor {
    type Err = BadCursor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadCursor(s.chars().take(64).collect());
        let (feed, logs) = s.trim().split_once('-').ok_or_else(bad)?;
        let feed: i64 = feed.parse().map_err(|_| bad())?;
        let logs: i64 = logs.parse().map_err(|_| bad())?;
        if feed < 0 || logs < 0 {
            return Err(bad());
        }
        Ok(Self { feed, logs })
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// A run's or a stage's status changed.
    Status(FeedEntry),
    /// A log line.
    Log(LogEntry),
}

impl Update {
    /// The run it belongs to.
    pub fn run_id(&self) -> &str {
        match self {
            Self::Status(e) => &e.run_id,
            Self::Log(l) => &l.run_id,
        }
    }

    /// Whether `cursor` already covers it.
    pub fn seen_by(&self, cursor: Cursor) -> bool {
        match self {
            Self::Status(e) => e.id <= cursor.feed,
            Self::Log(l) => l.id <= cursor.logs,
        }
    }

    /// `cursor` moved past it.
    pub fn advance(&self, cursor: Cursor) -> Cursor {
        match self {
            Self::Status(e) => Cursor {
                feed: cursor.feed.max(e.id),
                ..cursor
            },
            Self::Log(l) => Cursor {
                logs: cursor.logs.max(l.id),
                ..cursor
            },
        }
    }

    /// Where it happened: a log line by its id; a status change after the log line
    /// that was newest when it was made.
    fn order(&self) -> (i64, u8, i64) {
        match self {
            Self::Status(e) => (e.after_log, 1, e.id),
            Self::Log(l) => (l.id, 0, 0),
        }
    }
}

/// Reads the store after `cursor`: status changes and log lines (of one run, if
/// given), in the order they happened, and whether more remain.
pub fn read_after(
    store: &Store,
    cursor: Cursor,
    run_id: Option<&str>,
) -> Result<(Vec<Update>, bool), StoreError> {
    let mut feed = store.feed_since(cursor.feed, run_id, PAGE)?;
    let mut logs = store.log_entries(&LogQuery {
        run_id: run_id.map(str::to_string),
        after: cursor.logs,
        limit: PAGE,
        ..LogQuery::default()
    })?;
    let feed_full = feed.len() == PAGE as usize;
    let logs_full = logs.len() == PAGE as usize;
    // A full page ends early: keep only what is known to come before the other
    // page's continuation.
    if logs_full && let Some(last) = logs.last().map(|l| l.id) {
        feed.retain(|e| e.after_log < last);
    }
    if feed_full && let Some(last) = feed.last().map(|e| e.after_log) {
        logs.retain(|l| l.id <= last);
    }
    let mut updates: Vec<Update> = feed
        .into_iter()
        .map(Update::Status)
        .chain(logs.into_iter().map(Update::Log))
        .collect();
    updates.sort_by_key(Update::order);
    Ok((updates, feed_full || logs_full))
}

/// Hands every new update to every subscriber.
pub struct Hub {
    store: Arc<Store>,
    wake: Notify,
    tx: broadcast::Sender<Arc<Vec<Update>>>,
}

impl Hub {
    /// A hub over `store`, woken by its change hook. Run it with [`Hub::run`].
    pub fn new(store: Arc<Store>) -> Arc<Self> {
        let (tx, _) = broadcast::channel(BACKLOG);
        let hub = Arc::new(Self {
            store: store.clone(),
            wake: Notify::new(),
            tx,
        });
        let weak = Arc::downgrade(&hub);
        store.set_change_hook(Arc::new(move || {
            if let Some(hub) = weak.upgrade() {
                hub.wake.notify_one();
            }
        }));
        hub
    }

    /// The newest place in the feed.
    pub fn head(&self) -> Result<Cursor, StoreError> {
        let (feed, logs) = self.store.feed_head()?;
        Ok(Cursor { feed, logs })
    }

    /// Receives every batch from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Vec<Update>>> {
        self.tx.subscribe()
    }

    /// How many subscribers listen.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// The store the hub reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Reads and broadcasts new updates until `stop` fires.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let mut cursor = match self.head() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "the live feed cannot read the store; it stays silent");
                return;
            }
        };
        loop {
            let read = read_after(&self.store, cursor, None);
            let more = match read {
                Ok((updates, more)) => {
                    if !updates.is_empty() {
                        cursor = updates.iter().fold(cursor, |c, u| u.advance(c));
                        // No receiver is not an error: nobody listens yet.
                        let _ = self.tx.send(Arc::new(updates));
                    }
                    more
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the live feed could not read the store");
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(IDLE_READ) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let c: Cursor = "12-345".parse().unwrap();
        assert_eq!(
            c,
            Cursor {
                feed: 12,
                logs: 345
            }
        );
        assert_eq!(c.to_string(), "12-345");
        for bad in ["", "12", "a-1", "-1-2", "1-2-3", "1--2"] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }
}
