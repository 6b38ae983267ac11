//! `seamless runs` and `seamless deployments`: what the store holds. Their JSON is the
//! API's: a [`RunPage`] and a list of [`RevisionView`]s.

use super::session::Session;
use crate::args::{DeploymentsArgs, HostChoice, RunsArgs};
use crate::output::{self, time};
use anyhow::{Result, bail};
use seamless_client::views::{RevisionView, RunPage};
use seamless_core::state::RunStatus;
use seamless_server::api::views;
use seamless_store::RunFilter;
use std::path::PathBuf;
use std::process::ExitCode;

/// Lists runs, newest first.
pub async fn runs(args: RunsArgs, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let session = Session::open(data_dir, Some(HostChoice::Local)).await?;
    let status = match &args.status {
        Some(s) => Some(s.parse::<RunStatus>().map_err(anyhow::Error::new)?),
        None => None,
    };
    let runs = session.store.list_runs(&RunFilter {
        status,
        trigger: args.trigger.clone(),
        service: args.service.clone(),
        branch: args.branch.clone(),
        limit: args.limit,
        ..RunFilter::default()
    })?;
    if args.output.is_json() {
        let next = (runs.len() == args.limit as usize)
            .then(|| runs.last().map(|r| r.id.clone()))
            .flatten();
        output::json(&RunPage {
            runs: runs.iter().map(views::run).collect(),
            next,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        println!("no runs");
        return Ok(ExitCode::SUCCESS);
    }
    header();
    for run in runs {
        row(
            &run.id,
            run.status.as_str(),
            &run.trigger,
            run.commit_sha.short(),
            run.branch.as_deref().unwrap_or("-"),
            run.created_at,
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Lists runs on a server, newest first.
pub async fn runs_remote(remote: &crate::remote::Remote, args: &RunsArgs) -> Result<ExitCode> {
    use crate::remote::client_escape as escape;
    let mut path = format!("/api/v1/runs?limit={}", args.limit.clamp(1, 200));
    for (key, value) in [
        ("service", &args.service),
        ("status", &args.status),
        ("trigger", &args.trigger),
        ("branch", &args.branch),
    ] {
        if let Some(v) = value {
            path.push_str(&format!("&{key}={}", escape(v)));
        }
    }
    let page: serde_json::Value = remote.get(&path).await?;
    if args.output.is_json() {
        // The server's answer is a `RunPage` already.
        output::json(&page)?;
        return Ok(ExitCode::SUCCESS);
    }
    let runs = page["runs"].as_array().cloned().unwrap_or_default();
    if runs.is_empty() {
        println!("no runs");
        return Ok(ExitCode::SUCCESS);
    }
    header();
    for run in runs {
        let text = |k: &str| run[k].as_str().unwrap_or("-").to_string();
        let commit = text("commit");
        row(
            &text("id"),
            &text("status"),
            &text("trigger"),
            commit.get(..12).unwrap_or(&commit),
            &text("branch"),
            run["created_at"].as_i64().unwrap_or(0),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn header() {
    println!(
        "{:<32}  {:<17}  {:<12}  {:<12}  {:<12}  started",
        "run", "status", "trigger", "commit", "branch"
    );
}

fn row(id: &str, status: &str, trigger: &str, commit: &str, branch: &str, created_at: i64) {
    println!(
        "{id:<32}  {status:<17}  {trigger:<12}  {commit:<12}  {branch:<12}  {}",
        time(created_at)
    );
}

/// Lists the deploy revisions of a service, newest first.
pub async fn deployments(args: DeploymentsArgs, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let session = Session::open(data_dir, Some(HostChoice::Local)).await?;
    let revisions = match &args.environment {
        Some(env) => session.store.revisions(&args.service, env)?,
        None => session.store.service_revisions(&args.service)?,
    };
    if revisions.is_empty() && !args.output.is_json() {
        bail!(
            "service '{}' has no deploys{}",
            args.service,
            args.environment
                .as_ref()
                .map(|e| format!(" to '{e}'"))
                .unwrap_or_default()
        );
    }
    let serving: Vec<(String, String)> = revisions
        .iter()
        .map(|r| r.environment.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter_map(|env| {
            session
                .store
                .current_revision(&args.service, &env)
                .ok()
                .flatten()
                .map(|r| (env, r.id))
        })
        .collect();
    let serves = |r: &seamless_core::deploy::Revision| {
        serving
            .iter()
            .any(|(env, id)| *env == r.environment && *id == r.id)
    };
    if args.output.is_json() {
        let answers: Vec<RevisionView> = revisions
            .into_iter()
            .map(|r| {
                let current = serves(&r);
                views::revision(r, current)
            })
            .collect();
        output::json(&answers)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<36}  {:<11}  {:<11}  {:<12}  {:<20}  {:<3}  image",
        "revision", "environment", "result", "commit", "finished", ""
    );
    for r in revisions {
        let live = serves(&r);
        println!(
            "{:<36}  {:<11}  {:<11}  {:<12}  {:<20}  {:<3}  {}{}",
            r.id,
            r.environment,
            r.result,
            r.commit_sha.short(),
            r.finished_at.map_or_else(|| "-".to_string(), time),
            if live { "*" } else { "" },
            r.image,
            r.reason.map(|x| format!("  ({x})")).unwrap_or_default()
        );
    }
    println!("* serves now");
    Ok(ExitCode::SUCCESS)
}
