//! What the commands that carry runs out share: the data directory, the store, the
//! plugin engine and the container host, and following a run in the terminal.

use crate::args::HostChoice;
use crate::progress::Progress;
use crate::{data_dir, host_select};
use anyhow::{Context, Result};
use seamless_core::config::ecs::EcsSettings;
use seamless_engine::PluginEngine;
use seamless_host_api::ContainerHost;
use seamless_scheduler::{RunEvent, RunOutcome, Scheduler, SchedulerError};
use seamless_store::Store;
use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// The parts a run needs.
pub struct Session {
    /// Where state is kept.
    pub data_dir: PathBuf,
    /// The run store.
    pub store: Arc<Store>,
    /// The container backend.
    pub host: Arc<dyn ContainerHost>,
    engine: Arc<PluginEngine>,
}

impl Session {
    /// Opens the store, the engine and the chosen backend; the ECS host takes its
    /// options from the `SEAMLESS_ECS_*` environment.
    pub async fn open(data_dir: Option<PathBuf>, host: Option<HostChoice>) -> Result<Self> {
        Self::open_with(data_dir, host, &EcsSettings::default()).await
    }

    /// [`Session::open`], the ECS host taking the pipeline's `[hosts.ecs]` under the
    /// environment.
    pub async fn open_with(
        data_dir: Option<PathBuf>,
        host: Option<HostChoice>,
        ecs: &EcsSettings,
    ) -> Result<Self> {
        let data_dir = data_dir::resolve(data_dir)?;
        let store = Arc::new(Store::open(&data_dir)?);
        let engine = Arc::new(
            PluginEngine::new(data_dir.join("cache").join("components"))
                .context("cannot start the plugin engine")?,
        );
        let host = host_select::select(host, ecs, &store).await?;
        Ok(Session {
            data_dir,
            store,
            host,
            engine,
        })
    }

    /// The plugin engine.
    pub fn engine(&self) -> Arc<PluginEngine> {
        self.engine.clone()
    }

    /// A scheduler over these parts.
    pub fn scheduler(&self) -> Scheduler {
        Scheduler::new(
            self.engine.clone(),
            self.store.clone(),
            self.host.clone(),
            self.data_dir.clone(),
        )
    }
}

/// Carries a run out with live progress in the terminal; Ctrl-C cancels it.
pub async fn follow<F, Fut>(verbose: bool, start: F) -> Result<RunOutcome, SchedulerError>
where
    F: FnOnce(UnboundedSender<RunEvent>, CancellationToken) -> Fut,
    Fut: Future<Output = Result<RunOutcome, SchedulerError>>,
{
    follow_with(Progress::new(verbose), start).await
}

/// [`follow`] with a chosen way of showing progress.
pub async fn follow_with<F, Fut>(progress: Progress, start: F) -> Result<RunOutcome, SchedulerError>
where
    F: FnOnce(UnboundedSender<RunEvent>, CancellationToken) -> Fut,
    Fut: Future<Output = Result<RunOutcome, SchedulerError>>,
{
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let progress = tokio::spawn(progress.follow(rx));
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let signals = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("seamless: interrupted; cancelling the run and removing its containers");
            on_signal.cancel();
        }
    });
    let outcome = start(tx, cancel).await;
    signals.abort();
    let _ = progress.await;
    outcome
}

/// Prints how a run ended (with its test counts, if any stage ran tests) and gives
/// its exit code: 0 only for success.
pub fn report(outcome: &RunOutcome, data_dir: &std::path::Path) -> ExitCode {
    if let Ok(store) = Store::open(data_dir)
        && let Ok(stages) = store.stages(&outcome.run_id)
    {
        let counts: Vec<_> = stages.iter().filter_map(|s| s.tests).collect();
        if !counts.is_empty() {
            let sum = |f: fn(&seamless_store::TestCounts) -> u32| counts.iter().map(f).sum::<u32>();
            println!(
                "seamless: tests: {} passed, {} failed, {} skipped (in {} stage(s))",
                sum(|c| c.passed),
                sum(|c| c.failed),
                sum(|c| c.skipped),
                counts.len()
            );
        }
    }
    println!(
        "seamless: run {} {} (data: {})",
        outcome.run_id,
        outcome.status.as_str(),
        data_dir.display()
    );
    if outcome.status == seamless_core::state::RunStatus::Success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
