//! `seamless cancel`.

use super::session::Session;
use crate::args::{CancelArgs, HostChoice};
use anyhow::{Result, bail};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// How long to wait for the process that carries the run out to cancel it.
const WAIT: Duration = Duration::from_secs(120);

/// Cancels a run: asks the live process that carries it out, or cancels it here
/// when nobody does.
pub async fn cancel(args: CancelArgs, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let probe = Session::open(data_dir.clone(), Some(HostChoice::Local)).await?;
    let Some(run) = probe.store.run(&args.run)? else {
        bail!(
            "there is no run '{}'; list runs with `seamless runs`",
            args.run
        );
    };
    if run.status.is_terminal() {
        println!("seamless: run {} already ended ({})", run.id, run.status);
        return Ok(ExitCode::SUCCESS);
    }
    if probe.store.owner_alive(&run) {
        probe.store.request_cancel(&run.id)?;
        println!(
            "seamless: asked process {} to cancel run {}",
            run.owner_pid.unwrap_or_default(),
            run.id
        );
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if let Some(now) = probe.store.run(&run.id)?
                && now.status.is_terminal()
            {
                println!("seamless: run {} {}", run.id, now.status);
                return Ok(ExitCode::SUCCESS);
            }
        }
        bail!("run '{}' did not end within {}s", run.id, WAIT.as_secs());
    }
    let host = HostChoice::from_name(&run.host).or(Some(HostChoice::Docker));
    let session = Session::open(data_dir, host).await?;
    let status = session.scheduler().cancel_orphan(&run.id).await?;
    println!(
        "seamless: run {} {status}; its containers and networks are removed",
        run.id
    );
    Ok(ExitCode::SUCCESS)
}
