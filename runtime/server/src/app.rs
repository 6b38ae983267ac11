//! The server's router: webhooks, the REST API with its live events, the dashboard
//! with its GitHub login, and a health check.

use axum::Router;
use axum::routing::get;

use crate::api::{self, ApiState};
use crate::login::{self, routes::LoginState};
use crate::webhooks::{self, WebhookState};

/// Where the health check answers `200 ok`.
pub const HEALTH_PATH: &str = "/healthz";

/// Every route the server answers.
pub fn router(webhooks: WebhookState, api: ApiState, login: LoginState) -> Router {
    webhooks::router(webhooks)
        .merge(api::router(api))
        .merge(login::router(login))
        .merge(crate::dashboard::router())
        .route(HEALTH_PATH, get(|| async { "ok\n" }))
}
