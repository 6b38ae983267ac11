//! Actions that start runs: trigger a pipeline, rerun a run (or one stage of it with
//! what it needs), roll a service back. Each builds its request
//! ([`crate::dispatch::requests`]) and starts it through the server's
//! [`crate::dispatch::Dispatcher`], like a webhook's run: it waits for a run slot when
//! `max_runs` runs are going on, then answers 202 with the new run's id once the run
//! exists; the run goes on in the background.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use seamless_core::config::Trigger;
use seamless_core::plan::PlanFilter;
use seamless_scheduler::RunRequest;
use seamless_scheduler::rollback::check_image;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Principal;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, optional_json};
use super::pipelines::find_pipeline;
use super::runs::find_run;
use super::state::ApiState;
use crate::dispatch::StartError;
use crate::dispatch::requests::{self, RollbackTo};
use crate::webhooks::is_branch_name;

/// The run an action started.
#[derive(Debug, Serialize, ToSchema)]
pub struct Started {
    /// The new run's id.
    pub run_id: String,
    /// Absent when the run started. When every run slot (`serve --max-runs`) is taken,
    /// the run waits for one and this says how many queued runs wait ahead of it;
    /// `GET /api/v1/runs/{id}` then answers 404 with the code `run_queued` until it
    /// starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead: Option<usize>,
}

/// What to run.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerBody {
    /// The branch (default: the checkout's current branch).
    pub branch: Option<String>,
    /// The commit (default: the branch's newest).
    pub commit: Option<String>,
    /// `manual` (default), `push` or `pull-request`: decides how far the run goes.
    pub trigger: Option<String>,
    /// Only these services (default: all).
    #[serde(default)]
    pub services: Vec<String>,
    /// Only these stages and what they need (default: all).
    #[serde(default)]
    pub stages: Vec<String>,
}

/// Starts a run of a pipeline from its checkout, at a branch or commit.
#[utoipa::path(post, path = "/api/v1/pipelines/{name}/runs", tag = "actions",
    params(("name" = String, Path, description = "The pipeline")),
    request_body(content = TriggerBody, content_type = "application/json"),
    responses((status = 202, body = Started), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn trigger(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Started>)> {
    who.require_operator("starting a run")?;
    let body: TriggerBody = optional_json(&body)?;
    let pipeline = find_pipeline(&state, &name)?;
    let trigger = match body.trigger.as_deref() {
        None => Trigger::Manual,
        Some(t) => match Trigger::parse(t) {
            Some(tr @ (Trigger::Manual | Trigger::Push | Trigger::PullRequest)) => tr,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "unknown trigger '{t}': use manual, push or pull-request"
                )));
            }
        },
    };
    for (what, value) in [("branch", &body.branch), ("commit", &body.commit)] {
        if let Some(v) = value.as_deref().filter(|v| !is_branch_name(v)) {
            return Err(ApiError::bad_request(format!(
                "'{v}' is not a valid {what} name"
            )));
        }
    }
    let filter = PlanFilter {
        services: body.services,
        stages: body.stages,
        trigger: Some(trigger),
    };
    let request = requests::from_checkout(&pipeline, body.branch, body.commit, filter)?;
    start(&state, &who, request, "triggered").await
}

/// Submits `request` to the dispatcher and answers 202 with its id, at once: the run
/// has started, or waits in the queue for a run slot.
async fn start(
    state: &ApiState,
    who: &Principal,
    request: RunRequest,
    what: &str,
) -> ApiResult<(StatusCode, Json<Started>)> {
    let submitted = state.runs.submit(request).await.map_err(|e| match e {
        StartError::Closed => ApiError::unavailable(e.to_string()),
        other => ApiError::invalid(other.to_string()),
    })?;
    let run_id = submitted.run_id;
    match submitted.ahead {
        None => tracing::info!(run = %run_id, by = %who.name, "run {what}"),
        Some(ahead) => tracing::info!(run = %run_id, by = %who.name, ahead, "run {what}, queued"),
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Started {
            run_id,
            ahead: submitted.ahead,
        }),
    ))
}

/// What to rerun.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RerunBody {
    /// Rerun only this stage (with the stages it needs); default: the whole run.
    pub stage: Option<String>,
    /// With `stage`: only this service's instance (default: every service's).
    pub service: Option<String>,
}

/// Runs an ended run again, as a new run of the same commit and configuration: all of
/// it, or one stage with what it needs.
#[utoipa::path(post, path = "/api/v1/runs/{id}/rerun", tag = "actions",
    params(("id" = String, Path, description = "The run id")),
    request_body(content = RerunBody, content_type = "application/json"),
    responses((status = 202, body = Started), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rerun(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Started>)> {
    who.require_operator("rerunning a run")?;
    let body: RerunBody = optional_json(&body)?;
    let run = find_run(&state, &id)?;
    let request = requests::rerun(&run, body.stage, body.service)?;
    start(&state, &who, request, &format!("rerun of {id}")).await
}

/// Which revision to roll back to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// The environment, such as `production`.
    pub environment: String,
    /// The revision id to go back to (default: the newest healthy revision before the
    /// one serving now).
    pub to: Option<String>,
    /// Or: the newest healthy revision of this commit (or a prefix of it).
    pub commit: Option<String>,
}

/// Redeploys an earlier healthy revision of a service, health-checked, as a new run
/// that records a new revision.
#[utoipa::path(post, path = "/api/v1/pipelines/{name}/services/{service}/rollback", tag = "actions",
    params(("name" = String, Path, description = "The pipeline"), ("service" = String, Path, description = "The service")),
    request_body = RollbackBody,
    responses((status = 202, body = Started), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rollback(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    Path((name, service)): Path<(String, String)>,
    ApiJson(body): ApiJson<RollbackBody>,
) -> ApiResult<(StatusCode, Json<Started>)> {
    who.require_operator("rolling back")?;
    let pipeline = find_pipeline(&state, &name)?;
    let to = RollbackTo {
        revision: body.to.as_deref(),
        commit: body.commit.as_deref(),
    };
    let store = &state.runtime.store;
    let (request, what, target) =
        requests::rollback(store, &pipeline, &service, &body.environment, to)?;
    // Before the run starts: a gone image is refused with nothing recorded.
    check_image(state.runtime.host.as_ref(), &target)
        .await
        .map_err(|e| ApiError::conflict(e.to_string()))?;
    start(&state, &who, request, &what).await
}
