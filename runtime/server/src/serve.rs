//! Binds, serves and stops.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::api::ApiState;
use crate::api::metrics::Metrics;
use crate::dispatch::Dispatcher;
use crate::github::{GitHubClient, StatusReporter};
use crate::live::Hub;
use crate::login::LoginConfig;
use crate::login::routes::LoginState;
use crate::pipeline::Pipeline;
use crate::registry::Pipelines;
use crate::resume::resume_orphans;
use crate::runtime::Runtime;
use crate::webhooks::{PipelineSecrets, WEBHOOK_PATH, WebhookConfig, WebhookState};
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
    /// Most stage instances of one run at once, for every run the server starts.
    pub max_parallel: usize,
    /// Most runs at once, started by webhooks or the API alike (resumed runs aside).
    pub max_runs: usize,
    /// How many accepted requests may wait for a run slot.
    pub queue_capacity: usize,
    /// How long the log lines of finished runs are kept (`None`: for ever).
    pub log_retention: Option<Duration>,
    /// How the dashboard signs people in (`None`: the dashboard's API needs tokens).
    pub login: Option<LoginConfig>,
    /// Where commit statuses are posted (and pull requests merged); `None` posts
    /// nothing.
    pub github: Option<GitHubClient>,
    /// The server's public base URL, such as `https://ci.example.com`; commit statuses
    /// link to `{public_url}/runs/{run}`.
    pub public_url: Option<String>,
}

/// The log retention when none is given.
pub const DEFAULT_LOG_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// How often logs past their retention are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

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
    let stop = CancellationToken::new();
    if let Some(retention) = options.log_retention {
        tokio::spawn(prune_logs(runtime.clone(), retention, stop.clone()));
    }
    let hub = Hub::new(runtime.store.clone());
    tokio::spawn(hub.clone().run(stop.clone()));
    let pipelines = Arc::new(Pipelines::new());
    runtime
        .store
        .put_pipeline(
            &pipeline.config.pipeline,
            &pipeline.config.file.display().to_string(),
            std::str::from_utf8(options.webhook.secret()).ok(),
        )
        .map_err(std::io::Error::other)?;
    pipelines.insert(pipeline.clone());
    load_registered(&runtime, &pipelines, &pipeline.config.pipeline);
    let statuses = statuses(&pipeline, &options);

    let (queue, requests) = mpsc::channel(options.queue_capacity.max(1));
    let metrics = Metrics::new(runtime.store.clone(), hub.clone(), Some(queue.downgrade()))
        .map_err(std::io::Error::other)?;
    let observer = metrics.clone();
    runtime
        .engine
        .on_instantiate(Arc::new(move |took| observer.observe_instantiate(took)));
    tokio::spawn(metrics.clone().watch_stages(stop.clone()));
    let runs = Dispatcher::new(runtime.clone(), options.max_parallel, options.max_runs);
    let api = ApiState {
        runtime: runtime.clone(),
        runs: runs.clone(),
        pipelines: pipelines.clone(),
        hub,
        metrics,
    };
    let mut worker = Worker::new(runs, pipelines.clone(), pipeline.config.pipeline.clone());
    if let Some(reporter) = statuses {
        worker = worker.with_statuses(reporter);
    }
    let worker = tokio::spawn(worker.run(requests, stop.clone()));

    let state = WebhookState::new(options.webhook, runtime.store.clone(), Arc::new(queue))
        .with_pipelines(Arc::new(StoredSecrets(runtime.store.clone())));
    let login = LoginState {
        config: options.login.map(Arc::new),
        store: runtime.store.clone(),
    };
    let served = axum::serve(listener, crate::app::router(state, api, login))
        .with_graceful_shutdown(shutdown)
        .await;
    stop.cancel();
    let _ = worker.await;
    tracing::info!("stopped; runs in progress are left for the next start to resume");
    served
}

/// Registers the pipelines registered earlier (through the API) from their
/// `seamless.toml`; one that no longer loads is left out, with the reason logged.
fn load_registered(runtime: &Runtime, pipelines: &Pipelines, started_with: &str) {
    let records = match runtime.store.pipelines() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the registered pipelines");
            return;
        }
    };
    for record in records.into_iter().filter(|r| r.name != started_with) {
        let path = std::path::Path::new(&record.config_path);
        match seamless_core::config::load(path) {
            Ok(config) if config.pipeline == record.name => {
                let text = std::fs::read_to_string(&config.file).unwrap_or_default();
                tracing::info!(pipeline = %record.name, "pipeline registered earlier");
                pipelines.insert(Pipeline::new(config, text));
            }
            Ok(config) => tracing::warn!(
                pipeline = %record.name, path = %record.config_path,
                "left out: the file now names the pipeline '{}'", config.pipeline
            ),
            Err(errors) => tracing::warn!(
                pipeline = %record.name, path = %record.config_path,
                "left out: its configuration no longer loads:\n{errors}"
            ),
        }
    }
}

/// Webhook secrets as the store keeps them, per pipeline.
struct StoredSecrets(Arc<seamless_store::Store>);

impl PipelineSecrets for StoredSecrets {
    fn secrets(&self) -> Vec<(String, String)> {
        match self.0.pipelines() {
            Ok(records) => records
                .into_iter()
                .filter_map(|r| Some((r.name, r.webhook_secret?)))
                .collect(),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the pipelines' webhook secrets");
                Vec::new()
            }
        }
    }
}

/// Deletes the logs of runs that finished more than `retention` ago, hourly.
async fn prune_logs(runtime: Runtime, retention: Duration, stop: CancellationToken) {
    loop {
        let cutoff =
            seamless_store::now_ms() - i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
        match runtime.store.prune_logs(cutoff) {
            Ok(0) => {}
            Ok(n) => tracing::info!(lines = n, "deleted log lines past their retention"),
            Err(e) => tracing::warn!(error = %e, "cannot delete old log lines"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(PRUNE_EVERY) => {}
        }
    }
}

/// The reporter of commit statuses, if a GitHub client is configured; says at start
/// what is (not) posted.
fn statuses(pipeline: &Pipeline, options: &ServeOptions) -> Option<StatusReporter> {
    let auto_merge = pipeline.config.triggers.pull_request_auto_merge;
    let Some(client) = options.github.clone() else {
        tracing::info!("no GitHub token given: commit statuses are not posted");
        if auto_merge {
            tracing::warn!(
                "[triggers.pull-request] auto-merge is on, but without a GitHub token \
                 no pull request is merged"
            );
        }
        return None;
    };
    let api = client.api_url();
    let reporter = StatusReporter::new(
        client,
        &pipeline.config.pipeline,
        options.public_url.as_deref(),
    );
    tracing::info!(
        api = %api,
        context = reporter.context(),
        auto_merge,
        "commit statuses are posted to GitHub"
    );
    Some(reporter)
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
