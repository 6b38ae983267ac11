//! What the API answers: runs, stages, log lines, pipelines, services and revisions as
//! JSON. The server answers with these types (and its OpenAPI document describes them,
//! with the `openapi` feature) and the CLI reads them, so the two cannot disagree.
//! Nothing here carries a secret: secrets and service environment variables appear by
//! name only.

use serde::{Deserialize, Serialize};

/// A run, without its stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunView {
    /// Its id.
    pub id: String,
    /// The pipeline.
    pub pipeline: String,
    /// `push`, `pull-request`, `manual` or `rollback`.
    pub trigger: String,
    /// `in-progress`, `awaiting-approval`, `success`, `failure` or `cancelled`.
    pub status: String,
    /// The commit.
    pub commit: String,
    /// The branch, when known.
    pub branch: Option<String>,
    /// When it was created, in Unix milliseconds.
    pub created_at: i64,
    /// When it ended, in Unix milliseconds.
    pub finished_at: Option<i64>,
    /// How long it took (so far, while it runs), in milliseconds.
    pub duration_ms: i64,
    /// The container host it runs on.
    pub host: String,
}

/// A page of runs, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunPage {
    /// The runs.
    pub runs: Vec<RunView>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// Test counts of a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestsView {
    /// Passed.
    pub passed: u32,
    /// Failed.
    pub failed: u32,
    /// Skipped.
    pub skipped: u32,
}

/// One stage instance of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageView {
    /// The service (empty for a stage that runs once per run).
    pub service: String,
    /// The stage.
    pub stage: String,
    /// `idle`, `in-progress`, `awaiting-approval`, `success`, `failure`, `skipped`,
    /// `cancelled` or `not-applicable`.
    pub status: String,
    /// When it started, in Unix milliseconds.
    pub started_at: Option<i64>,
    /// When it ended, in Unix milliseconds.
    pub finished_at: Option<i64>,
    /// How long it ran (so far), in milliseconds.
    pub duration_ms: Option<i64>,
    /// Attempts started.
    pub attempts: u32,
    /// Test counts, when it ran tests.
    pub tests: Option<TestsView>,
    /// Its summary, on success.
    pub summary: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A decision on a run that waits for approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalView {
    /// `true` if approved.
    pub approved: bool,
    /// Why, for a rejection.
    pub reason: Option<String>,
    /// Who decided.
    pub decided_by: String,
    /// When, in Unix milliseconds.
    pub at: i64,
}

/// A run with its stages, in plan order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunDetail {
    /// The run.
    pub run: RunView,
    /// Its stage instances.
    pub stages: Vec<StageView>,
    /// The approval decision, once taken.
    pub approval: Option<ApprovalView>,
    /// When retention deleted its logs, if it did.
    pub logs_pruned_at: Option<i64>,
}

/// A stored log line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogLineView {
    /// Its id (pass as `after` to read on).
    pub id: i64,
    /// The service.
    pub service: String,
    /// The stage.
    pub stage: String,
    /// `stdout`, `stderr`, `plugin` or `runtime`.
    pub source: String,
    /// The (masked) text.
    pub line: String,
    /// When, in Unix milliseconds.
    pub at: i64,
}

/// A page of log lines, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogPage {
    /// The lines.
    pub lines: Vec<LogLineView>,
    /// Pass as `after` for the next page (the last id, or the given `after`).
    pub after: i64,
    /// Whether more lines may follow at once.
    pub more: bool,
    /// When retention deleted the run's logs, if it did.
    pub pruned_at: Option<i64>,
}

/// A service of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceView {
    /// Its name.
    pub name: String,
    /// Its directory, relative to the configuration.
    pub path: String,
    /// The port it listens on when deployed.
    pub port: Option<u16>,
    /// Its health check path.
    pub health: String,
    /// Whether production deploys skip approval.
    pub auto_deploy: bool,
    /// The environments it deploys to.
    pub environments: Vec<String>,
    /// Its commands, by name.
    pub commands: Vec<String>,
    /// The names of its environment variables (values are not shown).
    pub env: Vec<String>,
}

/// A stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageDefView {
    /// Its name.
    pub name: String,
    /// The plugin it uses.
    pub uses: String,
    /// The stages it needs.
    pub needs: Vec<String>,
    /// The environment it deploys to.
    pub environment: Option<String>,
}

/// A pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineView {
    /// Its name.
    pub name: String,
    /// Its `seamless.toml`.
    pub config_path: String,
    /// Whether its webhooks are verified with a secret (the secret is never shown).
    pub webhook_secret_set: bool,
    /// Its services.
    pub services: Vec<ServiceView>,
    /// Its stages.
    pub stages: Vec<StageDefView>,
    /// The names of the secrets its stages may be granted (values are never shown).
    pub secrets: Vec<String>,
}

/// A deploy of a service to an environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevisionView {
    /// Its id (pass as `to` to roll back to it).
    pub id: String,
    /// The environment.
    pub environment: String,
    /// The image.
    pub image: String,
    /// The image digest.
    pub digest: Option<String>,
    /// The commit.
    pub commit: String,
    /// The run that deployed it.
    pub run_id: String,
    /// When the deploy started, in Unix milliseconds.
    pub started_at: i64,
    /// When it ended, in Unix milliseconds.
    pub finished_at: Option<i64>,
    /// `in-progress`, `success` or `failure`.
    pub result: String,
    /// Why a failed deploy failed.
    pub reason: Option<String>,
    /// Where the environment serves.
    pub endpoint: String,
    /// Whether it serves now.
    pub current: bool,
}

/// A service with its deploys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceDetail {
    /// The pipeline it belongs to.
    pub pipeline: String,
    /// The service.
    pub service: ServiceView,
    /// Its deploys, newest first, across environments.
    pub revisions: Vec<RevisionView>,
}
