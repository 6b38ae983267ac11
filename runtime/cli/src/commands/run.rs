//! `seamless run`.

use super::EXIT_INVALID;
use crate::args::RunArgs;
use crate::progress::Progress;
use crate::{data_dir, git, host_select};
use anyhow::{Context, Result};
use seamless_core::plan::{PlanFilter, plan};
use seamless_core::state::RunStatus;
use seamless_engine::PluginEngine;
use seamless_scheduler::{RunRequest, Scheduler};
use seamless_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Validates, plans and runs the pipeline; the exit code is 0 only on success.
pub async fn run(args: RunArgs, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let config = match seamless_core::config::load(&args.path) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("no run was started: fix seamless.toml (check it with `seamless validate`)");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let filter = PlanFilter {
        services: args.services.clone(),
        stages: args.stages.clone(),
    };
    let run_plan = match plan(&config, &filter) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let data_dir = data_dir::resolve(data_dir)?;
    let store = Arc::new(Store::open(&data_dir)?);
    let engine = Arc::new(
        PluginEngine::new(data_dir.join("cache").join("components"))
            .context("cannot start the plugin engine")?,
    );
    let host = host_select::select(args.host).await?;
    let workspace = config
        .root
        .canonicalize()
        .with_context(|| format!("cannot resolve '{}'", config.root.display()))?;
    let commit_sha = git::commit_sha(&workspace);
    let request = RunRequest {
        config: Arc::new(config),
        plan: run_plan,
        workspace,
        trigger: "cli".into(),
        commit_sha,
        max_parallel: usize::from(args.parallel),
    };
    println!(
        "seamless: pipeline '{}' at {} on the {} host",
        request.config.pipeline,
        short(&request.commit_sha),
        host.name()
    );

    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let progress = tokio::spawn(Progress::new(args.verbose).follow(rx));
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("seamless: interrupted; cancelling the run and removing its containers");
            on_signal.cancel();
        }
    });
    let scheduler = Scheduler::new(engine, store, host);
    let outcome = scheduler.run(request, tx, cancel).await;
    let _ = progress.await;
    let outcome = outcome?;
    println!(
        "seamless: run {} {} (data: {})",
        outcome.run_id,
        outcome.status.as_str(),
        data_dir.display()
    );
    Ok(if outcome.status == RunStatus::Success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
