//! `seamless trigger`: start a run on a server, at a branch or commit of its checkout.

use super::accepted::Accepted;
use super::logs::{LineFilter, follow_remote};
use crate::args::{TriggerArgs, TriggerChoice};
use crate::remote::{Remote, client_escape as escape};
use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::process::ExitCode;

/// Starts the run; with `--wait`, follows it to its end.
pub async fn trigger(args: TriggerArgs, remote: Option<Remote>) -> Result<ExitCode> {
    let Some(remote) = remote else {
        bail!(
            "`seamless trigger` starts a run on a server: give --server URL and --token T \
             (or set them in cli.toml); to run here, use `seamless run`"
        );
    };
    let pipeline = remote.pipeline(args.pipeline.as_deref()).await?;
    let trigger = match args.trigger {
        TriggerChoice::Manual => "manual",
        TriggerChoice::Push => "push",
        TriggerChoice::PullRequest => "pull-request",
    };
    let body = json!({
        "branch": args.branch,
        "commit": args.commit,
        "trigger": trigger,
        "services": args.services,
        "stages": args.stages,
    });
    let started: Value = remote
        .post(
            &format!("/api/v1/pipelines/{}/runs", escape(&pipeline)),
            &body,
        )
        .await?;
    let accepted = Accepted::parse(&started)?;
    let run = &accepted.run;
    println!("{run}");
    match accepted.ahead {
        None => eprintln!("seamless: started run {run} of pipeline {pipeline}"),
        Some(_) => accepted.tell_if_queued(),
    }
    if args.wait {
        accepted.until_started(&remote).await?;
        return follow_remote(&remote, run, &LineFilter::default()).await;
    }
    Ok(ExitCode::SUCCESS)
}
