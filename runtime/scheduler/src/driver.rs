//! The scheduler loop of one run: starts ready stage instances with bounded
//! parallelism, waits at the approval gate, retries failed attempts, skips what can
//! no longer run, and keeps the run's heartbeat.
//!
//! Every status change goes through the store (and so through the core's state
//! machine) before the side effect it announces.

use crate::events::RunEvent;
use crate::invocation::{build, invoke};
use crate::plugins::PluginMap;
use crate::request::RunRequest;
use crate::run::SchedulerError;
use seamless_core::config::{PluginRef, Stage};
use seamless_core::state::{RunStatus, StageEvent, StageStatus, run_status};
use seamless_engine::{Masker, PluginEngine, StageFailure, StageReport};
use seamless_host_api::ContainerHost;
use seamless_store::{NewLogLine, StageKey, Store};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How often the loop wakes up to beat, poll approvals and cancel requests.
const TICK: Duration = Duration::from_millis(500);
/// Heartbeats are written every this many ticks.
const BEAT_EVERY: u32 = 6;

/// Shared by every stage task of one run.
pub(crate) struct RunShared {
    pub run_id: String,
    pub request: RunRequest,
    pub workspace: PathBuf,
    pub masker: Arc<Masker>,
    pub secrets: BTreeMap<String, String>,
    pub events: UnboundedSender<RunEvent>,
    pub logs: Mutex<std::sync::mpsc::Sender<NewLogLine>>,
    pub store: Arc<Store>,
    pub host: Arc<dyn ContainerHost>,
}

impl RunShared {
    /// The store key of instance `i`.
    pub fn key(&self, i: usize) -> StageKey {
        let inst = &self.request.plan.instances[i];
        StageKey {
            run_id: self.run_id.clone(),
            service: inst.service.clone(),
            stage: inst.stage.clone(),
        }
    }
}

/// Where each instance stands, in memory, mirrored from the store.
pub(crate) struct Progress {
    pub status: Vec<StageStatus>,
    pub outputs: Vec<BTreeMap<String, String>>,
    pub attempts: Vec<u32>,
    /// When each instance began to wait for approval (Unix ms).
    pub awaiting_since: Vec<Option<i64>>,
}

/// Carries a run out to its end.
pub(crate) struct Driver<'a> {
    pub shared: Arc<RunShared>,
    pub engine: Arc<PluginEngine>,
    pub store: &'a Store,
    pub plugins: PluginMap,
    pub progress: Progress,
}

impl Driver<'_> {
    pub(crate) fn stage(&self, i: usize) -> Result<&Stage, SchedulerError> {
        let name = &self.shared.request.plan.instances[i].stage;
        self.shared
            .request
            .config
            .stage(name)
            .ok_or_else(|| SchedulerError::Plan(format!("no stage '{name}'")))
    }

    pub(crate) fn transition(
        &mut self,
        i: usize,
        event: StageEvent,
        duration: Option<Duration>,
        message: Option<String>,
    ) -> Result<StageStatus, SchedulerError> {
        let key = self.shared.key(i);
        let next = self.store.transition(&key, event)?;
        if matches!(event, StageEvent::Skip | StageEvent::AwaitApproval) {
            self.store
                .set_stage_message(&key, message.as_deref(), None)?;
        }
        self.progress.status[i] = next;
        let _ = self.shared.events.send(RunEvent::Stage {
            service: key.service,
            stage: key.stage,
            status: next,
            duration,
            message,
        });
        Ok(next)
    }

    /// Writes a line of the runtime's own to the log of instance `i`.
    pub(crate) fn runtime_log(&self, i: usize, text: String) {
        let key = self.shared.key(i);
        let line = seamless_engine::LogLine {
            source: seamless_engine::LogSource::Runtime,
            text: self.shared.masker.mask(&text),
        };
        if let Ok(tx) = self.shared.logs.lock() {
            let _ = tx.send(NewLogLine {
                key: key.clone(),
                source: line.source.as_str().to_owned(),
                line: line.text.clone(),
                at: seamless_store::now_ms(),
            });
        }
        let _ = self.shared.events.send(RunEvent::Log {
            service: key.service,
            stage: key.stage,
            line,
        });
    }

    /// Runs the loop until every instance has ended or `cancel` fires.
    pub async fn drive(&mut self, cancel: CancellationToken) -> Result<RunStatus, SchedulerError> {
        let n = self.progress.status.len();
        let max_parallel = self.shared.request.max_parallel.max(1);
        let mut started: Vec<Option<Instant>> = vec![None; n];
        let mut retry_at: Vec<Option<Instant>> = vec![None; n];
        let mut tasks: JoinSet<(usize, StageReport)> = JoinSet::new();
        let mut task_index: HashMap<tokio::task::Id, usize> = HashMap::new();
        let mut cancelled = false;
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks: u32 = 0;
        let mut shown_status: Option<RunStatus> = None;

        loop {
            if !cancelled {
                // Decisions first, so what a passed gate lets through starts in this
                // same pass instead of the loop ending with it still idle.
                self.decide_approvals()?;
                self.start_ready(
                    &mut tasks,
                    &mut task_index,
                    &mut started,
                    &mut retry_at,
                    max_parallel,
                )?;
            }
            let awaiting = self
                .progress
                .status
                .contains(&StageStatus::AwaitingApproval);
            let retrying = retry_at.iter().any(Option::is_some);
            if tasks.is_empty() && !awaiting && !retrying {
                break;
            }
            let status_now = run_status(&self.progress.status);
            let shown = if awaiting && tasks.is_empty() {
                RunStatus::AwaitingApproval
            } else {
                status_now
            };
            if shown_status != Some(shown) {
                self.store.set_run_status(&self.shared.run_id, shown)?;
                shown_status = Some(shown);
            }
            tokio::select! {
                joined = tasks.join_next(), if !tasks.is_empty() => {
                    let Some(joined) = joined else { continue };
                    let (i, report) = match joined {
                        Ok(r) => r,
                        Err(e) => {
                            let Some(i) = task_index.get(&e.id()).copied() else {
                                tracing::error!(error = %e, "unknown stage task ended abnormally");
                                continue;
                            };
                            let failure = StageFailure::Crashed(format!(
                                "the runtime's task for this stage ended abnormally: {e}"
                            ));
                            (i, StageReport { result: Err(failure), outputs: BTreeMap::new(), tests: None, busy: Duration::ZERO })
                        }
                    };
                    self.finish_attempt(i, report, started[i], &mut retry_at)?;
                }
                _ = ticker.tick() => {
                    ticks = ticks.wrapping_add(1);
                    if ticks.is_multiple_of(BEAT_EVERY) && !self.store.heartbeat(&self.shared.run_id)? {
                        // Another process claimed the run: it carries it on; stop here.
                        tracing::error!(run = %self.shared.run_id, "another process took this run over; stopping");
                        tasks.abort_all();
                        return Err(SchedulerError::TakenOver(self.shared.run_id.clone()));
                    }
                    if !cancelled && self.store.cancel_requested(&self.shared.run_id)? {
                        cancel.cancel();
                    }
                }
                () = cancel.cancelled(), if !cancelled => {
                    cancelled = true;
                    tasks.abort_all();
                    while tasks.join_next().await.is_some() {}
                    for (i, at) in retry_at.iter_mut().enumerate() {
                        *at = None;
                        let status = self.progress.status[i];
                        if matches!(status, StageStatus::Idle | StageStatus::InProgress | StageStatus::AwaitingApproval) {
                            let elapsed = started[i].map(|s| s.elapsed());
                            self.transition(i, StageEvent::Cancel, elapsed, Some("cancelled".into()))?;
                        }
                    }
                }
            }
        }
        Ok(run_status(&self.progress.status))
    }

    fn start_ready(
        &mut self,
        tasks: &mut JoinSet<(usize, StageReport)>,
        task_index: &mut HashMap<tokio::task::Id, usize>,
        started: &mut [Option<Instant>],
        retry_at: &mut [Option<Instant>],
        max_parallel: usize,
    ) -> Result<(), SchedulerError> {
        let n = self.progress.status.len();
        for i in 0..n {
            if self.progress.status[i] != StageStatus::Idle {
                continue;
            }
            let inst = self.shared.request.plan.instances[i].clone();
            if let Some(reason) = &inst.not_applicable {
                self.transition(
                    i,
                    StageEvent::Skip,
                    None,
                    Some(format!("not applicable: {reason}")),
                )?;
                continue;
            }
            if let Some(blocker) = self.blocked_by(i) {
                let msg = format!(
                    "skipped because '{}' did not succeed",
                    self.shared.request.plan.instances[blocker].stage
                );
                retry_at[i] = None;
                self.transition(i, StageEvent::Skip, None, Some(msg))?;
                continue;
            }
            if !self.ready(i) || tasks.len() >= max_parallel {
                continue;
            }
            if let Some(at) = retry_at[i] {
                if Instant::now() < at {
                    continue;
                }
                retry_at[i] = None;
            }
            let stage = self.stage(i)?.clone();
            if stage.uses == PluginRef::Approval {
                self.open_gate(i)?;
                continue;
            }
            let plugin = self
                .plugins
                .get(&stage.name)
                .cloned()
                .unwrap_or_else(|| Err("plugin was not loaded".into()));
            let key = self.shared.key(i);
            let attempt = self.store.begin_attempt(&key)?;
            self.progress.attempts[i] = attempt;
            // The transition is stored before the stage starts.
            self.transition(i, StageEvent::Start, None, None)?;
            started[i] = Some(Instant::now());
            let inv = build(&self.shared, i, &stage, self.inputs(i));
            let engine = self.engine.clone();
            let handle = tasks.spawn(async move {
                let report = match plugin {
                    Ok(p) => invoke(&engine, &p.plugin, &p.notes, inv, attempt).await,
                    Err(msg) => StageReport {
                        result: Err(StageFailure::Load(msg)),
                        outputs: BTreeMap::new(),
                        tests: None,
                        busy: Duration::ZERO,
                    },
                };
                (i, report)
            });
            task_index.insert(handle.id(), i);
        }
        Ok(())
    }

    /// Records how an attempt of instance `i` ended: success, a retry, or failure.
    fn finish_attempt(
        &mut self,
        i: usize,
        report: StageReport,
        started: Option<Instant>,
        retry_at: &mut [Option<Instant>],
    ) -> Result<(), SchedulerError> {
        let elapsed = started.map(|s| s.elapsed());
        let key = self.shared.key(i);
        if let Some(wall) = elapsed {
            let own = wall.saturating_sub(report.busy);
            self.runtime_log(
                i,
                format!(
                    "attempt took {} ms: {} ms in containers, builds, pushes and deploys, \
                     {} ms in the runtime and the plugin",
                    wall.as_millis(),
                    report.busy.as_millis(),
                    own.as_millis()
                ),
            );
        }
        self.store.put_outputs(&key, &report.outputs)?;
        if let Some(t) = report.tests {
            self.store.set_tests(&key, t)?;
        }
        self.progress.outputs[i] = report.outputs;
        match report.result {
            Ok(summary) => {
                self.store.set_stage_message(&key, Some(&summary), None)?;
                self.transition(i, StageEvent::Succeed, elapsed, Some(summary))?;
            }
            Err(failure) => {
                let msg = failure.to_string();
                let retries = self.stage(i)?.retry;
                let attempt = self.progress.attempts[i];
                if attempt <= retries.retries && retryable(&failure) {
                    let delay = retries.delay(attempt);
                    let note = format!(
                        "attempt {attempt} of {} failed: {msg}; retrying in {}s",
                        retries.retries + 1,
                        delay.as_secs_f32()
                    );
                    self.store.set_stage_message(&key, None, Some(&note))?;
                    self.runtime_log(i, note.clone());
                    retry_at[i] = Some(Instant::now() + delay);
                    self.transition(i, StageEvent::Retry, elapsed, Some(note))?;
                } else {
                    // The reason goes to the stage's log too, so `seamless logs` shows it.
                    self.store.set_stage_message(&key, None, Some(&msg))?;
                    self.runtime_log(i, format!("failed: {msg}"));
                    self.transition(i, StageEvent::Fail, elapsed, Some(msg))?;
                }
            }
        }
        Ok(())
    }
}

/// Whether a failure may go away on another attempt. A denied capability or an
/// invalid configuration will not.
fn retryable(failure: &StageFailure) -> bool {
    !matches!(
        failure,
        StageFailure::CapabilityDenied(_) | StageFailure::InvalidConfig(_) | StageFailure::Load(_)
    )
}
