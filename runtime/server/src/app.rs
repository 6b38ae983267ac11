//! The server's router: webhooks, the REST API with its live events, and a health
//! check.

use axum::Router;
use axum::routing::get;

use crate::api::{self, ApiState};
use crate::webhooks::{self, WebhookState};

/// Where the health check answers `200 ok`.
pub const HEALTH_PATH: &str = "/healthz";

/// Every route the server answers.
pub fn router(webhooks: WebhookState, api: ApiState) -> Router {
    webhooks::router(webhooks)
        .merge(api::router(api))
        .route(HEALTH_PATH, get(|| async { "ok\n" }))
}
