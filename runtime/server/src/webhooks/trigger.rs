//! What an accepted delivery asks for, and the queue it is handed to.

use seamless_core::commit::Commit;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// The GitHub event that asks for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookTrigger {
    /// A push to a branch.
    Push,
    /// A pull request was opened, synchronized or reopened.
    PullRequest,
}

impl From<WebhookTrigger> for seamless_core::config::Trigger {
    fn from(trigger: WebhookTrigger) -> Self {
        match trigger {
            WebhookTrigger::Push => Self::Push,
            WebhookTrigger::PullRequest => Self::PullRequest,
        }
    }
}

/// A run asked for by a verified, first-seen delivery.
///
/// Commit shas are 40 (SHA-1) or 64 (SHA-256) hex digits and branch names pass git's
/// ref-name rules; both were checked on receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerRequest {
    /// Push or pull request.
    pub trigger: WebhookTrigger,
    /// `owner/name` (`repository.full_name`).
    pub repository: String,
    /// Where to fetch the source (`repository.clone_url`).
    pub clone_url: String,
    /// The pushed branch, or the pull request's head branch.
    pub branch: String,
    /// The commit to build: the push's `after`, or the pull request's head sha.
    pub commit_sha: Commit,
    /// The push's `before` (absent when the push created the branch), or the pull
    /// request's base sha.
    pub base_sha: Option<Commit>,
    /// The branch a pull request targets (`pull_request.base.ref`).
    pub base_branch: Option<String>,
    /// The repository's default branch, when the payload names it.
    pub default_branch: Option<String>,
    /// The pull request number.
    pub pull_request: Option<u64>,
    /// GitHub's `X-GitHub-Delivery`.
    pub delivery_id: String,
    /// The pipeline whose secret signed the delivery (`None`: the server's default).
    #[serde(default)]
    pub pipeline: Option<String>,
}

/// Why a request could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The queue is at capacity.
    #[error("the run queue is full")]
    Full,
    /// Nothing takes requests from the queue any more.
    #[error("the run queue is closed")]
    Closed,
}

/// Takes accepted requests. It must not block: the endpoint answers GitHub at once.
pub trait Queue: Send + Sync {
    /// Hands `request` over, or says why it cannot.
    fn enqueue(&self, request: TriggerRequest) -> Result<(), QueueError>;
}

impl Queue for mpsc::Sender<TriggerRequest> {
    fn enqueue(&self, request: TriggerRequest) -> Result<(), QueueError> {
        self.try_send(request).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => QueueError::Full,
            mpsc::error::TrySendError::Closed(_) => QueueError::Closed,
        })
    }
}

impl Queue for mpsc::UnboundedSender<TriggerRequest> {
    fn enqueue(&self, request: TriggerRequest) -> Result<(), QueueError> {
        self.send(request).map_err(|_| QueueError::Closed)
    }
}
