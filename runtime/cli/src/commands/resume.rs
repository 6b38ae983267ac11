//! `seamless resume`: continue runs whose process died.

use super::session::{Session, follow, report};
use crate::args::{HostChoice, ResumeArgs};
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// Resumes the named runs, or every orphaned one, one after the other. The exit code
/// is 0 when every resumed run succeeded.
pub async fn resume(args: ResumeArgs, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let probe = Session::open(data_dir.clone(), Some(HostChoice::Local)).await?;
    let runs: Vec<String> = if args.runs.is_empty() {
        probe
            .store
            .orphaned_runs()?
            .into_iter()
            .map(|r| r.id)
            .collect()
    } else {
        args.runs.clone()
    };
    if runs.is_empty() {
        println!("seamless: no unfinished run to resume");
        return Ok(ExitCode::SUCCESS);
    }
    let mut all_ok = true;
    for run_id in runs {
        let host = args.host.or_else(|| {
            probe
                .store
                .run(&run_id)
                .ok()
                .flatten()
                .and_then(|r| match r.host.as_str() {
                    "docker" => Some(HostChoice::Docker),
                    "local" => Some(HostChoice::Local),
                    _ => None,
                })
        });
        let code = resume_one(&run_id, host, args.verbose, data_dir.clone()).await?;
        all_ok &= code == ExitCode::SUCCESS;
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Resumes one run in this process and follows it to its end.
pub async fn resume_one(
    run_id: &str,
    host: Option<HostChoice>,
    verbose: bool,
    data_dir: Option<PathBuf>,
) -> Result<ExitCode> {
    let session = Session::open(data_dir, host).await?;
    println!(
        "seamless: resuming run {run_id} on the {} host",
        session.host.name()
    );
    let scheduler = session.scheduler();
    let outcome = follow(verbose, |tx, cancel| scheduler.resume(run_id, tx, cancel)).await?;
    Ok(report(&outcome, &session.data_dir))
}
