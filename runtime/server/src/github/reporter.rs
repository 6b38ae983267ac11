//! Posts the commit statuses of runs, and merges a pull request whose run passed, in
//! the background: a run never waits for GitHub, and a call that keeps failing is
//! logged and dropped.

use seamless_core::commit::Commit;
use std::time::Duration;

use seamless_core::config::MergeMethod;
use tokio::sync::{mpsc, watch};

use super::client::{CommitStatus, GitHubClient, StatusState};
use super::error::GitHubError;

/// How often a failing call is tried, and the first pause (doubled after each try).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Tries in all, at least one.
    pub attempts: u32,
    /// The pause after the first failed try.
    pub backoff: Duration,
}

impl Default for Retry {
    /// Four tries, 1 s, 2 s and 4 s apart.
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff: Duration::from_secs(1),
        }
    }
}

/// The commit a run builds: `owner/name`, the sha, and the pull request, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRef {
    /// `owner/name`.
    pub repository: String,
    /// The commit.
    pub sha: Commit,
    /// The pull request whose head it is.
    pub pull_request: Option<u64>,
}

/// How a run (or the request for one) ended, as its commit status tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every stage passed: `success`.
    Passed,
    /// A stage failed: `failure`, naming the first that failed, if known.
    Failed {
        /// `stage` or `stage (service)`.
        at: Option<String>,
    },
    /// Cancelled: `error`.
    Cancelled,
    /// Waiting for a person: stays `pending`.
    AwaitingApproval,
    /// The run could not be carried out: `error`.
    NotCarriedOut,
    /// Nothing needed to run (such as no service changed): `success`, and no merge.
    NothingToRun(String),
}

/// Posts one pipeline's commit statuses, as context `seamless/<pipeline>`.
#[derive(Debug, Clone)]
pub struct StatusReporter {
    client: GitHubClient,
    context: String,
    public_url: Option<String>,
    retry: Retry,
}

impl StatusReporter {
    /// Statuses of `pipeline` through `client`; with `public_url`, each links to
    /// `{public_url}/runs/{run}`.
    pub fn new(client: GitHubClient, pipeline: &str, public_url: Option<&str>) -> Self {
        Self {
            client,
            context: format!("seamless/{pipeline}"),
            public_url: public_url.map(|u| u.trim_end_matches('/').to_string()),
            retry: Retry::default(),
        }
    }

    /// The same reporter, for `pipeline`'s statuses (context `seamless/<pipeline>`).
    pub fn for_pipeline(&self, pipeline: &str) -> Self {
        let mut other = self.clone();
        other.context = format!("seamless/{pipeline}");
        other
    }

    /// The same reporter with another retry policy.
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// The status context, `seamless/<pipeline>`.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The status a run shows: `ending` once it has ended, `None` while it runs.
    pub fn status(&self, run_id: Option<&str>, ending: Option<&Ending>) -> CommitStatus {
        let run = run_id.map_or_else(|| "the run".to_string(), |id| format!("run {id}"));
        let (state, description) = match ending {
            None => (StatusState::Pending, format!("{run} running")),
            Some(Ending::Passed) => (StatusState::Success, format!("{run} passed")),
            Some(Ending::Failed { at: Some(at) }) => {
                (StatusState::Failure, format!("{run} failed at {at}"))
            }
            Some(Ending::Failed { at: None }) => (StatusState::Failure, format!("{run} failed")),
            Some(Ending::Cancelled) => (StatusState::Error, format!("{run} was cancelled")),
            Some(Ending::AwaitingApproval) => {
                (StatusState::Pending, format!("{run} awaits approval"))
            }
            Some(Ending::NotCarriedOut) => (
                StatusState::Error,
                format!("{run} could not be carried out; see the server log"),
            ),
            Some(Ending::NothingToRun(why)) => {
                (StatusState::Success, format!("nothing to run: {why}"))
            }
        };
        let target_url = match (&self.public_url, run_id) {
            (Some(base), Some(id)) => Some(format!("{base}/runs/{id}")),
            _ => None,
        };
        CommitStatus::new(state, &description, &self.context, target_url)
    }

    /// Starts reporting on `commit`; `merge` merges its pull request (with that method)
    /// once a run passes. The updates sent to the returned [`CommitReport`] are posted
    /// in order by a background task, which finishes them even after it is dropped.
    pub fn report(&self, commit: CommitRef, merge: Option<MergeMethod>) -> CommitReport {
        let (updates, mut queue) = mpsc::unbounded_channel();
        let (done, settled) = watch::channel(false);
        let reporter = self.clone();
        tokio::spawn(async move {
            while let Some(update) = queue.recv().await {
                reporter.post(&commit, merge, update).await;
            }
            let _ = done.send(true);
        });
        CommitReport { updates, settled }
    }

    async fn post(&self, commit: &CommitRef, merge: Option<MergeMethod>, update: Update) {
        let (run_id, ending) = match &update {
            Update::Running(id) => (Some(id.as_str()), None),
            Update::Ended { run_id, ending } => (run_id.as_deref(), Some(ending)),
        };
        let status = self.status(run_id, ending);
        let posted = self
            .retrying(|| {
                self.client
                    .create_status(&commit.repository, commit.sha.as_str(), &status)
            })
            .await;
        match posted {
            Ok(()) => tracing::info!(
                run = run_id, repository = %commit.repository, commit = %commit.sha,
                state = status.state.as_str(), "commit status posted"
            ),
            Err(e) => tracing::warn!(
                run = run_id, repository = %commit.repository, commit = %commit.sha,
                state = status.state.as_str(), error = %e, "cannot post the commit status"
            ),
        }
        if let (Some(Ending::Passed), None, Some(number)) = (ending, merge, commit.pull_request) {
            tracing::info!(
                run = run_id, repository = %commit.repository, pull_request = number,
                commit = %commit.sha,
                "pull request left open: [triggers.pull-request] auto-merge is off"
            );
        }
        if let (Some(Ending::Passed), Some(method), Some(number)) =
            (ending, merge, commit.pull_request)
        {
            let merged = self
                .retrying(|| {
                    self.client
                        .merge(&commit.repository, number, commit.sha.as_str(), method)
                })
                .await;
            match merged {
                Ok(()) => tracing::info!(
                    run = run_id, repository = %commit.repository, pull_request = number,
                    commit = %commit.sha, method = %method, "pull request merged"
                ),
                Err(e) => tracing::warn!(
                    run = run_id, repository = %commit.repository, pull_request = number,
                    commit = %commit.sha, error = %e, "cannot merge the pull request"
                ),
            }
        }
    }

    /// `call` until it succeeds, fails for good, or has been tried `attempts` times.
    async fn retrying<F, Fut>(&self, mut call: F) -> Result<(), GitHubError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), GitHubError>>,
    {
        let mut pause = self.retry.backoff;
        let mut tries = 1;
        loop {
            match call().await {
                Err(e) if e.is_transient() && tries < self.retry.attempts => {
                    tracing::debug!(error = %e, "GitHub call failed; trying again in {pause:?}");
                    tokio::time::sleep(pause).await;
                    pause = pause.saturating_mul(2);
                    tries += 1;
                }
                result => return result,
            }
        }
    }
}

#[derive(Debug)]
enum Update {
    Running(String),
    Ended {
        run_id: Option<String>,
        ending: Ending,
    },
}

/// The statuses of one commit, posted in the order they are given, off the caller's
/// path.
#[derive(Debug)]
pub struct CommitReport {
    updates: mpsc::UnboundedSender<Update>,
    settled: watch::Receiver<bool>,
}

impl CommitReport {
    /// Run `run_id` was created: `pending`.
    pub fn running(&self, run_id: &str) {
        let _ = self.updates.send(Update::Running(run_id.to_string()));
    }

    /// The run (if one was created) ended so.
    pub fn ended(&self, run_id: Option<&str>, ending: Ending) {
        let _ = self.updates.send(Update::Ended {
            run_id: run_id.map(str::to_string),
            ending,
        });
    }

    /// Gives no more updates and returns once every one given has been carried out
    /// (posted, merged, or given up on): what was decided can then be checked.
    pub async fn settled(self) {
        let Self {
            updates,
            mut settled,
        } = self;
        drop(updates);
        let _ = settled.wait_for(|done| *done).await;
    }
}
