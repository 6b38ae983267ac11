//! Starts a run in the background for an API request (trigger, rerun, rollback) and
//! gives its id as soon as the run exists.

use seamless_scheduler::{RunEvent, RunRequest};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::runtime::Runtime;

/// Why a run could not be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the run could not start: {0}")]
pub struct LaunchError(pub String);

/// Carries `request` out on the server's host in the background; returns the new
/// run's id once it is created. The run goes on after this returns, and ends on its
/// own (its state is in the store).
pub async fn launch(runtime: &Runtime, request: RunRequest) -> Result<String, LaunchError> {
    let scheduler = runtime.scheduler(runtime.host.clone());
    let (id_tx, id_rx) = oneshot::channel::<String>();
    let (fail_tx, fail_rx) = oneshot::channel::<String>();
    tokio::spawn(async move {
        let (tx, mut events) = mpsc::unbounded_channel();
        let mut id_tx = Some(id_tx);
        let forward = async {
            while let Some(event) = events.recv().await {
                if let RunEvent::Planned { run_id, .. } = event
                    && let Some(tx) = id_tx.take()
                {
                    let _ = tx.send(run_id);
                }
            }
        };
        let run = scheduler.run(request, tx, CancellationToken::new());
        let (outcome, ()) = tokio::join!(run, forward);
        match outcome {
            Ok(o) => tracing::info!(run = %o.run_id, status = %o.status, "run ended"),
            Err(e) => {
                tracing::error!(error = %e, "the run could not be carried out");
                let _ = fail_tx.send(e.to_string());
            }
        }
    });
    tokio::select! {
        Ok(id) = id_rx => Ok(id),
        Ok(why) = fail_rx => Err(LaunchError(why)),
        else => Err(LaunchError("the run ended before it was created".into())),
    }
}
