//! What the API answers: runs, stages, log lines, pipelines, services and revisions as
//! JSON. Nothing here carries a secret: secrets and service environment variables
//! appear by name only.

use seamless_core::config::{Config, Service};
use seamless_core::deploy::Revision;
use seamless_store::{Approval, LogEntry, RunRecord, StageRecord};
use serde::Serialize;
use utoipa::ToSchema;

/// A run, without its stages.
#[derive(Debug, Serialize, ToSchema)]
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

impl From<&RunRecord> for RunView {
    fn from(r: &RunRecord) -> Self {
        let end = r.finished_at.unwrap_or_else(seamless_store::now_ms);
        Self {
            id: r.id.clone(),
            pipeline: r.pipeline.clone(),
            trigger: r.trigger.clone(),
            status: r.status.as_str().to_string(),
            commit: r.commit_sha.clone(),
            branch: r.branch.clone(),
            created_at: r.created_at,
            finished_at: r.finished_at,
            duration_ms: (end - r.created_at).max(0),
            host: r.host.clone(),
        }
    }
}

/// A page of runs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunPage {
    /// The runs.
    pub runs: Vec<RunView>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// Test counts of a stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestsView {
    /// Passed.
    pub passed: u32,
    /// Failed.
    pub failed: u32,
    /// Skipped.
    pub skipped: u32,
}

/// One stage instance of a run.
#[derive(Debug, Serialize, ToSchema)]
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

impl From<&StageRecord> for StageView {
    fn from(s: &StageRecord) -> Self {
        let duration_ms = s
            .started_at
            .map(|start| (s.finished_at.unwrap_or_else(seamless_store::now_ms) - start).max(0));
        Self {
            service: s.service.clone(),
            stage: s.stage.clone(),
            status: s.status.as_str().to_string(),
            started_at: s.started_at,
            finished_at: s.finished_at,
            duration_ms,
            attempts: s.attempts,
            tests: s.tests.map(|t| TestsView {
                passed: t.passed,
                failed: t.failed,
                skipped: t.skipped,
            }),
            summary: s.summary.clone(),
            error: s.error.clone(),
        }
    }
}

/// A decision on a run that waits for approval.
#[derive(Debug, Serialize, ToSchema)]
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

impl From<Approval> for ApprovalView {
    fn from(a: Approval) -> Self {
        Self {
            approved: a.approved,
            reason: a.reason,
            decided_by: a.decided_by,
            at: a.at,
        }
    }
}

/// A run with its stages, in plan order.
#[derive(Debug, Serialize, ToSchema)]
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
#[derive(Debug, Serialize, ToSchema)]
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

impl From<LogEntry> for LogLineView {
    fn from(l: LogEntry) -> Self {
        Self {
            id: l.id,
            service: l.service,
            stage: l.stage,
            source: l.source,
            line: l.line,
            at: l.at,
        }
    }
}

/// A page of log lines, oldest first.
#[derive(Debug, Serialize, ToSchema)]
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
#[derive(Debug, Serialize, ToSchema)]
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

impl From<&Service> for ServiceView {
    fn from(s: &Service) -> Self {
        Self {
            name: s.name.clone(),
            path: s.path.clone(),
            port: s.port,
            health: s.health.clone(),
            auto_deploy: s.auto_deploy,
            environments: s.targets.keys().cloned().collect(),
            commands: s.commands.keys().cloned().collect(),
            env: s.env.keys().cloned().collect(),
        }
    }
}

/// A stage of a pipeline.
#[derive(Debug, Serialize, ToSchema)]
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
#[derive(Debug, Serialize, ToSchema)]
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

impl PipelineView {
    /// The view of `config`.
    pub fn new(config: &Config, webhook_secret_set: bool) -> Self {
        Self {
            name: config.pipeline.clone(),
            config_path: config.file.display().to_string(),
            webhook_secret_set,
            services: config.services.iter().map(ServiceView::from).collect(),
            stages: config
                .stages
                .iter()
                .map(|s| StageDefView {
                    name: s.name.clone(),
                    uses: s.uses.to_string(),
                    needs: s.needs.clone(),
                    environment: s.environment.clone(),
                })
                .collect(),
            secrets: config.secrets.keys().cloned().collect(),
        }
    }
}

/// A deploy of a service to an environment.
#[derive(Debug, Serialize, ToSchema)]
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

impl RevisionView {
    /// The view of `r`, marked current if it serves now.
    pub fn new(r: Revision, current: bool) -> Self {
        Self {
            id: r.id,
            environment: r.environment,
            image: r.image,
            digest: r.digest,
            commit: r.commit_sha,
            run_id: r.run_id,
            started_at: r.started_at,
            finished_at: r.finished_at,
            result: r.result,
            reason: r.reason,
            endpoint: r.endpoint,
            current,
        }
    }
}

/// A service with its deploys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDetail {
    /// The pipeline it belongs to.
    pub pipeline: String,
    /// The service.
    pub service: ServiceView,
    /// Its deploys, newest first, across environments.
    pub revisions: Vec<RevisionView>,
}
