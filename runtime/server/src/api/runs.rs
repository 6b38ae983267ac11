//! Runs: list, detail, logs, and the decisions on them (approve, reject, cancel).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use seamless_core::state::RunStatus;
use seamless_store::{Approval, LogQuery, RunFilter, RunRecord, StoreError};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use seamless_client::error_codes::{RUN_NOT_STARTED, RUN_QUEUED};

use super::auth::Principal;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiQuery, optional_json};
use super::state::ApiState;
use super::views::{self, LogPage, RunDetail, RunPage, RunView};
use crate::dispatch::queue::Pending;

/// Filters and page of `GET /api/v1/runs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Only runs with a stage instance of this service.
    pub service: Option<String>,
    /// Only runs with this status (`in-progress`, `awaiting-approval`, `success`,
    /// `failure`, `cancelled`).
    pub status: Option<String>,
    /// Only runs of this trigger (`push`, `pull-request`, `manual`, `rollback`).
    pub trigger: Option<String>,
    /// Only runs of this branch.
    pub branch: Option<String>,
    /// Only runs of this pipeline.
    pub pipeline: Option<String>,
    /// Runs older than this run id (the `next` of the previous page).
    pub before: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

/// Lists runs, newest first.
#[utoipa::path(get, path = "/api/v1/runs", tag = "runs", params(RunsQuery),
    responses((status = 200, body = RunPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<ApiState>,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> ApiResult<Json<RunPage>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be 1 to 200, not {limit}"
        )));
    }
    let status = q
        .status
        .as_deref()
        .map(|s| {
            s.parse::<RunStatus>().map_err(|_| {
                ApiError::bad_request(format!(
                    "unknown status '{s}': use in-progress, awaiting-approval, success, failure or cancelled"
                ))
            })
        })
        .transpose()?;
    if let Some(before) = &q.before {
        find_run(&state, before)?;
    }
    let runs = state.runtime.store.list_runs(&RunFilter {
        status,
        trigger: q.trigger,
        service: q.service,
        branch: q.branch,
        pipeline: q.pipeline,
        before: q.before,
        limit,
    })?;
    let next = (runs.len() == limit as usize)
        .then(|| runs.last().map(|r| r.id.clone()))
        .flatten();
    Ok(Json(RunPage {
        runs: runs.iter().map(views::run).collect(),
        next,
    }))
}

/// The run called `id`, or 404.
pub fn find_run(state: &ApiState, id: &str) -> ApiResult<RunRecord> {
    if let Some(run) = state.runtime.store.run(id)? {
        return Ok(run);
    }
    Err(match state.runs.pending(id) {
        Some(Pending::Waiting { ahead }) => ApiError::not_found(format!(
            "run '{id}' has not started: it waits for a run slot (serve --max-runs), \
             with {ahead} queued run(s) ahead of it; ask again later"
        ))
        .with_code(RUN_QUEUED),
        Some(Pending::Failed(reason)) => ApiError::not_found(format!(
            "run '{id}' was queued but could not start: {reason}"
        ))
        .with_code(RUN_NOT_STARTED),
        None => ApiError::not_found(format!("there is no run '{id}'")),
    })
}

/// A run with its stages, durations, test counts and approval.
#[utoipa::path(get, path = "/api/v1/runs/{id}", tag = "runs",
    params(("id" = String, Path, description = "The run id")),
    responses((status = 200, body = RunDetail), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn detail(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<RunDetail>> {
    let run = find_run(&state, &id)?;
    let store = &state.runtime.store;
    let stages = store.stages(&id)?;
    Ok(Json(RunDetail {
        run: views::run(&run),
        stages: stages.iter().map(views::stage).collect(),
        approval: store.approval(&id)?.map(views::approval),
        logs_pruned_at: store.logs_pruned_at(&id)?,
    }))
}

/// Which log lines of a run to read.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// Only this service's lines (empty for stages that run once per run).
    pub service: Option<String>,
    /// Only this stage's lines.
    pub stage: Option<String>,
    /// Lines after this id (the `after` of the previous page; default 0).
    pub after: Option<i64>,
    /// Page size, 1 to 5000 (default 500).
    pub limit: Option<u32>,
    /// Follow: answer with server-sent events instead, the lines after `after` and then
    /// new ones as they come (`log` events), with the run's status changes (`run`
    /// events; the run is over at `success`, `failure` or `cancelled`).
    pub follow: Option<bool>,
}

/// Log lines of a run, oldest first, a page at a time; with `follow=true`, a stream of
/// server-sent events instead.
#[utoipa::path(get, path = "/api/v1/runs/{id}/logs", tag = "runs",
    params(("id" = String, Path, description = "The run id"), LogsQuery),
    responses((status = 200, description = "A page of lines (JSON), or with follow=true a text/event-stream", body = LogPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn logs(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<LogsQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    find_run(&state, &id)?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request("after must not be negative"));
    }
    if q.follow.unwrap_or(false) {
        let live = state.hub.subscribe();
        let filter = super::stream::Filter {
            run: Some(id),
            logs: true,
            service: q.service,
            stage: q.stage,
            no_stages: true,
        };
        let cursor = crate::live::Cursor {
            feed: 0,
            logs: after,
        };
        return Ok(super::stream::open(&state, live, cursor, filter).into_response());
    }
    Ok(page(&state, id, q, after)?.into_response())
}

fn page(state: &ApiState, id: String, q: LogsQuery, after: i64) -> ApiResult<Json<LogPage>> {
    let limit = q.limit.unwrap_or(500);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be 1 to 5000, not {limit}"
        )));
    }
    let store = &state.runtime.store;
    let lines = store.log_entries(&LogQuery {
        run_id: Some(id.clone()),
        service: q.service,
        stage: q.stage,
        after,
        limit,
    })?;
    let more = lines.len() == limit as usize;
    let last = lines.last().map_or(after, |l| l.id);
    Ok(Json(LogPage {
        lines: lines.into_iter().map(views::log_line).collect(),
        after: last,
        more,
        pruned_at: store.logs_pruned_at(&id)?,
    }))
}

/// A decision's reason.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DecisionBody {
    /// Why (shown with the run; useful for rejections).
    pub reason: Option<String>,
}

/// Approves a run that waits (or will wait) for approval.
#[utoipa::path(post, path = "/api/v1/runs/{id}/approve", tag = "runs",
    params(("id" = String, Path, description = "The run id")),
    request_body(content = DecisionBody, content_type = "application/json"),
    responses((status = 200, body = RunView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<RunView>> {
    decide(state, who, id, true, optional_json(&body)?).await
}

/// Rejects a run that waits (or will wait) for approval; the run fails.
#[utoipa::path(post, path = "/api/v1/runs/{id}/reject", tag = "runs",
    params(("id" = String, Path, description = "The run id")),
    request_body(content = DecisionBody, content_type = "application/json"),
    responses((status = 200, body = RunView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reject(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<RunView>> {
    decide(state, who, id, false, optional_json(&body)?).await
}

async fn decide(
    state: ApiState,
    who: Principal,
    id: String,
    approved: bool,
    body: DecisionBody,
) -> ApiResult<Json<RunView>> {
    who.require_operator(if approved { "approving" } else { "rejecting" })?;
    let run = find_run(&state, &id)?;
    if run.status.is_terminal() {
        return Err(ApiError::conflict(format!(
            "run '{id}' already ended ({}); only a run that waits for approval takes a decision",
            run.status
        )));
    }
    let reason = body.reason.filter(|r| !r.trim().is_empty());
    if reason.as_ref().is_some_and(|r| r.len() > 2000) {
        return Err(ApiError::bad_request(
            "the reason is longer than 2000 bytes",
        ));
    }
    let decided = state.runtime.store.decide(
        &id,
        &Approval {
            approved,
            reason,
            decided_by: who.name.clone(),
            at: seamless_store::now_ms(),
        },
    );
    match decided {
        Ok(()) => {}
        Err(e @ StoreError::AlreadyDecided { .. }) => {
            return Err(ApiError::conflict(e.to_string()));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(run = %id, by = %who.name, approved, "decision recorded");
    carry_on_if_orphaned(&state, &run);
    Ok(Json(views::run(&find_run(&state, &id)?)))
}

/// Resumes `run` in the background when no live process carries it out.
fn carry_on_if_orphaned(state: &ApiState, run: &RunRecord) {
    if !state.runtime.store.owner_alive(run) {
        tokio::spawn(crate::resume::resume_one(
            state.runtime.clone(),
            run.id.clone(),
            run.host.clone(),
        ));
    }
}

/// Cancels a run: its stages in progress are stopped, the rest skipped.
#[utoipa::path(post, path = "/api/v1/runs/{id}/cancel", tag = "runs",
    params(("id" = String, Path, description = "The run id")),
    responses((status = 202, body = RunView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<ApiState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<RunView>)> {
    who.require_operator("cancelling a run")?;
    let run = find_run(&state, &id)?;
    if run.status.is_terminal() {
        return Err(ApiError::conflict(format!(
            "run '{id}' already ended ({})",
            run.status
        )));
    }
    state.runtime.store.request_cancel(&id)?;
    tracing::info!(run = %id, by = %who.name, "cancel requested");
    if !state.runtime.store.owner_alive(&run) {
        let runtime = state.runtime.clone();
        let (run_id, host) = (run.id.clone(), run.host.clone());
        tokio::spawn(async move {
            match runtime.hosts.host(&host).await {
                Ok(host) => {
                    if let Err(e) = runtime.scheduler(host).cancel_orphan(&run_id).await {
                        tracing::warn!(run = %run_id, error = %e, "cannot cancel the orphaned run");
                    }
                }
                Err(e) => {
                    tracing::warn!(run = %run_id, error = %e, "cannot cancel: host unavailable")
                }
            }
        });
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(views::run(&find_run(&state, &id)?)),
    ))
}
