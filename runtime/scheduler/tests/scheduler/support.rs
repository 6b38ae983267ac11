//! The scheduler under test: a real plugin engine with the built-in plugins, a real
//! SQLite store in a temporary directory, and the local process host wrapped in a
//! [`Recorder`] that counts what runs at once and what was cleaned up. No Docker.

use async_trait::async_trait;
use seamless_core::config::{Config, Trigger};
use seamless_core::plan::{PlanFilter, plan};
use seamless_engine::PluginEngine;
use seamless_host_api::{
    ContainerHandle, ContainerHost, ContainerSpec, ContainerSummary, HostError, ImageBuildSpec,
    LogSink,
};
use seamless_host_local::LocalHost;
use seamless_scheduler::{RunEvent, RunOutcome, RunRequest, Scheduler, SchedulerError};
use seamless_store::{StageRecord, Store};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The local host, with a record of what the scheduler asked of it.
pub struct Recorder {
    inner: LocalHost,
    running: AtomicUsize,
    /// The most containers that ran at once.
    pub peak: AtomicUsize,
    /// Every `remove_labelled` call's labels.
    pub removed: Mutex<Vec<BTreeMap<String, String>>>,
    /// The stage label of every container started, in order.
    pub started: Mutex<Vec<String>>,
}

impl Recorder {
    fn new(image_dir: &Path) -> Self {
        Self {
            inner: LocalHost::with_image_dir(image_dir.to_owned()),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            removed: Mutex::new(Vec::new()),
            started: Mutex::new(Vec::new()),
        }
    }

    /// How many containers of stage `stage` were started.
    pub fn starts_of(&self, stage: &str) -> usize {
        self.started
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.as_str() == stage)
            .count()
    }
}

#[async_trait]
impl ContainerHost for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    async fn run(&self, spec: ContainerSpec, logs: LogSink) -> Result<ContainerHandle, HostError> {
        let stage = spec
            .labels
            .get(seamless_host_api::LABEL_STAGE)
            .cloned()
            .unwrap_or_default();
        let handle = self.inner.run(spec, logs).await?;
        self.started.lock().unwrap().push(stage);
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Ok(handle)
    }

    async fn wait(&self, handle: &ContainerHandle) -> Result<i64, HostError> {
        let code = self.inner.wait(handle).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        code
    }

    async fn stop(&self, handle: &ContainerHandle) -> Result<(), HostError> {
        self.inner.stop(handle).await
    }

    async fn build_image(&self, spec: ImageBuildSpec, logs: LogSink) -> Result<String, HostError> {
        self.inner.build_image(spec, logs).await
    }

    async fn remove_labelled(&self, labels: &BTreeMap<String, String>) -> Result<usize, HostError> {
        self.removed.lock().unwrap().push(labels.clone());
        self.inner.remove_labelled(labels).await
    }

    async fn list_labelled(
        &self,
        labels: &BTreeMap<String, String>,
    ) -> Result<Vec<ContainerSummary>, HostError> {
        self.inner.list_labelled(labels).await
    }
}

/// A repository with a `seamless.toml`, a data directory, and a scheduler over them.
pub struct Harness {
    pub repo: tempfile::TempDir,
    /// The data directory (store, workspaces), kept until the harness is dropped.
    _data: tempfile::TempDir,
    pub store: Arc<Store>,
    pub host: Arc<Recorder>,
    pub scheduler: Scheduler,
    pub config: Arc<Config>,
    config_text: String,
}

impl Harness {
    /// A harness for the pipeline `toml` (a `Dockerfile` is written beside it).
    pub fn new(toml: &str) -> Self {
        let repo = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        std::fs::write(repo.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(repo.path().join("seamless.toml"), toml).unwrap();
        let config = match seamless_core::config::load(repo.path()) {
            Ok(c) => Arc::new(c),
            Err(e) => panic!("the test's seamless.toml is invalid:\n{e}"),
        };
        let store = Arc::new(Store::open(data.path()).unwrap());
        // One compile cache for every test of this binary: the built-ins compile once.
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scheduler-plugin-cache");
        let engine = Arc::new(PluginEngine::new(cache).unwrap());
        let host = Arc::new(Recorder::new(&data.path().join("images")));
        let scheduler = Scheduler::new(engine, store.clone(), host.clone(), data.path().to_owned());
        Self {
            repo,
            _data: data,
            store,
            host,
            scheduler,
            config,
            config_text: toml.to_owned(),
        }
    }

    /// A manual run of the whole pipeline, in the repository in place, with at most
    /// `max_parallel` stage instances at once.
    pub fn request(&self, max_parallel: usize) -> RunRequest {
        let filter = PlanFilter {
            services: Vec::new(),
            stages: Vec::new(),
            trigger: Some(Trigger::Manual),
        };
        RunRequest {
            config: self.config.clone(),
            config_text: self.config_text.clone(),
            plan: plan(&self.config, &filter).unwrap(),
            source: None,
            trigger: Trigger::Manual,
            branch: None,
            commit_sha: seamless_core::commit::Commit::git(
                "0123456789abcdef0123456789abcdef01234567",
            )
            .unwrap(),
            max_parallel,
            auto_approve: false,
            extra_inputs: BTreeMap::new(),
            in_place: Some(self.repo.path().to_owned()),
        }
    }

    /// Runs `request` to its end; the outcome and every event, in order.
    pub async fn run(
        &self,
        request: RunRequest,
    ) -> (Result<RunOutcome, SchedulerError>, Vec<RunEvent>) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let outcome = self
            .scheduler
            .run(request, tx, CancellationToken::new())
            .await;
        let mut events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        (outcome, events)
    }

    /// Runs `request` until `stop` holds for an event, then drops the run as a
    /// killed process would leave it; the run's id.
    pub async fn run_until(&self, request: RunRequest, stop: impl Fn(&RunEvent) -> bool) -> String {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let run = self.scheduler.run(request, tx, CancellationToken::new());
        tokio::pin!(run);
        let mut run_id = None;
        loop {
            tokio::select! {
                ended = &mut run => panic!("the run ended before the awaited event: {ended:?}"),
                Some(event) = rx.recv() => {
                    if let RunEvent::Planned { run_id: id, .. } = &event {
                        run_id = Some(id.clone());
                    }
                    if stop(&event) {
                        return run_id.expect("a run is planned before its stages change");
                    }
                }
            }
        }
    }

    /// Resumes `run_id` to its end.
    pub async fn resume(&self, run_id: &str) -> Result<RunOutcome, SchedulerError> {
        let (tx, _rx) = mpsc::unbounded_channel();
        self.scheduler
            .resume(run_id, tx, CancellationToken::new())
            .await
    }

    /// The stored record of stage `stage` of service `service` in `run_id`.
    pub fn stage(&self, run_id: &str, service: &str, stage: &str) -> StageRecord {
        self.store
            .stages(run_id)
            .unwrap()
            .into_iter()
            .find(|r| r.service == service && r.stage == stage)
            .unwrap_or_else(|| panic!("run {run_id} has no stage {service}/{stage}"))
    }
}

/// Whether `event` is stage `stage` reaching `status`.
pub fn reached(event: &RunEvent, stage: &str, status: seamless_core::state::StageStatus) -> bool {
    matches!(event, RunEvent::Stage { stage: s, status: st, .. } if s == stage && *st == status)
}

/// A pipeline of one service `app` whose commands are `commands` (name, shell), with
/// `stages` (TOML `[[stage]]` tables) after it.
pub fn pipeline(commands: &[(&str, &str)], stages: &str) -> String {
    let mut toml = String::from(
        "version = 1\npipeline = \"p\"\n\n[[service]]\nname = \"app\"\n\n[service.commands]\n",
    );
    for (name, shell) in commands {
        toml.push_str(&format!("{name} = {}\n", toml_string(shell)));
    }
    toml.push('\n');
    toml.push_str(stages);
    toml
}

/// A `[[stage]]` that runs command `name` with the `command` built-in.
pub fn command_stage(name: &str, needs: &[&str], extra: &str) -> String {
    let needs: Vec<String> = needs.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        "[[stage]]\nname = \"{name}\"\nuses = \"builtin:command\"\nneeds = [{}]\n{extra}\n\
         [stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"{name}\"\n\n",
        needs.join(", ")
    )
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
