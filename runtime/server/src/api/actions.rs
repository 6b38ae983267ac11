//! Actions that start runs: trigger a pipeline, rerun a run (or one stage of it with
//! what it needs), roll a service back. Each answers 202 with the new run's id once the
//! run exists; the run goes on in the background.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use seamless_core::config::Trigger;
use seamless_core::plan::{PlanFilter, plan};
use seamless_engine::SourceSpec;
use seamless_scheduler::rollback::{
    RollbackError, RollbackTarget, deploy_stage, pick, rollback_request,
};
use seamless_scheduler::{RunRequest, stored_request};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Principal;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, optional_json};
use super::pipelines::find_pipeline;
use super::runs::find_run;
use super::state::ApiState;
use crate::git_query::git;
use crate::launch::launch;
use crate::webhooks::is_branch_name;

/// The run an action started.
#[derive(Debug, Serialize, ToSchema)]
pub struct Started {
    /// The new run's id.
    pub run_id: String,
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
    let config = pipeline.config.clone();
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
        if let Some(v) = value
            && !is_branch_name(v)
        {
            return Err(ApiError::bad_request(format!(
                "'{v}' is not a valid {what} name"
            )));
        }
    }
    let top = git(&config.root, &["rev-parse", "--show-toplevel"]).ok_or_else(|| {
        ApiError::conflict(format!(
            "the pipeline's directory '{}' is not a git checkout, so there is no commit to run",
            config.root.display()
        ))
    })?;
    let branch = match &body.branch {
        Some(b) => b.clone(),
        None => git(&config.root, &["rev-parse", "--abbrev-ref", "HEAD"])
            .filter(|b| b != "HEAD")
            .unwrap_or_else(|| config.triggers.default_branch.clone()),
    };
    let rev = body.commit.clone().unwrap_or_else(|| branch.clone());
    let commit = git(
        &config.root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .ok_or_else(|| {
        ApiError::invalid(format!(
            "'{rev}' is not a branch or commit of the pipeline's repository"
        ))
    })?;
    let run_plan = plan(
        &config,
        &PlanFilter {
            services: body.services,
            stages: body.stages,
            trigger: Some(trigger),
        },
    )
    .map_err(|e| ApiError::invalid(e.to_string()))?;
    if run_plan.instances.is_empty() {
        return Err(ApiError::invalid(format!(
            "nothing to run: no service takes part in a {trigger} run with these filters"
        )));
    }
    let request = RunRequest {
        config,
        config_text: pipeline.config_text.clone(),
        plan: run_plan,
        source: Some(SourceSpec::Git(top)),
        trigger,
        branch: Some(branch),
        commit_sha: commit,
        max_parallel: 4,
        auto_approve: false,
        extra_inputs: Default::default(),
        in_place: None,
    };
    start(&state, &who, request, "triggered").await
}

async fn start(
    state: &ApiState,
    who: &Principal,
    request: RunRequest,
    what: &str,
) -> ApiResult<(StatusCode, Json<Started>)> {
    let run_id = launch(&state.runtime, request)
        .await
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    tracing::info!(run = %run_id, by = %who.name, "run {what}");
    Ok((StatusCode::ACCEPTED, Json(Started { run_id })))
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
    if !run.status.is_terminal() {
        return Err(ApiError::conflict(format!(
            "run '{id}' has not ended ({}); cancel it first or wait",
            run.status
        )));
    }
    let (mut request, _workspace) =
        stored_request(&run).map_err(|e| ApiError::conflict(e.to_string()))?;
    if let Some(stage) = body.stage {
        if request.trigger == Trigger::Rollback {
            return Err(ApiError::conflict("a rollback run is rerun whole"));
        }
        request.plan = plan(
            &request.config,
            &PlanFilter {
                services: body.service.into_iter().collect(),
                stages: vec![stage],
                trigger: Some(request.trigger),
            },
        )
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    } else if body.service.is_some() {
        return Err(ApiError::bad_request("`service` goes with `stage`"));
    }
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
    let env = body.environment.as_str();
    deploy_stage(&pipeline.config, &service, env).map_err(|e| match e {
        RollbackError::NoService { .. } => ApiError::not_found(e.to_string()),
        other => ApiError::invalid(other.to_string()),
    })?;
    let revisions = state.runtime.store.revisions(&service, env)?;
    let target = match (body.to.as_deref(), body.commit.as_deref()) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("give `to` or `commit`, not both")),
        (Some(id), None) => RollbackTarget::Revision(id),
        (None, Some(commit)) => RollbackTarget::Commit(commit),
        (None, None) => RollbackTarget::Previous,
    };
    let target = pick(&revisions, target).map_err(|e| ApiError::conflict(e.to_string()))?;
    let request = rollback_request(
        pipeline.config.clone(),
        pipeline.config_text.clone(),
        &service,
        env,
        target,
    )
    .map_err(|e| ApiError::invalid(e.to_string()))?;
    let what = format!("rollback of {service} in {env} to {}", target.id);
    start(&state, &who, request, &what).await
}
