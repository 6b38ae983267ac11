//! The server's router: the webhook endpoint and a health check.

use axum::Router;
use axum::routing::get;

use crate::webhooks::{self, WebhookState};

/// Where the health check answers `200 ok`.
pub const HEALTH_PATH: &str = "/healthz";

/// Every route the server answers.
pub fn router(webhooks: WebhookState) -> Router {
    webhooks::router(webhooks).route(HEALTH_PATH, get(|| async { "ok\n" }))
}
