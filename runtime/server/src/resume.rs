//! On start, carries on every unfinished run whose process died (as `seamless resume`
//! does), each on the host it was started on. Resumed runs do not count against
//! `max_runs`: they were admitted before.

use seamless_scheduler::RunEvent;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::runtime::Runtime;

/// Resumes every orphaned run, concurrently, and returns once all of them have ended
/// (or could not be resumed). Spawn it.
pub async fn resume_orphans(runtime: Runtime) {
    let orphans = match runtime.store.orphaned_runs() {
        Ok(runs) => runs,
        Err(e) => {
            tracing::error!(error = %e, "cannot list the unfinished runs to resume");
            return;
        }
    };
    if orphans.is_empty() {
        return;
    }
    tracing::info!(runs = orphans.len(), "resuming unfinished runs");
    let mut tasks = tokio::task::JoinSet::new();
    for run in orphans {
        let runtime = runtime.clone();
        tasks.spawn(async move { resume_one(runtime, run.id, run.host).await });
    }
    while tasks.join_next().await.is_some() {}
}

/// Resumes one run on the host it was started on, and logs how it ended.
pub(crate) async fn resume_one(runtime: Runtime, run_id: String, host_name: String) {
    let host = match runtime.hosts.host(&host_name).await {
        Ok(host) => host,
        Err(e) => {
            tracing::error!(run = %run_id, host = %host_name, error = %e, "cannot resume the run: its host is unavailable");
            return;
        }
    };
    tracing::info!(run = %run_id, host = %host_name, "run resumed");
    let scheduler = runtime.scheduler(host);
    let (tx, mut events) = mpsc::unbounded_channel::<RunEvent>();
    // Nothing watches a resumed run's events here; they are in the store.
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    let outcome = scheduler
        .resume(&run_id, tx, CancellationToken::new())
        .await;
    drain.abort();
    match outcome {
        Ok(o) => tracing::info!(run = %o.run_id, status = %o.status, "run ended"),
        Err(e) => tracing::warn!(run = %run_id, error = %e, "the run could not be resumed"),
    }
}
