//! `seamless approve` and `seamless reject`.

use super::resume::resume_one;
use super::session::Session;
use crate::args::{DecideArgs, HostChoice};
use anyhow::{Result, bail};
use seamless_store::Approval;
use std::path::PathBuf;
use std::process::ExitCode;

/// Records a decision on a run that waits for approval. When no live process carries
/// the run out (it was started by a process that has ended), the run is carried on
/// here, in the foreground, unless `--no-resume` is given.
pub async fn decide(
    args: DecideArgs,
    approved: bool,
    reason: Option<String>,
    data_dir: Option<PathBuf>,
) -> Result<ExitCode> {
    let session = Session::open(data_dir.clone(), Some(HostChoice::Local)).await?;
    let Some(run) = session.store.run(&args.run)? else {
        bail!(
            "there is no run '{}'; list runs with `seamless runs`",
            args.run
        );
    };
    if run.status.is_terminal() {
        bail!(
            "run '{}' already ended ({}); only a run that waits for approval takes a decision",
            run.id,
            run.status
        );
    }
    let by = args
        .by
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "cli".into());
    session.store.decide(
        &run.id,
        &Approval {
            approved,
            reason,
            decided_by: by.clone(),
            at: seamless_store::now_ms(),
        },
    )?;
    let verb = if approved { "approved" } else { "rejected" };
    println!("seamless: run {} {verb} by {by}", run.id);
    if session.store.owner_alive(&run) {
        println!(
            "seamless: process {} carries the run on",
            run.owner_pid.unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.no_resume {
        println!("seamless: `seamless resume {}` carries the run on", run.id);
        return Ok(ExitCode::SUCCESS);
    }
    let host = match run.host.as_str() {
        "local" => Some(HostChoice::Local),
        _ => Some(HostChoice::Docker),
    };
    resume_one(
        &run.id,
        host,
        crate::progress::Progress::new(false),
        data_dir,
    )
    .await
}

/// Records a decision through a server's API.
pub async fn decide_remote(
    remote: &crate::remote::Remote,
    run: &str,
    approved: bool,
    reason: Option<String>,
) -> Result<ExitCode> {
    let verb = if approved { "approve" } else { "reject" };
    let path = format!("/api/v1/runs/{}/{verb}", crate::remote::client_escape(run));
    let answer: serde_json::Value = remote
        .post(&path, &serde_json::json!({ "reason": reason }))
        .await?;
    println!(
        "seamless: run {run} {verb}d; it is {}",
        answer["status"].as_str().unwrap_or("unknown")
    );
    Ok(ExitCode::SUCCESS)
}
