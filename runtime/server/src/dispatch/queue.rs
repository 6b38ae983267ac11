//! The runs submitted through the API that wait for a run slot, and those that could
//! not start, so `GET /api/v1/runs/{id}` can say what became of an id it answered
//! before the run existed.

use std::collections::VecDeque;
use std::sync::Mutex;

/// How many runs that could not start are remembered (the oldest are forgotten).
const FAILED_KEPT: usize = 100;

/// What became of a submitted run that is not (yet) in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// It waits for a run slot, behind this many queued runs of the API.
    Waiting {
        /// Queued API runs ahead of it.
        ahead: usize,
    },
    /// It could not start; the reason.
    Failed(String),
}

/// The API's queued runs, in order, and the latest ones that could not start.
#[derive(Debug, Default)]
pub struct Queue {
    inner: Mutex<Lists>,
}

#[derive(Debug, Default)]
struct Lists {
    waiting: Vec<String>,
    failed: VecDeque<(String, String)>,
}

impl Queue {
    /// Puts `run_id` last in line; returns how many wait ahead of it.
    pub fn push(&self, run_id: &str) -> usize {
        let mut lists = self.lock();
        lists.waiting.push(run_id.to_owned());
        lists.waiting.len() - 1
    }

    /// Takes `run_id` out of line: it started, or it failed with `failed`.
    pub fn settle(&self, run_id: &str, failed: Option<String>) {
        let mut lists = self.lock();
        lists.waiting.retain(|id| id != run_id);
        if let Some(reason) = failed {
            if lists.failed.len() == FAILED_KEPT {
                lists.failed.pop_front();
            }
            lists.failed.push_back((run_id.to_owned(), reason));
        }
    }

    /// What became of `run_id`, if it is queued or could not start.
    pub fn pending(&self, run_id: &str) -> Option<Pending> {
        let lists = self.lock();
        if let Some(ahead) = lists.waiting.iter().position(|id| id == run_id) {
            return Some(Pending::Waiting { ahead });
        }
        lists
            .failed
            .iter()
            .find(|(id, _)| id == run_id)
            .map(|(_, reason)| Pending::Failed(reason.clone()))
    }

    /// How many runs wait in line.
    pub fn len(&self) -> usize {
        self.lock().waiting.len()
    }

    /// Whether no run waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lists> {
        // The lists stay consistent whatever panicked while holding the lock.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_wait_in_order_and_failures_are_remembered() {
        let queue = Queue::default();
        assert_eq!(queue.push("a"), 0);
        assert_eq!(queue.push("b"), 1);
        assert_eq!(queue.pending("b"), Some(Pending::Waiting { ahead: 1 }));
        queue.settle("a", None);
        assert_eq!(queue.pending("a"), None, "started runs are in the store");
        assert_eq!(queue.pending("b"), Some(Pending::Waiting { ahead: 0 }));
        queue.settle("b", Some("no such stage".into()));
        assert_eq!(
            queue.pending("b"),
            Some(Pending::Failed("no such stage".into()))
        );
        assert!(queue.is_empty());
    }

    #[test]
    fn only_the_latest_failures_are_kept() {
        let queue = Queue::default();
        for i in 0..=FAILED_KEPT {
            queue.settle(&i.to_string(), Some("x".into()));
        }
        assert_eq!(queue.pending("0"), None);
        assert!(queue.pending(&FAILED_KEPT.to_string()).is_some());
    }
}
