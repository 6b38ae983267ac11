//! `seamless runs` and `seamless deployments`: what the store holds.

use super::session::Session;
use crate::args::{DeploymentsArgs, HostChoice, RunsArgs};
use anyhow::{Result, bail};
use seamless_core::state::RunStatus;
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
    if runs.is_empty() {
        println!("no runs");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<32}  {:<17}  {:<12}  {:<12}  {:<12}  started",
        "run", "status", "trigger", "commit", "branch"
    );
    for run in runs {
        println!(
            "{:<32}  {:<17}  {:<12}  {:<12}  {:<12}  {}",
            run.id,
            run.status.as_str(),
            run.trigger,
            run.commit_sha.get(..12).unwrap_or(&run.commit_sha),
            run.branch.as_deref().unwrap_or("-"),
            time(run.created_at)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Lists the deploy revisions of a service, newest first.
pub async fn deployments(args: DeploymentsArgs, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let session = Session::open(data_dir, Some(HostChoice::Local)).await?;
    let revisions = match &args.environment {
        Some(env) => session.store.revisions(&args.service, env)?,
        None => session.store.service_revisions(&args.service)?,
    };
    if revisions.is_empty() {
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
    println!(
        "{:<36}  {:<11}  {:<11}  {:<12}  {:<20}  {:<3}  image",
        "revision", "environment", "result", "commit", "finished", ""
    );
    for r in revisions {
        let live = serving
            .iter()
            .any(|(env, id)| *env == r.environment && *id == r.id);
        println!(
            "{:<36}  {:<11}  {:<11}  {:<12}  {:<20}  {:<3}  {}{}",
            r.id,
            r.environment,
            r.result,
            r.commit_sha.get(..12).unwrap_or(&r.commit_sha),
            r.finished_at.map_or_else(|| "-".to_string(), time),
            if live { "*" } else { "" },
            r.image,
            r.reason.map(|x| format!("  ({x})")).unwrap_or_default()
        );
    }
    println!("* serves now");
    Ok(ExitCode::SUCCESS)
}

/// Unix milliseconds as an RFC 3339 UTC time, to the second.
fn time(ms: i64) -> String {
    let at =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::time;

    #[test]
    fn unix_milliseconds_show_as_utc_times() {
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(1_795_000_000_000), "2026-11-18T11:06:40Z");
    }
}
