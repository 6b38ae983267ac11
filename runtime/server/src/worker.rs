//! Carries queued [`TriggerRequest`]s out: decides whether each runs, waits for a run
//! slot, selects the services whose files changed, plans the run and starts it through
//! the server's [`Dispatcher`] (which admits, at most `max_runs` at once, the API's
//! runs too). A failing run (or a panicking one) is logged and never stops the worker.
//!
//! With a [`StatusReporter`] ([`Worker::with_statuses`]), every push and pull request
//! that gets this far has its commit statuses posted: `pending` once its run exists,
//! then `success`, `failure`, or `error` (cancelled, or not carried out); `success`
//! also when nothing needed to run (no service changed), so a required check does not
//! wait forever. A pull request whose run passed is merged when `[triggers.pull-request]
//! auto-merge` is on.

use std::sync::Arc;

use seamless_core::commit::Commit;
use seamless_core::config::{Config, Trigger};
use seamless_core::plan::{PlanFilter, changed_services, plan};
use seamless_engine::SourceSpec;
use seamless_scheduler::RunRequest;
use tokio::sync::{OwnedRwLockReadGuard, RwLock, mpsc};
use tokio_util::sync::CancellationToken;

use crate::dispatch::{Admission, Dispatcher};
use crate::github::{CommitRef, CommitReport, Ending, StatusReporter};
use crate::mirror::{Mirrors, Range};
use crate::pipeline::Pipeline;
use crate::registry::Pipelines;
use crate::webhooks::{OUTCOME_FAILED, OUTCOME_IGNORED};
use crate::webhooks::{TriggerRequest, WebhookTrigger};

/// Why a request starts no run, if it does not.
pub fn ignored(request: &TriggerRequest, config: &Config) -> Option<String> {
    match request.trigger {
        WebhookTrigger::Push if !config.triggers.push_branches.contains(&request.branch) => {
            Some(format!(
                "push to {} ([triggers.push] branches: {})",
                request.branch,
                config.triggers.push_branches.join(", ")
            ))
        }
        _ => None,
    }
}

/// Which services a request runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every service (that takes part in the trigger's runs).
    All,
    /// Only these, whose files changed; possibly none.
    Only(Vec<String>),
}

/// Takes requests from the queue and carries their runs out.
pub struct Worker {
    shared: Arc<Shared>,
}

struct Shared {
    runs: Arc<Dispatcher>,
    pipelines: Arc<Pipelines>,
    default: String,
    mirrors: Mirrors,
    statuses: Option<StatusReporter>,
}

impl Worker {
    /// A worker starting the runs of requests of `pipelines` (those without a pipeline
    /// name run `default`) through `runs`.
    pub fn new(runs: Arc<Dispatcher>, pipelines: Arc<Pipelines>, default: String) -> Self {
        let mirrors = Mirrors::new(&runs.runtime().data_dir);
        Self {
            shared: Arc::new(Shared {
                runs,
                pipelines,
                default,
                mirrors,
                statuses: None,
            }),
        }
    }

    /// The same worker, posting commit statuses (and merging pull requests) through
    /// `reporter`.
    pub fn with_statuses(mut self, reporter: StatusReporter) -> Self {
        // Nothing shares `shared` before `run`.
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.statuses = Some(reporter);
        }
        self
    }

    /// Takes requests until the queue closes or `stop` fires. Runs it started go on in
    /// the background. Requests that have not created their run when it stops (still
    /// queued, waiting for a run slot, or listing changed files) are forgotten: their
    /// deliveries are removed from the store, so that a redelivery is handled afresh.
    /// It returns once every request has either created its run or been forgotten.
    pub async fn run(self, mut queue: mpsc::Receiver<TriggerRequest>, stop: CancellationToken) {
        // Held (shared) by each request until its run is created.
        let starting = Arc::new(RwLock::new(()));
        loop {
            let request = tokio::select! {
                biased;
                () = stop.cancelled() => break,
                next = queue.recv() => match next {
                    Some(request) => request,
                    None => break,
                },
            };
            let Some(pipeline) = self.shared.pipeline_of(&request) else {
                self.shared.settle(&request, OUTCOME_IGNORED);
                continue;
            };
            if let Some(reason) = ignored(&request, &pipeline.config) {
                tracing::info!(delivery = %request.delivery_id, "ignored: {reason}");
                self.shared.settle(&request, OUTCOME_IGNORED);
                continue;
            }
            let admission = tokio::select! {
                biased;
                () = stop.cancelled() => {
                    self.shared.forget(&request);
                    break;
                }
                admission = self.shared.runs.admit() => match admission {
                    Ok(admission) => admission,
                    Err(_) => {
                        self.shared.forget(&request);
                        break;
                    }
                },
            };
            let shared = self.shared.clone();
            let (starting, stop) = (starting.clone().read_owned().await, stop.clone());
            tokio::spawn(async move {
                shared
                    .handle(&pipeline, request, admission, starting, stop)
                    .await;
            });
        }
        queue.close();
        while let Ok(request) = queue.try_recv() {
            self.shared.forget(&request);
        }
        let _all_started = starting.write().await;
    }
}

impl Shared {
    /// Records what came of a request that started no run.
    fn settle(&self, request: &TriggerRequest, outcome: &str) {
        if let Err(e) = self
            .runs
            .runtime()
            .store
            .set_delivery_outcome(&request.delivery_id, outcome)
        {
            tracing::warn!(delivery = %request.delivery_id, error = %e, "cannot record the delivery's outcome");
        }
    }

    /// The pipeline a request is for, if it is still registered.
    fn pipeline_of(&self, request: &TriggerRequest) -> Option<Pipeline> {
        let name = request.pipeline.as_deref().unwrap_or(&self.default);
        let found = self.pipelines.get(name);
        if found.is_none() {
            tracing::warn!(
                delivery = %request.delivery_id, pipeline = name,
                "the delivery's pipeline is no longer registered; nothing runs"
            );
        }
        found
    }

    /// Removes the delivery of a request that never started, so a redelivery runs it.
    fn forget(&self, request: &TriggerRequest) {
        match self
            .runs
            .runtime()
            .store
            .forget_delivery(&request.delivery_id)
        {
            Ok(_) => tracing::info!(
                delivery = %request.delivery_id,
                "not started before the server stopped; a redelivery will run it"
            ),
            Err(e) => tracing::error!(
                delivery = %request.delivery_id, error = %e,
                "cannot forget an unstarted delivery"
            ),
        }
    }

    /// Carries one request out in the slot `admission` holds. `starting` is released
    /// once its run exists; if `stop` fires before that, the request is forgotten
    /// instead.
    async fn handle(
        &self,
        pipeline: &Pipeline,
        request: TriggerRequest,
        admission: Admission,
        starting: OwnedRwLockReadGuard<()>,
        stop: CancellationToken,
    ) {
        let delivery = request.delivery_id.as_str();
        let trigger = Trigger::from(request.trigger);
        let config = &pipeline.config;
        let selection = tokio::select! {
            biased;
            () = stop.cancelled() => {
                self.forget(&request);
                return;
            }
            selection = self.select(pipeline, &request) => selection,
        };
        let report = self.report(pipeline, &request);
        let services = match selection {
            Selection::All => Vec::new(),
            Selection::Only(services) if services.is_empty() => {
                tracing::info!(
                    delivery,
                    commit = %request.commit_sha,
                    "no service changed; nothing to run"
                );
                if let Some(report) = &report {
                    report.ended(None, Ending::NothingToRun("no service changed".into()));
                }
                self.settle(&request, OUTCOME_IGNORED);
                return;
            }
            Selection::Only(services) => services,
        };
        let filter = PlanFilter {
            services,
            stages: Vec::new(),
            trigger: Some(trigger),
        };
        let run_plan = match plan(config, &filter) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(delivery, error = %e, "cannot plan the run");
                if let Some(report) = &report {
                    report.ended(None, Ending::NotCarriedOut);
                }
                self.settle(&request, OUTCOME_FAILED);
                return;
            }
        };
        if run_plan.instances.is_empty() {
            tracing::info!(
                delivery,
                "no service takes part in a {trigger} run; nothing to run"
            );
            if let Some(report) = &report {
                let why = format!("no service takes part in {trigger} runs");
                report.ended(None, Ending::NothingToRun(why));
            }
            self.settle(&request, OUTCOME_IGNORED);
            return;
        }
        let run_request = RunRequest {
            config: config.clone(),
            config_text: pipeline.config_text.clone(),
            plan: run_plan,
            source: Some(SourceSpec::Git(request.clone_url.clone())),
            trigger,
            branch: Some(request.branch.clone()),
            commit_sha: request.commit_sha.clone(),
            // The dispatcher sets the server's.
            max_parallel: 1,
            auto_approve: false,
            extra_inputs: Default::default(),
            in_place: None,
        };
        if stop.is_cancelled() {
            self.forget(&request);
            return;
        }
        match self.runs.start(admission, run_request, report).await {
            Ok(id) => {
                tracing::info!(
                    run = %id, delivery, trigger = %trigger, branch = %request.branch,
                    commit = %request.commit_sha, "run started"
                );
                let store = &self.runs.runtime().store;
                if let Err(e) = store.set_delivery_run(delivery, &id) {
                    tracing::warn!(run = %id, delivery, error = %e, "cannot link the delivery to its run");
                }
            }
            Err(e) => {
                tracing::error!(delivery, error = %e, "the run could not be carried out");
                self.settle(&request, OUTCOME_FAILED);
            }
        }
        drop(starting);
    }

    /// Where the request's commit statuses go, if the server posts them.
    fn report(&self, pipeline: &Pipeline, request: &TriggerRequest) -> Option<CommitReport> {
        let reporter = self
            .statuses
            .as_ref()?
            .for_pipeline(&pipeline.config.pipeline);
        let triggers = &pipeline.config.triggers;
        let merge = (request.trigger == WebhookTrigger::PullRequest
            && triggers.pull_request_auto_merge)
            .then_some(triggers.pull_request_merge_method);
        let commit = CommitRef {
            repository: request.repository.clone(),
            sha: request.commit_sha.clone(),
            pull_request: request.pull_request,
        };
        Some(reporter.report(commit, merge))
    }

    /// The services whose files changed; every service when that cannot be told.
    async fn select(&self, pipeline: &Pipeline, request: &TriggerRequest) -> Selection {
        let Some(base) = request.base_sha.as_ref().map(Commit::as_str) else {
            tracing::info!(
                delivery = %request.delivery_id,
                "no earlier commit (a new branch); running every service"
            );
            return Selection::All;
        };
        let head = request.commit_sha.as_str();
        let range = match request.trigger {
            WebhookTrigger::Push => Range::Between { base, head },
            WebhookTrigger::PullRequest => Range::SinceFork { base, head },
        };
        let changed = self
            .mirrors
            .changed_files(&request.repository, &request.clone_url, range)
            .await;
        match changed {
            Ok(changed) => {
                let relative = pipeline.relative(&changed);
                Selection::Only(changed_services(&pipeline.config, &relative))
            }
            Err(e) => {
                tracing::warn!(
                    delivery = %request.delivery_id, error = %e,
                    "cannot tell which files changed; running every service"
                );
                Selection::All
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn config(extra: &str) -> Config {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let text = format!("version = 1\npipeline = \"p\"\n{extra}\n[[service]]\nname = \"a\"\n");
        seamless_core::config::parse("seamless.toml", &text, dir.path()).unwrap()
    }

    fn request(trigger: WebhookTrigger, branch: &str) -> TriggerRequest {
        TriggerRequest {
            trigger,
            repository: "o/r".into(),
            clone_url: "file:///r".into(),
            branch: branch.into(),
            commit_sha: Commit::git(&"a".repeat(40)).unwrap(),
            base_sha: None,
            base_branch: None,
            default_branch: None,
            pull_request: None,
            delivery_id: "d".into(),
            pipeline: None,
        }
    }

    #[test]
    fn pushes_run_only_on_the_configured_branches() {
        let default = config("");
        assert_eq!(
            ignored(&request(WebhookTrigger::Push, "main"), &default),
            None
        );
        let reason = ignored(&request(WebhookTrigger::Push, "feature"), &default).unwrap();
        assert!(reason.starts_with("push to feature"), "{reason}");

        let release = config("[triggers.push]\nbranches = [\"main\", \"release\"]\n");
        assert_eq!(
            ignored(&request(WebhookTrigger::Push, "release"), &release),
            None
        );
    }

    #[test]
    fn pull_requests_always_run() {
        let default = config("");
        assert_eq!(
            ignored(&request(WebhookTrigger::PullRequest, "feature"), &default),
            None
        );
    }
}
