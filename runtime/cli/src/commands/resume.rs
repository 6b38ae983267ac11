//! `seamless resume`: continue runs whose process died.

use super::session::{Session, follow_with, report};
use crate::args::{HostChoice, ResumeArgs};
use crate::progress::Progress;
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
    // Several runs are carried on at once, so one that waits for approval does not
    // hold the others back; their progress is shown as plain lines.
    let several = runs.len() > 1;
    let resumes = runs.iter().map(|run_id| {
        let host = args.host.or_else(|| {
            probe
                .store
                .run(run_id)
                .ok()
                .flatten()
                .and_then(|r| HostChoice::from_name(&r.host))
        });
        let progress = if several {
            Progress::plain(args.verbose)
        } else {
            Progress::new(args.verbose)
        };
        resume_one(run_id, host, progress, data_dir.clone())
    });
    let mut all_ok = true;
    for result in futures_util::future::join_all(resumes).await {
        match result {
            Ok(code) => all_ok &= code == ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                all_ok = false;
            }
        }
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
    progress: Progress,
    data_dir: Option<PathBuf>,
) -> Result<ExitCode> {
    let session = Session::open(data_dir, host).await?;
    println!(
        "seamless: resuming run {run_id} on the {} host",
        session.host.name()
    );
    let scheduler = session.scheduler();
    let outcome = follow_with(progress, |tx, cancel| scheduler.resume(run_id, tx, cancel)).await?;
    Ok(report(&outcome, &session.data_dir))
}
