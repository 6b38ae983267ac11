//! The API's answers made from the store's records and the configuration. The answer
//! types themselves live in [`seamless_client::views`] (shared with the CLI, so the
//! OpenAPI document and the client cannot disagree); they are re-exported here.

use seamless_core::config::{Config, Service};
use seamless_core::deploy::Revision;
use seamless_store::{Approval, LogEntry, RunRecord, StageRecord};

pub use seamless_client::views::*;

/// The view of run `r`.
pub fn run(r: &RunRecord) -> RunView {
    let end = r.finished_at.unwrap_or_else(seamless_store::now_ms);
    RunView {
        id: r.id.clone(),
        pipeline: r.pipeline.clone(),
        trigger: r.trigger.clone(),
        status: r.status.as_str().to_string(),
        commit: r.commit_sha.to_string(),
        branch: r.branch.clone(),
        created_at: r.created_at,
        finished_at: r.finished_at,
        duration_ms: (end - r.created_at).max(0),
        host: r.host.clone(),
    }
}

/// The view of stage `s`.
pub fn stage(s: &StageRecord) -> StageView {
    let duration_ms = s
        .started_at
        .map(|start| (s.finished_at.unwrap_or_else(seamless_store::now_ms) - start).max(0));
    StageView {
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

/// The view of approval `a`.
pub fn approval(a: Approval) -> ApprovalView {
    ApprovalView {
        approved: a.approved,
        reason: a.reason,
        decided_by: a.decided_by,
        at: a.at,
    }
}

/// The view of log line `l`.
pub fn log_line(l: LogEntry) -> LogLineView {
    LogLineView {
        id: l.id,
        service: l.service,
        stage: l.stage,
        source: l.source,
        line: l.line,
        at: l.at,
    }
}

/// The view of service `s`.
pub fn service(s: &Service) -> ServiceView {
    ServiceView {
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

/// The view of pipeline `config`.
pub fn pipeline(config: &Config, webhook_secret_set: bool) -> PipelineView {
    PipelineView {
        name: config.pipeline.clone(),
        config_path: config.file.display().to_string(),
        webhook_secret_set,
        services: config.services.iter().map(service).collect(),
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

/// The view of revision `r`, marked current if it serves now.
pub fn revision(r: Revision, current: bool) -> RevisionView {
    RevisionView {
        id: r.id,
        environment: r.environment,
        image: r.image,
        digest: r.digest,
        commit: r.commit_sha.to_string(),
        run_id: r.run_id,
        started_at: r.started_at,
        finished_at: r.finished_at,
        result: r.result,
        reason: r.reason,
        endpoint: r.endpoint,
        current,
    }
}
