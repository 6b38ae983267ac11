//! The scheduler's entry points: start a new run, resume one whose process died,
//! and cancel one that nobody carries out.

use crate::driver::{Driver, Progress, RunShared};
use crate::events::RunEvent;
use crate::log_writer::LogWriter;
use crate::plugins::load_all;
use crate::recovery::{awaiting_since, restart_interrupted, settle_deploys};
use crate::request::{RunOutcome, RunRequest, StoredRequest};
use crate::workspaces;
use seamless_core::state::{RunStatus, StageEvent, StageStatus, run_status};
use seamless_engine::{Masker, PluginEngine};
use seamless_host_api::{ContainerHost, LABEL_RUN};
use seamless_store::{NewRun, RunFilter, StageKey, Store, StoreError};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// Why a run could not be carried out at all (stage failures are not errors).
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The store refused a write; the run cannot go on without its record.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The plan names a stage or service that the configuration lacks.
    #[error("the plan does not match the configuration: {0}")]
    Plan(String),
    /// The run's workspace could not be created.
    #[error("cannot create the run's workspace '{}': {reason}", path.display())]
    Workspace {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The run cannot be resumed; the message says why.
    #[error("{0}")]
    Resume(String),
    /// Another process claimed the run while this one carried it out (this one had
    /// stopped beating); the other process carries it on.
    #[error("run '{0}' was taken over by another process, which carries it on")]
    TakenOver(String),
}

/// A new run id: time-ordered (UUID v7), 32 hex digits.
pub fn new_run_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Runs plans on one engine, store and container host.
pub struct Scheduler {
    engine: Arc<PluginEngine>,
    store: Arc<Store>,
    host: Arc<dyn ContainerHost>,
    data_dir: PathBuf,
}

impl Scheduler {
    /// A scheduler over these parts; run workspaces and deploy locks live in
    /// `data_dir`.
    pub fn new(
        engine: Arc<PluginEngine>,
        store: Arc<Store>,
        host: Arc<dyn ContainerHost>,
        data_dir: PathBuf,
    ) -> Self {
        Self {
            engine,
            store,
            host,
            data_dir,
        }
    }

    /// Creates a run for `request` and carries it out until every stage instance has
    /// ended or `cancel` fires.
    pub async fn run(
        &self,
        request: RunRequest,
        events: UnboundedSender<RunEvent>,
        cancel: CancellationToken,
    ) -> Result<RunOutcome, SchedulerError> {
        self.run_as(new_run_id(), request, events, cancel).await
    }

    /// [`Scheduler::run`] with the run id chosen beforehand ([`new_run_id`]), so that a
    /// run can be named before it is created, while it waits for a slot.
    pub async fn run_as(
        &self,
        run_id: String,
        request: RunRequest,
        events: UnboundedSender<RunEvent>,
        cancel: CancellationToken,
    ) -> Result<RunOutcome, SchedulerError> {
        for inst in &request.plan.instances {
            if request.config.stage(&inst.stage).is_none() {
                return Err(SchedulerError::Plan(format!("no stage '{}'", inst.stage)));
            }
            if !inst.service.is_empty() && request.config.service(&inst.service).is_none() {
                return Err(SchedulerError::Plan(format!(
                    "no service '{}'",
                    inst.service
                )));
            }
        }
        let workspace = match &request.in_place {
            Some(dir) => dir.clone(),
            None => {
                let active: Vec<String> = self
                    .store
                    .list_runs(&RunFilter {
                        status: None,
                        limit: 1000,
                        ..RunFilter::default()
                    })?
                    .into_iter()
                    .filter(|r| !r.status.is_terminal())
                    .map(|r| r.id)
                    .collect();
                let keep = usize::try_from(request.config.workspaces_keep).unwrap_or(usize::MAX);
                workspaces::prune(&self.data_dir, keep.saturating_sub(1), &active);
                workspaces::create(&self.data_dir, &run_id).map_err(|e| {
                    SchedulerError::Workspace {
                        path: workspaces::path(&self.data_dir, &run_id),
                        reason: e.to_string(),
                    }
                })?
            }
        };
        let stored = StoredRequest::from_request(&request, &workspace);
        let instances: Vec<(String, String)> = request
            .plan
            .instances
            .iter()
            .map(|i| (i.service.clone(), i.stage.clone()))
            .collect();
        self.store.create_run(
            &NewRun {
                id: run_id.clone(),
                pipeline: request.config.pipeline.clone(),
                trigger: request.trigger.as_str().to_owned(),
                commit_sha: request.commit_sha.clone(),
                workspace: workspace.display().to_string(),
                host: self.host.name().to_owned(),
                branch: request.branch.clone(),
                request: serde_json::to_string(&stored).unwrap_or_default(),
            },
            &instances,
        )?;
        let _ = events.send(RunEvent::Planned {
            run_id: run_id.clone(),
            instances,
        });
        let n = request.plan.instances.len();
        let progress = Progress {
            status: vec![StageStatus::Idle; n],
            outputs: vec![BTreeMap::new(); n],
            attempts: vec![0; n],
            awaiting_since: vec![None; n],
        };
        self.drive(run_id, request, workspace, progress, events, cancel)
            .await
    }

    /// Carries on with a run whose process died: completed stages are kept, what
    /// was running is cleaned up and run again, and a waiting approval keeps waiting.
    pub async fn resume(
        &self,
        run_id: &str,
        events: UnboundedSender<RunEvent>,
        cancel: CancellationToken,
    ) -> Result<RunOutcome, SchedulerError> {
        let run = self
            .store
            .run(run_id)?
            .ok_or_else(|| SchedulerError::Resume(format!("there is no run '{run_id}'")))?;
        if run.status.is_terminal() {
            return Err(SchedulerError::Resume(format!(
                "run '{run_id}' already ended ({}); nothing to resume",
                run.status
            )));
        }
        if !self.store.claim_run(run_id, std::process::id())? {
            return Err(SchedulerError::Resume(format!(
                "run '{run_id}' is being carried out by process {} right now",
                run.owner_pid.unwrap_or_default()
            )));
        }
        let (request, workspace) = crate::request::stored_request(&run)?;

        let records = self.store.stages(run_id)?;
        if records.len() != request.plan.instances.len() {
            return Err(SchedulerError::Resume(format!(
                "run '{run_id}' has {} stage records but its plan has {} instances",
                records.len(),
                request.plan.instances.len()
            )));
        }
        let mut status: Vec<StageStatus> = records.iter().map(|r| r.status).collect();
        let attempts = records.iter().map(|r| r.attempts).collect();
        let mut outputs = Vec::with_capacity(records.len());
        for r in &records {
            outputs.push(self.store.outputs(&StageKey {
                run_id: run_id.to_owned(),
                service: r.service.clone(),
                stage: r.stage.clone(),
            })?);
        }
        let _ = events.send(RunEvent::Planned {
            run_id: run_id.to_owned(),
            instances: records
                .iter()
                .map(|r| (r.service.clone(), r.stage.clone()))
                .collect(),
        });
        for r in records.iter().filter(|r| r.status != StageStatus::Idle) {
            let _ = events.send(RunEvent::Stage {
                service: r.service.clone(),
                stage: r.stage.clone(),
                status: r.status,
                duration: None,
                message: r.summary.clone().or_else(|| r.error.clone()),
            });
        }
        settle_deploys(&self.store, self.host.as_ref(), run_id).await?;
        restart_interrupted(
            &self.store,
            self.host.as_ref(),
            run_id,
            &request.plan,
            &mut status,
            &events,
        )
        .await?;
        let awaiting = awaiting_since(&self.store, run_id, &request.plan, &status)?;
        let progress = Progress {
            status,
            outputs,
            attempts,
            awaiting_since: awaiting,
        };
        self.drive(
            run_id.to_owned(),
            request,
            workspace,
            progress,
            events,
            cancel,
        )
        .await
    }

    /// Cancels a run that no live process carries out: every unfinished stage is
    /// cancelled and the run's containers and networks are removed.
    pub async fn cancel_orphan(&self, run_id: &str) -> Result<RunStatus, SchedulerError> {
        if !self.store.claim_run(run_id, std::process::id())? {
            return Err(SchedulerError::Resume(format!(
                "run '{run_id}' is carried out by a live process or already ended"
            )));
        }
        let records = self.store.stages(run_id)?;
        let mut statuses = Vec::new();
        for r in records {
            let key = StageKey {
                run_id: run_id.to_owned(),
                service: r.service,
                stage: r.stage,
            };
            let status = if r.status.is_terminal() {
                r.status
            } else {
                self.store
                    .set_stage_message(&key, None, Some("cancelled"))?;
                self.store.transition(&key, StageEvent::Cancel)?
            };
            statuses.push(status);
        }
        settle_deploys(&self.store, self.host.as_ref(), run_id).await?;
        self.sweep(run_id).await;
        let status = run_status(&statuses);
        self.store.finish_run(run_id, status)?;
        self.store.release_run(run_id)?;
        Ok(status)
    }

    async fn sweep(&self, run_id: &str) {
        let labels = BTreeMap::from([(LABEL_RUN.to_owned(), run_id.to_owned())]);
        if let Err(e) = self.host.remove_labelled(&labels).await {
            tracing::warn!(error = %e, "could not remove the run's containers");
        }
        if let Some(deployer) = self.host.deployer()
            && let Err(e) = deployer.remove_unpromoted(run_id).await
        {
            tracing::warn!(error = %e, "could not remove the run's deploy candidates");
        }
    }

    async fn drive(
        &self,
        run_id: String,
        request: RunRequest,
        workspace: PathBuf,
        progress: Progress,
        events: UnboundedSender<RunEvent>,
        cancel: CancellationToken,
    ) -> Result<RunOutcome, SchedulerError> {
        let (secrets, secret_problems) = crate::secrets::resolve(&request.config);
        for p in &secret_problems {
            tracing::warn!("{p}");
        }
        let masker = Arc::new(Masker::new(secrets.values().cloned()));
        let writer = LogWriter::start(self.store.clone());
        // Collected first: a closure-mapped iterator held across the await would make
        // this future not `Send` (rustc's higher-ranked lifetime limitation), and the
        // server spawns runs.
        let plugins = load_all(&self.engine, &request.config, &self.data_dir).await;
        let shared = Arc::new(RunShared {
            run_id: run_id.clone(),
            request,
            workspace,
            masker,
            secrets,
            events: events.clone(),
            logs: Mutex::new(writer.sender()),
            store: self.store.clone(),
            host: self.host.clone(),
        });
        let mut driver = Driver {
            shared: shared.clone(),
            engine: self.engine.clone(),
            store: &self.store,
            plugins,
            progress,
        };
        let result = driver.drive(cancel).await;
        if let Err(SchedulerError::TakenOver(_)) = &result {
            // The run is someone else's now: touch nothing of it.
            drop(driver);
            drop(shared);
            writer.finish();
            return result.map(|status| RunOutcome { run_id, status });
        }
        // Whatever happened, no container or network of this run outlives it.
        self.sweep(&run_id).await;
        drop(driver);
        drop(shared);
        writer.finish();
        let final_status = result?;
        if final_status.is_terminal() {
            self.store.finish_run(&run_id, final_status)?;
        } else {
            // Never expected: the loop ends only when every instance has ended. Leave
            // the run unfinished so that `seamless resume` can carry it on.
            tracing::error!(run = %run_id, status = %final_status, "the run stopped before it ended");
        }
        self.store.release_run(&run_id)?;
        let _ = events.send(RunEvent::Finished {
            status: final_status,
        });
        Ok(RunOutcome {
            run_id,
            status: final_status,
        })
    }
}
