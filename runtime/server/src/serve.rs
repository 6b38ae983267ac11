//! Binds, serves and stops.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::pipeline::Pipeline;
use crate::resume::resume_orphans;
use crate::runtime::Runtime;
use crate::webhooks::{WEBHOOK_PATH, WebhookConfig, WebhookState};
use crate::worker::Worker;

/// How many accepted requests may wait for the worker; more are answered 503.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The webhook secret and body limit.
    pub webhook: WebhookConfig,
    /// Most stage instances of one run at once.
    pub max_parallel: usize,
    /// Most runs at once (resumed runs aside).
    pub max_runs: usize,
    /// How many accepted requests may wait for a run slot.
    pub queue_capacity: usize,
}

/// Serves `pipeline` until `shutdown` completes: resumes orphaned runs in the
/// background, then answers webhooks and carries their runs out.
///
/// On shutdown it stops accepting, finishes the answers in flight, forgets the
/// requests still queued, and returns without cancelling any run: the runs in progress
/// keep their state in the store, and a later `seamless serve` or `seamless resume`
/// carries them on.
pub async fn serve(
    runtime: Runtime,
    pipeline: Pipeline,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(
        pipeline = %pipeline.config.pipeline,
        host = runtime.host.name(),
        "listening on http://{addr} (webhooks at {WEBHOOK_PATH})"
    );
    tokio::spawn(resume_orphans(runtime.clone()));

    let (queue, requests) = mpsc::channel(options.queue_capacity.max(1));
    let stop = CancellationToken::new();
    let worker = Worker::new(
        runtime.clone(),
        pipeline,
        options.max_parallel,
        options.max_runs,
    );
    let worker = tokio::spawn(worker.run(requests, stop.clone()));

    let state = WebhookState::new(options.webhook, runtime.store.clone(), Arc::new(queue));
    let served = axum::serve(listener, crate::app::router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    stop.cancel();
    let _ = worker.await;
    tracing::info!("stopped; runs in progress are left for the next start to resume");
    served
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("interrupted; stopping"),
        () = term => tracing::info!("terminated; stopping"),
    }
}
