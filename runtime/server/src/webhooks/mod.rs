//! `POST /webhooks/github`: GitHub deliveries, signed with the pipeline's secret.
//!
//! A delivery is read under a size limit, its `X-Hub-Signature-256` verified in
//! constant time, deduplicated by `X-GitHub-Delivery` in the run store, and, for a
//! `push` to a branch or a `pull_request` opened, synchronized or reopened, handed to the
//! [`Queue`] as a [`TriggerRequest`]. The answer does not wait for any run.

mod error;
mod events;
mod handler;
mod signature;
mod trigger;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use seamless_store::Store;

pub use error::WebhookError;
pub(crate) use events::is_branch_name;
pub use events::{Parsed, PayloadError, parse};
pub use handler::{
    DELIVERY_HEADER, EVENT_HEADER, OUTCOME_FAILED, OUTCOME_IGNORED, OUTCOME_PONG, OUTCOME_QUEUED,
    OUTCOME_STARTED, receive,
};
pub use signature::{SIGNATURE_HEADER, SignatureError, sign, verify};
pub use trigger::{Queue, QueueError, TriggerRequest, WebhookTrigger};

/// Where [`router`] serves the endpoint.
pub const WEBHOOK_PATH: &str = "/webhooks/github";

/// The default body limit: 5 MiB.
pub const DEFAULT_MAX_BODY: usize = 5 * 1024 * 1024;

/// A pipeline's webhook settings. `Debug` does not show the secret.
#[derive(Clone)]
pub struct WebhookConfig {
    secret: String,
    max_body: usize,
}

/// Why a [`WebhookConfig`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Unsigned webhooks are not accepted, so a secret is required.
    #[error("the webhook secret is empty; unsigned webhooks are refused")]
    EmptySecret,
}

impl WebhookConfig {
    /// Settings with `secret` and the default body limit ([`DEFAULT_MAX_BODY`]).
    pub fn new(secret: impl Into<String>) -> Result<Self, ConfigError> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(ConfigError::EmptySecret);
        }
        Ok(Self {
            secret,
            max_body: DEFAULT_MAX_BODY,
        })
    }

    /// The same settings with a body limit of `max_body` bytes.
    pub fn with_max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    /// The body limit, in bytes.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    pub(crate) fn secret(&self) -> &[u8] {
        self.secret.as_bytes()
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("secret", &"<redacted>")
            .field("max_body", &self.max_body)
            .finish()
    }
}

/// What the endpoint needs: its settings, the store that deduplicates deliveries and
/// the queue that takes accepted requests.
#[derive(Clone)]
pub struct WebhookState {
    config: Arc<WebhookConfig>,
    store: Arc<Store>,
    queue: Arc<dyn Queue>,
    pipelines: Option<Arc<dyn PipelineSecrets>>,
}

/// The secrets of a server's pipelines: a delivery belongs to the pipeline whose
/// secret signed it.
pub trait PipelineSecrets: Send + Sync {
    /// Every pipeline's name and webhook secret.
    fn secrets(&self) -> Vec<(String, String)>;
}

impl WebhookState {
    /// Bundles the endpoint's settings, store and queue. Deliveries are verified with
    /// the settings' secret only.
    pub fn new(config: WebhookConfig, store: Arc<Store>, queue: Arc<dyn Queue>) -> Self {
        Self {
            config: Arc::new(config),
            store,
            queue,
            pipelines: None,
        }
    }

    /// The same endpoint, which also accepts deliveries signed with the secret of any
    /// of `pipelines`, and hands them to that pipeline.
    pub fn with_pipelines(mut self, pipelines: Arc<dyn PipelineSecrets>) -> Self {
        self.pipelines = Some(pipelines);
        self
    }
}

/// A router serving [`receive`] at `POST` [`WEBHOOK_PATH`].
pub fn router(state: WebhookState) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, post(receive))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_secret_is_required_and_never_shown() {
        assert_eq!(
            WebhookConfig::new("").unwrap_err(),
            ConfigError::EmptySecret
        );
        let config = WebhookConfig::new("hunter2-very-secret").unwrap();
        assert_eq!(config.max_body(), DEFAULT_MAX_BODY);
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(config.with_max_body(10).max_body(), 10);
    }
}
