//! The scheduler loop.

use crate::events::RunEvent;
use crate::log_writer::LogWriter;
use crate::plugins::{label, load_all};
use crate::request::{RunOutcome, RunRequest};
use seamless_core::config::Stage;
use seamless_core::state::{StageEvent, StageStatus, run_status};
use seamless_engine::{
    Invocation, LoadedPlugin, LogLine, LogSource, Masker, PluginEngine, RunFacts, ServiceFacts,
    StageReport,
};
use seamless_host_api::{ContainerHost, LABEL_RUN, LABEL_SERVICE, LABEL_STAGE};
use seamless_store::{NewLogLine, NewRun, StageKey, Store, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
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
}

/// Runs plans on one engine, store and container host.
pub struct Scheduler {
    engine: Arc<PluginEngine>,
    store: Arc<Store>,
    host: Arc<dyn ContainerHost>,
}

/// Shared by every stage task of one run.
struct RunShared {
    run_id: String,
    request: RunRequest,
    masker: Arc<Masker>,
    secrets: BTreeMap<String, String>,
    events: UnboundedSender<RunEvent>,
    logs: Mutex<std::sync::mpsc::Sender<NewLogLine>>,
}

impl Scheduler {
    /// A scheduler over these parts.
    pub fn new(engine: Arc<PluginEngine>, store: Arc<Store>, host: Arc<dyn ContainerHost>) -> Self {
        Self {
            engine,
            store,
            host,
        }
    }

    /// Carries out `request` until every stage instance has ended or `cancel` fires.
    pub async fn run(
        &self,
        request: RunRequest,
        events: UnboundedSender<RunEvent>,
        cancel: CancellationToken,
    ) -> Result<RunOutcome, SchedulerError> {
        let run_id = uuid::Uuid::now_v7().simple().to_string();
        let plan = request.plan.clone();
        let config = request.config.clone();
        let stage_defs: BTreeMap<&str, &Stage> =
            config.stages.iter().map(|s| (s.name.as_str(), s)).collect();
        for inst in &plan.instances {
            if !stage_defs.contains_key(inst.stage.as_str()) {
                return Err(SchedulerError::Plan(format!("no stage '{}'", inst.stage)));
            }
            if !request
                .config
                .services
                .iter()
                .any(|s| s.name == inst.service)
            {
                return Err(SchedulerError::Plan(format!(
                    "no service '{}'",
                    inst.service
                )));
            }
        }
        let instances: Vec<(String, String)> = plan
            .instances
            .iter()
            .map(|i| (i.service.clone(), i.stage.clone()))
            .collect();
        self.store.create_run(
            &NewRun {
                id: run_id.clone(),
                pipeline: request.config.pipeline.clone(),
                trigger: request.trigger.clone(),
                commit_sha: request.commit_sha.clone(),
                workspace: request.workspace.display().to_string(),
                host: self.host.name().to_owned(),
            },
            &instances,
        )?;
        let _ = events.send(RunEvent::Planned {
            run_id: run_id.clone(),
            instances,
        });

        let (secrets, secret_problems) = crate::secrets::resolve(&request.config);
        for p in &secret_problems {
            tracing::warn!("{p}");
        }
        let masker = Arc::new(Masker::new(secrets.values().cloned()));
        let writer = LogWriter::start(self.store.clone());
        let plugins = load_all(&self.engine, request.config.stages.iter().map(|s| &s.uses)).await;
        let max_parallel = request.max_parallel.max(1);
        let shared = Arc::new(RunShared {
            run_id: run_id.clone(),
            request,
            masker,
            secrets,
            events: events.clone(),
            logs: Mutex::new(writer.sender()),
        });

        let n = plan.instances.len();
        let mut status = vec![StageStatus::Idle; n];
        let mut started: Vec<Option<Instant>> = vec![None; n];
        let mut outputs: Vec<BTreeMap<String, String>> = vec![BTreeMap::new(); n];
        let mut tasks: JoinSet<(usize, StageReport)> = JoinSet::new();
        let mut cancelled = false;
        // Which instance a task runs, so a task that panics still fails its stage.
        let mut task_index: HashMap<tokio::task::Id, usize> = HashMap::new();

        loop {
            if !cancelled {
                // Skip what can no longer run; start what is ready.
                for i in 0..n {
                    if status[i] != StageStatus::Idle {
                        continue;
                    }
                    let needs = &plan.instances[i].needs;
                    if let Some(&blocker) = needs.iter().find(|&&d| {
                        matches!(
                            status[d],
                            StageStatus::Failure | StageStatus::Skipped | StageStatus::Cancelled
                        )
                    }) {
                        let msg = format!(
                            "skipped because '{}' did not succeed",
                            plan.instances[blocker].stage
                        );
                        status[i] =
                            self.transition(&shared, i, StageEvent::Skip, None, Some(msg))?;
                        continue;
                    }
                    let ready = needs.iter().all(|&d| status[d] == StageStatus::Success);
                    if ready && tasks.len() < max_parallel {
                        let inst = &plan.instances[i];
                        let stage = stage_defs[inst.stage.as_str()];
                        let plugin = plugins
                            .get(&label(&stage.uses))
                            .cloned()
                            .unwrap_or_else(|| Err("plugin was not loaded".into()));
                        // The transition is stored before the stage starts.
                        status[i] = self.transition(&shared, i, StageEvent::Start, None, None)?;
                        started[i] = Some(Instant::now());
                        let mut inputs = BTreeMap::new();
                        for &d in needs {
                            for (k, v) in &outputs[d] {
                                inputs
                                    .insert(format!("{}.{k}", plan.instances[d].stage), v.clone());
                            }
                        }
                        let inv = self.invocation(&shared, i, stage, inputs);
                        let engine = self.engine.clone();
                        let handle = tasks.spawn(async move {
                            let report = match plugin {
                                Ok(p) => invoke(&engine, &p, inv).await,
                                Err(msg) => StageReport {
                                    result: Err(seamless_engine::StageFailure::Load(msg)),
                                    outputs: BTreeMap::new(),
                                },
                            };
                            (i, report)
                        });
                        task_index.insert(handle.id(), i);
                    }
                }
            }
            if tasks.is_empty() {
                break;
            }
            tokio::select! {
                joined = tasks.join_next() => {
                    let Some(joined) = joined else { continue };
                    let (i, report) = match joined {
                        Ok(r) => r,
                        Err(e) => {
                            let Some(i) = task_index.get(&e.id()).copied() else {
                                tracing::error!(error = %e, "unknown stage task ended abnormally");
                                continue;
                            };
                            let failure = seamless_engine::StageFailure::Crashed(format!(
                                "the runtime's task for this stage ended abnormally: {e}"
                            ));
                            (i, StageReport { result: Err(failure), outputs: BTreeMap::new() })
                        }
                    };
                    let elapsed = started[i].map(|s| s.elapsed());
                    let key = self.key(&shared, i);
                    self.store.put_outputs(&key, &report.outputs)?;
                    outputs[i] = report.outputs;
                    status[i] = match report.result {
                        Ok(summary) => {
                            self.store.set_stage_message(&key, Some(&summary), None)?;
                            self.transition(&shared, i, StageEvent::Succeed, elapsed, Some(summary))?
                        }
                        Err(failure) => {
                            let msg = failure.to_string();
                            self.store.set_stage_message(&key, None, Some(&msg))?;
                            self.transition(&shared, i, StageEvent::Fail, elapsed, Some(msg))?
                        }
                    };
                }
                () = cancel.cancelled(), if !cancelled => {
                    cancelled = true;
                    tasks.abort_all();
                    while tasks.join_next().await.is_some() {}
                    for i in 0..n {
                        if matches!(status[i], StageStatus::Idle | StageStatus::InProgress) {
                            let elapsed = started[i].map(|s| s.elapsed());
                            status[i] = self.transition(&shared, i, StageEvent::Cancel, elapsed, Some("cancelled".into()))?;
                        }
                    }
                }
            }
        }

        // Whatever happened, no container of this run outlives it.
        let labels = BTreeMap::from([(LABEL_RUN.to_owned(), run_id.clone())]);
        if let Err(e) = self.host.remove_labelled(&labels).await {
            tracing::warn!(error = %e, "could not remove the run's containers");
        }
        drop(shared);
        writer.finish();
        let final_status = run_status(&status);
        self.store.finish_run(&run_id, final_status)?;
        let _ = events.send(RunEvent::Finished {
            status: final_status,
        });
        Ok(RunOutcome {
            run_id,
            status: final_status,
        })
    }

    fn key(&self, shared: &RunShared, i: usize) -> StageKey {
        let inst = &shared.request.plan.instances[i];
        StageKey {
            run_id: shared.run_id.clone(),
            service: inst.service.clone(),
            stage: inst.stage.clone(),
        }
    }

    fn transition(
        &self,
        shared: &RunShared,
        i: usize,
        event: StageEvent,
        duration: Option<std::time::Duration>,
        message: Option<String>,
    ) -> Result<StageStatus, SchedulerError> {
        let key = self.key(shared, i);
        let next = self.store.transition(&key, event)?;
        if event == StageEvent::Skip {
            self.store
                .set_stage_message(&key, message.as_deref(), None)?;
        }
        let _ = shared.events.send(RunEvent::Stage {
            service: key.service,
            stage: key.stage,
            status: next,
            duration,
            message,
        });
        Ok(next)
    }

    fn invocation(
        &self,
        shared: &Arc<RunShared>,
        i: usize,
        stage: &Stage,
        inputs: BTreeMap<String, String>,
    ) -> Invocation {
        let req = &shared.request;
        let inst = &req.plan.instances[i];
        let service = req
            .config
            .services
            .iter()
            .find(|s| s.name == inst.service)
            .cloned()
            .unwrap_or_default();
        let key = self.key(shared, i);
        let sink_shared = shared.clone();
        let sink_key = key.clone();
        let log: seamless_engine::LogLineSink = Arc::new(move |line: LogLine| {
            let stored = NewLogLine {
                key: sink_key.clone(),
                source: line.source.as_str().to_owned(),
                line: line.text.clone(),
                at: seamless_store::now_ms(),
            };
            if let Ok(tx) = sink_shared.logs.lock() {
                let _ = tx.send(stored);
            }
            let _ = sink_shared.events.send(RunEvent::Log {
                service: sink_key.service.clone(),
                stage: sink_key.stage.clone(),
                line,
            });
        });
        let secrets = stage
            .grants
            .secrets
            .iter()
            .filter_map(|n| shared.secrets.get(n).map(|v| (n.clone(), v.clone())))
            .collect();
        Invocation {
            stage: stage.name.clone(),
            config: stage.with.clone(),
            inputs,
            run: RunFacts {
                run_id: shared.run_id.clone(),
                pipeline: req.config.pipeline.clone(),
                trigger: req.trigger.clone(),
                commit_sha: req.commit_sha.clone(),
                service: ServiceFacts {
                    name: service.name.clone(),
                    path: service.path.clone(),
                    dockerfile: service.dockerfile.clone(),
                    image: service.image.clone(),
                    commands: service.commands.clone(),
                },
            },
            workspace: req.workspace.clone(),
            grants: stage.grants.clone(),
            limits: stage.limits.clone(),
            origin: stage.origin.clone(),
            secrets,
            masker: shared.masker.clone(),
            host: self.host.clone(),
            log,
            labels: BTreeMap::from([
                (LABEL_RUN.to_owned(), shared.run_id.clone()),
                (LABEL_STAGE.to_owned(), key.stage),
                (LABEL_SERVICE.to_owned(), key.service),
            ]),
        }
    }
}

async fn invoke(engine: &PluginEngine, plugin: &LoadedPlugin, inv: Invocation) -> StageReport {
    let log = inv.log.clone();
    (log)(LogLine {
        source: LogSource::Runtime,
        text: format!(
            "running plugin '{}' {} ({}, sha256 {}) (compiled: {})",
            plugin.manifest.name,
            plugin.manifest.version,
            plugin.source,
            &plugin.sha256[..12.min(plugin.sha256.len())],
            if plugin.from_cache {
                "from cache"
            } else {
                "now"
            }
        ),
    });
    engine.invoke(plugin, inv).await
}
