//! The REST API under `/api/v1` (JSON), its live event stream, and its OpenAPI
//! document (`/api/v1/openapi.json`, generated from the handlers).
//!
//! Every route but the OpenAPI document needs a bearer token ([`auth`]); changes need
//! the operator role. Errors are `{"error": {"code", "message"}}` ([`error`]), and no
//! answer carries a secret.

pub mod actions;
pub mod auth;
pub mod error;
mod extract;
pub mod metrics;
pub mod pipelines;
pub mod runs;
pub mod services;
pub mod state;
pub mod stream;
pub mod views;

use axum::extract::Extension;
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

pub use state::ApiState;

use auth::{Principal, Role};
use error::ApiError;

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The token's name or the user's login.
    pub name: String,
    /// `viewer` or `operator`.
    pub role: Role,
}

/// The caller's name and role.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = error::ErrorBody)),
    security(("bearer" = [])))]
async fn me(Extension(who): Extension<Principal>) -> Json<Me> {
    Json(Me {
        name: who.name,
        role: who.role,
    })
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI 3 document of the API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Seamless API", description = "Runs, pipelines, services, deploys and live events of a Seamless server."),
    paths(
        me,
        runs::list, runs::detail, runs::logs, runs::approve, runs::reject, runs::cancel,
        pipelines::list, pipelines::get, pipelines::create, pipelines::update, pipelines::delete,
        pipelines::services, pipelines::service, services::put, services::delete,
        stream::events,
        actions::trigger, actions::rerun, actions::rollback,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn no_route() -> ApiError {
    ApiError::not_found("no such API route; the routes are listed in /api/v1/openapi.json")
}

/// The API's routes.
pub fn router(state: ApiState) -> Router {
    let authenticated = Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/runs", get(runs::list))
        .route("/api/v1/runs/{id}", get(runs::detail))
        .route("/api/v1/runs/{id}/logs", get(runs::logs))
        .route("/api/v1/runs/{id}/approve", post(runs::approve))
        .route("/api/v1/runs/{id}/reject", post(runs::reject))
        .route("/api/v1/runs/{id}/cancel", post(runs::cancel))
        .route("/api/v1/runs/{id}/rerun", post(actions::rerun))
        .route("/api/v1/pipelines/{name}/runs", post(actions::trigger))
        .route(
            "/api/v1/pipelines/{name}/services/{service}/rollback",
            post(actions::rollback),
        )
        .route(
            "/api/v1/pipelines",
            get(pipelines::list).post(pipelines::create),
        )
        .route(
            "/api/v1/pipelines/{name}",
            get(pipelines::get)
                .put(pipelines::update)
                .delete(pipelines::delete),
        )
        .route(
            "/api/v1/pipelines/{name}/services",
            get(pipelines::services),
        )
        .route(
            "/api/v1/pipelines/{name}/services/{service}",
            get(pipelines::service)
                .put(services::put)
                .delete(services::delete),
        )
        .route("/api/v1/events", get(stream::events))
        .route("/metrics", get(metrics::metrics))
        .route(
            "/api/v1/{*rest}",
            get(no_route).post(no_route).put(no_route).delete(no_route),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .with_state(state);
    Router::new()
        .route(OPENAPI_PATH, get(openapi))
        .merge(authenticated)
}
