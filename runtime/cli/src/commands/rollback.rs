//! `seamless rollback`: redeploy an earlier healthy revision of one service through
//! the same health-checked deploy stage, recorded as a new revision.

use super::EXIT_INVALID;
use super::session::{Session, follow, report};
use crate::args::RollbackArgs;
use anyhow::{Context, Result};
use seamless_scheduler::rollback::{
    RollbackTarget, check_image, deploy_stage, pick, rollback_request,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Picks the revision to go back to and deploys it.
pub async fn rollback(args: RollbackArgs, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let config = match seamless_core::config::load(&args.path) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let env = &args.environment;
    deploy_stage(&config, &args.service, env)?;
    let config_text = std::fs::read_to_string(&config.file)
        .with_context(|| format!("cannot read '{}'", config.file.display()))?;
    let session = Session::open_with(data_dir, args.host, &config.ecs).await?;
    let revisions = session.store.revisions(&args.service, env)?;
    let target = match args.to.as_deref() {
        Some(commit) => RollbackTarget::Commit(commit),
        None => RollbackTarget::Previous,
    };
    let target = pick(&revisions, target)?;
    // Before anything starts: a gone image is refused with nothing recorded.
    check_image(session.host.as_ref(), target).await?;
    let request = rollback_request(
        Arc::new(config.clone()),
        config_text,
        &args.service,
        env,
        target,
    )?;
    println!(
        "seamless: rolling {} in {env} back to {} (commit {}, deployed by run {})",
        args.service,
        target.image,
        target.commit_sha.short(),
        target.run_id
    );
    let scheduler = session.scheduler();
    let outcome = follow(args.verbose, |tx, cancel| {
        scheduler.run(request, tx, cancel)
    })
    .await?;
    Ok(report(&outcome, &session.data_dir))
}

/// Rolls back through a server's API, then follows the rollback run to its end.
pub async fn rollback_remote(
    remote: &crate::remote::Remote,
    args: &RollbackArgs,
) -> Result<ExitCode> {
    use crate::remote::client_escape as escape;
    let pipeline = remote.pipeline(args.pipeline.as_deref()).await?;
    let path = format!(
        "/api/v1/pipelines/{}/services/{}/rollback",
        escape(&pipeline),
        escape(&args.service)
    );
    let body = serde_json::json!({ "environment": args.environment, "commit": args.to });
    let started: serde_json::Value = remote.post(&path, &body).await?;
    let accepted = super::accepted::Accepted::parse(&started)?;
    println!(
        "seamless: rolling {} in {} back: run {}",
        args.service, args.environment, accepted.run
    );
    accepted.tell_if_queued();
    accepted.until_started(remote).await?;
    super::logs::follow_remote(remote, &accepted.run, &super::logs::LineFilter::default()).await
}
