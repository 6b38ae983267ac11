//! `/metrics` in the Prometheus text format (a viewer token or session is needed, as
//! for every other read):
//! - `seamless_runs{status}`: runs by status (from the store);
//! - `seamless_stage_duration_seconds{stage}`: a histogram of finished stages' run
//!   times per stage (every stage that ends while the server runs, whichever process
//!   carried it out);
//! - `seamless_queue_depth`: webhook requests waiting for a run slot;
//! - `seamless_plugin_instantiate_seconds`: a histogram of plugin instantiation times
//!   in this process;
//! - `seamless_webhook_deliveries{outcome}`: recorded deliveries by outcome;
//! - `seamless_event_subscribers`: live event stream subscribers.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder, exponential_buckets,
};
use seamless_store::Store;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::WeakSender;
use tokio_util::sync::CancellationToken;

use super::error::ApiError;
use crate::live::{Hub, Update};
use crate::webhooks::TriggerRequest;

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    runs: IntGaugeVec,
    deliveries: IntGaugeVec,
    queue_depth: IntGauge,
    subscribers: IntGauge,
    stage_seconds: HistogramVec,
    instantiate_seconds: Histogram,
    store: Arc<Store>,
    hub: Arc<Hub>,
    queue: Option<WeakSender<TriggerRequest>>,
}

/// Why the metrics could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    /// Metrics read from `store` and `hub`; the queue depth from `queue`, if given.
    pub fn new(
        store: Arc<Store>,
        hub: Arc<Hub>,
        queue: Option<WeakSender<TriggerRequest>>,
    ) -> Result<Arc<Self>, MetricsError> {
        let registry = Registry::new();
        let runs = IntGaugeVec::new(Opts::new("seamless_runs", "Runs by status"), &["status"])?;
        let deliveries = IntGaugeVec::new(
            Opts::new(
                "seamless_webhook_deliveries",
                "Recorded webhook deliveries by outcome",
            ),
            &["outcome"],
        )?;
        let queue_depth = IntGauge::new(
            "seamless_queue_depth",
            "Webhook requests waiting for a run slot",
        )?;
        let subscribers = IntGauge::new(
            "seamless_event_subscribers",
            "Clients following the live event stream",
        )?;
        let stage_seconds = HistogramVec::new(
            HistogramOpts::new(
                "seamless_stage_duration_seconds",
                "How long finished stages ran, per stage",
            )
            .buckets(exponential_buckets(0.25, 2.0, 14)?),
            &["stage"],
        )?;
        let instantiate_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "seamless_plugin_instantiate_seconds",
                "How long instantiating a stage plugin took",
            )
            .buckets(exponential_buckets(0.0001, 2.0, 16)?),
        )?;
        registry.register(Box::new(runs.clone()))?;
        registry.register(Box::new(deliveries.clone()))?;
        registry.register(Box::new(queue_depth.clone()))?;
        registry.register(Box::new(subscribers.clone()))?;
        registry.register(Box::new(stage_seconds.clone()))?;
        registry.register(Box::new(instantiate_seconds.clone()))?;
        Ok(Arc::new(Self {
            registry,
            runs,
            deliveries,
            queue_depth,
            subscribers,
            stage_seconds,
            instantiate_seconds,
            store,
            hub,
            queue,
        }))
    }

    /// Records one plugin instantiation.
    pub fn observe_instantiate(&self, took: std::time::Duration) {
        self.instantiate_seconds.observe(took.as_secs_f64());
    }

    /// Observes every stage that finishes, from the live feed, until `stop` fires.
    pub async fn watch_stages(self: Arc<Self>, stop: CancellationToken) {
        let mut updates = self.hub.subscribe();
        loop {
            let batch = tokio::select! {
                () = stop.cancelled() => return,
                batch = updates.recv() => batch,
            };
            match batch {
                Ok(batch) => {
                    for update in batch.iter() {
                        if let Update::Status(e) = update
                            && let (Some(stage), Some(start), Some(end)) =
                                (&e.stage, e.started_at, e.finished_at)
                            && matches!(e.status.as_str(), "success" | "failure")
                        {
                            let secs = (end - start).max(0) as f64 / 1000.0;
                            self.stage_seconds
                                .with_label_values(&[stage.as_str()])
                                .observe(secs);
                        }
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "stage duration metrics missed updates");
                }
                Err(RecvError::Closed) => return,
            }
        }
    }

    /// The metrics as Prometheus text.
    pub fn render(&self) -> Result<String, ApiError> {
        let runs = self.store.run_counts()?;
        self.runs.reset();
        for (status, n) in runs {
            self.runs
                .with_label_values(&[status.as_str()])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        self.deliveries.reset();
        for (outcome, n) in self.store.delivery_outcomes()? {
            self.deliveries
                .with_label_values(&[outcome.as_str()])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        let depth = self
            .queue
            .as_ref()
            .and_then(WeakSender::upgrade)
            .map_or(0, |q| q.max_capacity() - q.capacity());
        self.queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
        // The metrics task holds one receiver of its own.
        self.subscribers
            .set(i64::try_from(self.hub.subscribers().saturating_sub(1)).unwrap_or(0));
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .map_err(|e| ApiError::internal("cannot encode the metrics", e))?;
        String::from_utf8(out).map_err(|e| ApiError::internal("cannot encode the metrics", e))
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<super::ApiState>) -> Result<Response, ApiError> {
    let text = state.metrics.render()?;
    Ok(([(CONTENT_TYPE, TextEncoder::new().format_type())], text).into_response())
}
