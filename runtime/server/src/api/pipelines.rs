//! Pipelines and their services. A pipeline is a `seamless.toml` on the server's disk,
//! which stays the source of truth: registering or updating a pipeline (re)reads and
//! validates it; services and stages are changed by editing that file (then `PUT`
//! the pipeline to reload it).

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Principal;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiJson;
use super::state::ApiState;
use super::views::{self, PipelineView, ServiceDetail, ServiceView};
use crate::pipeline::Pipeline;

fn view(state: &ApiState, pipeline: &Pipeline) -> ApiResult<PipelineView> {
    let secret = state
        .runtime
        .store
        .pipeline(&pipeline.config.pipeline)?
        .and_then(|p| p.webhook_secret)
        .is_some();
    Ok(views::pipeline(&pipeline.config, secret))
}

/// The pipeline called `name`, or 404.
pub fn find_pipeline(state: &ApiState, name: &str) -> ApiResult<Pipeline> {
    state.pipelines.get(name).ok_or_else(|| {
        let known: Vec<String> = state
            .pipelines
            .list()
            .iter()
            .map(|p| p.config.pipeline.clone())
            .collect();
        ApiError::not_found(format!(
            "there is no pipeline '{name}'; pipelines are: {}",
            if known.is_empty() {
                "(none)".into()
            } else {
                known.join(", ")
            }
        ))
    })
}

/// Every pipeline.
#[utoipa::path(get, path = "/api/v1/pipelines", tag = "pipelines",
    responses((status = 200, body = Vec<PipelineView>)), security(("bearer" = [])))]
pub async fn list(State(state): State<ApiState>) -> ApiResult<Json<Vec<PipelineView>>> {
    let pipelines = state.pipelines.list();
    let views = pipelines
        .iter()
        .map(|p| view(&state, p))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(views))
}

/// One pipeline, with its services and stages.
#[utoipa::path(get, path = "/api/v1/pipelines/{name}", tag = "pipelines",
    params(("name" = String, Path, description = "The pipeline")),
    responses((status = 200, body = PipelineView), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> ApiResult<Json<PipelineView>> {
    let pipeline = find_pipeline(&state, &name)?;
    Ok(Json(view(&state, &pipeline)?))
}

/// Where a pipeline's configuration is, and its webhook secret.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineBody {
    /// The `seamless.toml` (or its directory) on the server's disk.
    pub config_path: String,
    /// The secret its GitHub webhooks are signed with (write-only: never answered).
    pub webhook_secret: Option<String>,
}

/// Loads and validates the configuration at `path`.
fn load(path: &str) -> ApiResult<Pipeline> {
    let config = seamless_core::config::load(std::path::Path::new(path))
        .map_err(|errors| ApiError::invalid(format!("the configuration is invalid:\n{errors}")))?;
    let text = std::fs::read_to_string(&config.file)
        .map_err(|e| ApiError::invalid(format!("cannot read '{}': {e}", config.file.display())))?;
    Ok(Pipeline::new(config, text))
}

/// A webhook secret is long enough, and no other pipeline's (a delivery belongs to the
/// pipeline whose secret signed it).
fn check_secret(state: &ApiState, pipeline: &str, secret: Option<&str>) -> ApiResult<()> {
    let Some(secret) = secret else {
        return Ok(());
    };
    if secret.len() < 16 {
        return Err(ApiError::bad_request(
            "the webhook secret must be at least 16 characters (generate one with `openssl rand -hex 32`)",
        ));
    }
    let taken = state
        .runtime
        .store
        .pipelines()?
        .into_iter()
        .any(|p| p.name != pipeline && p.webhook_secret.as_deref() == Some(secret));
    if taken {
        return Err(ApiError::conflict(
            "another pipeline uses this webhook secret; give each pipeline its own",
        ));
    }
    Ok(())
}

/// Stores `pipeline` (its path and webhook secret) and serves it from now on.
fn register(state: &ApiState, pipeline: &Pipeline, secret: Option<&str>) -> ApiResult<()> {
    let path = pipeline.config.file.display().to_string();
    state
        .runtime
        .store
        .put_pipeline(&pipeline.config.pipeline, &path, secret)?;
    state.pipelines.insert(pipeline.clone());
    Ok(())
}

/// Registers a pipeline from a `seamless.toml` on the server's disk.
#[utoipa::path(post, path = "/api/v1/pipelines", tag = "pipelines",
    request_body = PipelineBody,
    responses((status = 201, body = PipelineView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    ApiJson(body): ApiJson<PipelineBody>,
) -> ApiResult<(StatusCode, Json<PipelineView>)> {
    who.require_operator("registering a pipeline")?;
    let pipeline = load(&body.config_path)?;
    let name = pipeline.config.pipeline.clone();
    check_secret(&state, &name, body.webhook_secret.as_deref())?;
    if state.pipelines.get(&name).is_some() {
        return Err(ApiError::conflict(format!(
            "a pipeline called '{name}' exists; update it with PUT /api/v1/pipelines/{name}"
        )));
    }
    register(&state, &pipeline, body.webhook_secret.as_deref())?;
    tracing::info!(pipeline = %name, by = %who.name, "pipeline registered");
    Ok((StatusCode::CREATED, Json(view(&state, &pipeline)?)))
}

/// Rereads a pipeline's configuration (after its file changed, or from a new path)
/// and sets its webhook secret.
#[utoipa::path(put, path = "/api/v1/pipelines/{name}", tag = "pipelines",
    params(("name" = String, Path, description = "The pipeline")),
    request_body = PipelineBody,
    responses((status = 200, body = PipelineView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<PipelineBody>,
) -> ApiResult<Json<PipelineView>> {
    who.require_operator("changing a pipeline")?;
    find_pipeline(&state, &name)?;
    check_secret(&state, &name, body.webhook_secret.as_deref())?;
    let pipeline = load(&body.config_path)?;
    if pipeline.config.pipeline != name {
        return Err(ApiError::invalid(format!(
            "'{}' names the pipeline '{}', not '{name}'",
            pipeline.config.file.display(),
            pipeline.config.pipeline
        )));
    }
    register(&state, &pipeline, body.webhook_secret.as_deref())?;
    tracing::info!(pipeline = %name, by = %who.name, "pipeline updated");
    Ok(Json(view(&state, &pipeline)?))
}

/// Unregisters a pipeline: its webhooks are refused from now on; its runs stay.
#[utoipa::path(delete, path = "/api/v1/pipelines/{name}", tag = "pipelines",
    params(("name" = String, Path, description = "The pipeline")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    who.require_operator("removing a pipeline")?;
    find_pipeline(&state, &name)?;
    state.runtime.store.delete_pipeline(&name)?;
    state.pipelines.remove(&name);
    tracing::info!(pipeline = %name, by = %who.name, "pipeline removed");
    Ok(StatusCode::NO_CONTENT)
}

/// The services of a pipeline.
#[utoipa::path(get, path = "/api/v1/pipelines/{name}/services", tag = "pipelines",
    params(("name" = String, Path, description = "The pipeline")),
    responses((status = 200, body = Vec<ServiceView>), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn services(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<ServiceView>>> {
    let pipeline = find_pipeline(&state, &name)?;
    Ok(Json(
        pipeline
            .config
            .services
            .iter()
            .map(views::service)
            .collect(),
    ))
}

/// A service with its deploys per environment, newest first.
#[utoipa::path(get, path = "/api/v1/pipelines/{name}/services/{service}", tag = "pipelines",
    params(("name" = String, Path, description = "The pipeline"), ("service" = String, Path, description = "The service")),
    responses((status = 200, body = ServiceDetail), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn service(
    State(state): State<ApiState>,
    Path((name, service)): Path<(String, String)>,
) -> ApiResult<Json<ServiceDetail>> {
    let pipeline = find_pipeline(&state, &name)?;
    let Some(svc) = pipeline.config.service(&service) else {
        return Err(ApiError::not_found(format!(
            "pipeline '{name}' has no service '{service}'"
        )));
    };
    let store = &state.runtime.store;
    let mut revisions = Vec::new();
    let mut current = std::collections::BTreeMap::new();
    for r in store.service_revisions(&service)? {
        if !current.contains_key(&r.environment) {
            let serving = store.current_revision(&service, &r.environment)?;
            current.insert(r.environment.clone(), serving.map(|s| s.id));
        }
        let is_current =
            current.get(&r.environment).and_then(Option::as_deref) == Some(r.id.as_str());
        revisions.push(views::revision(r, is_current));
    }
    Ok(Json(ServiceDetail {
        pipeline: name,
        service: views::service(svc),
        revisions,
    }))
}
