//! Starts every run the server carries out: webhook deliveries ([`crate::worker`]), API
//! triggers, reruns and rollbacks ([`crate::api::actions`]). One rule for all of them:
//! - admission: at most `max_runs` runs at once; the others wait in turn for a slot
//!   (resumed runs aside: they were admitted before, see [`crate::resume`]). A run
//!   submitted through the API never makes its caller wait: it gets its run id at once
//!   and, when every slot is taken, waits in the [`queue`] (see [`Dispatcher::submit`]);
//! - parallelism: every run gets the server's `max_parallel` (`serve --parallel`);
//! - each run goes on in the background; its starter gets the run id once it is
//!   planned;
//! - a run started with a [`CommitReport`] has its commit status posted: `pending`
//!   once it exists, then how it ended.
//!
//! [`requests`] builds the run requests of the API's actions.

pub mod queue;
pub mod requests;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use seamless_core::state::{RunStatus, StageStatus};
use seamless_scheduler::{RunEvent, RunRequest, new_run_id};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::github::{CommitReport, Ending};
use crate::runtime::Runtime;
use queue::{Pending, Queue};

/// Why a run did not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// The scheduler gave up before the run existed.
    #[error("the run could not start: {0}")]
    Failed(String),
    /// The run's task ended without creating it (it panicked).
    #[error("the run could not start: it ended before it was created")]
    Vanished,
    /// The server is stopping and admits no more runs.
    #[error("the server is stopping and starts no more runs")]
    Closed,
}

/// Admits, starts and follows the server's runs (see the module docs).
pub struct Dispatcher {
    runtime: Runtime,
    slots: Arc<Semaphore>,
    max_parallel: usize,
    waiting: AtomicUsize,
    queue: Queue,
}

/// What [`Dispatcher::submit`] did with a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The run's id, the one it has (or will have once it starts) in the store.
    pub run_id: String,
    /// `None` when the run started; else how many queued runs wait ahead of it.
    pub ahead: Option<usize>,
}

/// A run slot, held from admission until the run ends.
#[derive(Debug)]
pub struct Admission {
    _slot: OwnedSemaphorePermit,
}

impl Dispatcher {
    /// A dispatcher starting runs on `runtime`'s host, at most `max_runs` at once, each
    /// with at most `max_parallel` stage instances at once (both at least 1).
    pub fn new(runtime: Runtime, max_parallel: usize, max_runs: usize) -> Arc<Self> {
        Arc::new(Self {
            runtime,
            slots: Arc::new(Semaphore::new(max_runs.max(1))),
            max_parallel: max_parallel.max(1),
            waiting: AtomicUsize::new(0),
            queue: Queue::default(),
        })
    }

    /// The parts runs are carried out with.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Most stage instances of one run at once.
    pub fn max_parallel(&self) -> usize {
        self.max_parallel
    }

    /// How many starters wait for a run slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Waits for a run slot, in turn. Dropping the future gives the turn up.
    pub async fn admit(&self) -> Result<Admission, StartError> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        let permit = self.slots.clone().acquire_owned().await;
        permit
            .map(|slot| Admission { _slot: slot })
            .map_err(|_| StartError::Closed)
    }

    /// Starts `request` if a run slot is free, answering once it is planned; else puts
    /// it in the queue and answers at once with its id and place, and it starts when
    /// its turn comes ([`Dispatcher::pending`] says what became of it meanwhile).
    pub async fn submit(self: &Arc<Self>, request: RunRequest) -> Result<Submitted, StartError> {
        let run_id = new_run_id();
        match self.slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let admission = Admission { _slot: slot };
                let run_id = self.start_as(admission, run_id, request, None).await?;
                return Ok(Submitted {
                    run_id,
                    ahead: None,
                });
            }
            Err(TryAcquireError::Closed) => return Err(StartError::Closed),
            Err(TryAcquireError::NoPermits) => {}
        }
        let ahead = self.queue.push(&run_id);
        tracing::info!(run = %run_id, ahead, "every run slot is taken; the run waits for one");
        let this = Arc::clone(self);
        let id = run_id.clone();
        tokio::spawn(async move {
            let started = match this.admit().await {
                Ok(admission) => this.start_as(admission, id.clone(), request, None).await,
                Err(e) => Err(e),
            };
            let failed = started.err().map(|e| {
                tracing::error!(run = %id, error = %e, "a queued run could not start");
                e.to_string()
            });
            this.queue.settle(&id, failed);
        });
        Ok(Submitted {
            run_id,
            ahead: Some(ahead),
        })
    }

    /// What became of a submitted run that is not in the store: queued, or failed to
    /// start; `None` if the dispatcher knows nothing of `run_id`.
    pub fn pending(&self, run_id: &str) -> Option<Pending> {
        self.queue.pending(run_id)
    }

    /// Starts `request` in the slot `admission` holds, with the server's parallelism,
    /// and returns the run's id once it is planned. The run goes on in the background
    /// and frees the slot when it ends; `report` (if any) gets its commit statuses.
    pub async fn start(
        &self,
        admission: Admission,
        request: RunRequest,
        report: Option<CommitReport>,
    ) -> Result<String, StartError> {
        self.start_as(admission, new_run_id(), request, report)
            .await
    }

    async fn start_as(
        &self,
        admission: Admission,
        run_id: String,
        mut request: RunRequest,
        report: Option<CommitReport>,
    ) -> Result<String, StartError> {
        request.max_parallel = self.max_parallel;
        let scheduler = self.runtime.scheduler(self.runtime.host.clone());
        let (started, id) = oneshot::channel();
        tokio::spawn(async move {
            let _slot = admission;
            let (tx, mut events) = mpsc::unbounded_channel();
            let run = scheduler.run_as(run_id, request, tx, CancellationToken::new());
            tokio::pin!(run);
            let mut follow = Follow {
                started: Some(started),
                run_id: None,
                failed_at: None,
                report: report.as_ref(),
            };
            let outcome = loop {
                tokio::select! {
                    outcome = &mut run => break outcome,
                    Some(event) = events.recv() => follow.on(event),
                }
            };
            while let Ok(event) = events.try_recv() {
                follow.on(event);
            }
            follow.end(outcome.map(|o| (o.run_id, o.status)));
        });
        match id.await {
            Ok(started) => started,
            Err(_) => Err(StartError::Vanished),
        }
    }
}

/// Counts a starter waiting for a slot until it is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a started run's events tell its starter and its commit report.
struct Follow<'a> {
    started: Option<oneshot::Sender<Result<String, StartError>>>,
    run_id: Option<String>,
    failed_at: Option<String>,
    report: Option<&'a CommitReport>,
}

impl Follow<'_> {
    fn on(&mut self, event: RunEvent) {
        match event {
            RunEvent::Planned { run_id, .. } => {
                if let Some(report) = self.report {
                    report.running(&run_id);
                }
                if let Some(started) = self.started.take() {
                    let _ = started.send(Ok(run_id.clone()));
                }
                self.run_id = Some(run_id);
            }
            RunEvent::Stage {
                service,
                stage,
                status: StageStatus::Failure,
                ..
            } if self.failed_at.is_none() => {
                self.failed_at = Some(if service.is_empty() {
                    stage
                } else {
                    format!("{stage} ({service})")
                });
            }
            _ => {}
        }
    }

    fn end<E: std::fmt::Display>(mut self, outcome: Result<(String, RunStatus), E>) {
        let ending = match outcome {
            Ok((run_id, status)) => {
                tracing::info!(run = %run_id, %status, "run ended");
                self.run_id = Some(run_id);
                ending(status, self.failed_at.take())
            }
            Err(e) => {
                tracing::error!(run = ?self.run_id, error = %e, "the run could not be carried out");
                if let Some(started) = self.started.take() {
                    let _ = started.send(Err(StartError::Failed(e.to_string())));
                }
                Some(Ending::NotCarriedOut)
            }
        };
        if let (Some(report), Some(ending)) = (self.report, ending) {
            report.ended(self.run_id.as_deref(), ending);
        }
    }
}

/// The final commit status of a run that ended with `status`, whose first failed stage
/// was `failed_at`; `None` for a run left unfinished (its status stays `pending`).
pub fn ending(status: RunStatus, failed_at: Option<String>) -> Option<Ending> {
    match status {
        RunStatus::Success => Some(Ending::Passed),
        RunStatus::Failure => Some(Ending::Failed { at: failed_at }),
        RunStatus::Cancelled => Some(Ending::Cancelled),
        RunStatus::AwaitingApproval => Some(Ending::AwaitingApproval),
        RunStatus::InProgress => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_statuses_map_to_commit_statuses() {
        let failed = ending(RunStatus::Failure, Some("show (app)".into()));
        assert_eq!(
            failed,
            Some(Ending::Failed {
                at: Some("show (app)".into())
            })
        );
        assert_eq!(ending(RunStatus::Success, None), Some(Ending::Passed));
        assert_eq!(ending(RunStatus::Cancelled, None), Some(Ending::Cancelled));
        assert_eq!(
            ending(RunStatus::AwaitingApproval, None),
            Some(Ending::AwaitingApproval)
        );
        assert_eq!(ending(RunStatus::InProgress, None), None, "left for resume");
    }
}
