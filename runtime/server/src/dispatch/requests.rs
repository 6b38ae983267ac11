//! The run requests of the API's actions: a run of a pipeline's checkout at a branch or
//! commit, a rerun of an ended run (whole, or one stage with what it needs), and a
//! rollback of a service to an earlier healthy revision. The [`super::Dispatcher`]
//! gives each the server's parallelism when it starts it.

use seamless_core::commit::Commit;
use seamless_core::config::Trigger;
use seamless_core::deploy::Revision;
use seamless_core::plan::{PlanFilter, plan};
use seamless_engine::SourceSpec;
use seamless_scheduler::rollback::{
    RollbackError, RollbackTarget, deploy_stage, pick, rollback_request,
};
use seamless_scheduler::{RunRequest, stored_request};
use seamless_store::{RunRecord, Store, StoreError};

use crate::git_query::git;
use crate::pipeline::Pipeline;

/// Why no request could be made, by what the caller should change.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The ask itself is malformed.
    #[error("{0}")]
    Malformed(String),
    /// It names something that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It cannot be done in the current state.
    #[error("{0}")]
    Conflict(String),
    /// It is well-formed but cannot be planned.
    #[error("{0}")]
    Invalid(String),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A run of `pipeline`'s checkout at `commit` (default: the newest of `branch`, whose
/// default is the checkout's current branch), of what `filter` selects.
pub fn from_checkout(
    pipeline: &Pipeline,
    branch: Option<String>,
    commit: Option<String>,
    filter: PlanFilter,
) -> Result<RunRequest, RequestError> {
    let config = pipeline.config.clone();
    let top = git(&config.root, &["rev-parse", "--show-toplevel"]).ok_or_else(|| {
        RequestError::Conflict(format!(
            "the pipeline's directory '{}' is not a git checkout, so there is no commit to run",
            config.root.display()
        ))
    })?;
    let branch = match branch {
        Some(b) => b,
        None => git(&config.root, &["rev-parse", "--abbrev-ref", "HEAD"])
            .filter(|b| b != "HEAD")
            .unwrap_or_else(|| config.triggers.default_branch.clone()),
    };
    let rev = commit.unwrap_or_else(|| branch.clone());
    let verify = format!("{rev}^{{commit}}");
    let commit = git(&config.root, &["rev-parse", "--verify", "--quiet", &verify])
        .and_then(|sha| Commit::git(&sha).ok())
        .ok_or_else(|| {
            RequestError::Invalid(format!(
                "'{rev}' is not a branch or commit of the pipeline's repository"
            ))
        })?;
    let trigger = filter.trigger.unwrap_or(Trigger::Manual);
    let run_plan = plan(&config, &filter).map_err(|e| RequestError::Invalid(e.to_string()))?;
    if run_plan.instances.is_empty() {
        return Err(RequestError::Invalid(format!(
            "nothing to run: no service takes part in a {trigger} run with these filters"
        )));
    }
    Ok(RunRequest {
        config,
        config_text: pipeline.config_text.clone(),
        plan: run_plan,
        source: Some(SourceSpec::Git(top)),
        trigger,
        branch: Some(branch),
        commit_sha: commit,
        // The dispatcher sets the server's.
        max_parallel: 1,
        auto_approve: false,
        extra_inputs: Default::default(),
        in_place: None,
    })
}

/// `run` again, as a new run of the same commit and configuration: all of it, or only
/// `stage` (of `service`'s instance, or every service's) with what it needs.
pub fn rerun(
    run: &RunRecord,
    stage: Option<String>,
    service: Option<String>,
) -> Result<RunRequest, RequestError> {
    if !run.status.is_terminal() {
        return Err(RequestError::Conflict(format!(
            "run '{}' has not ended ({}); cancel it first or wait",
            run.id, run.status
        )));
    }
    let (mut request, _workspace) =
        stored_request(run).map_err(|e| RequestError::Conflict(e.to_string()))?;
    match (stage, service) {
        (Some(_), _) if request.trigger == Trigger::Rollback => {
            return Err(RequestError::Conflict(
                "a rollback run is rerun whole".into(),
            ));
        }
        (Some(stage), service) => {
            let filter = PlanFilter {
                services: service.into_iter().collect(),
                stages: vec![stage],
                trigger: Some(request.trigger),
            };
            request.plan =
                plan(&request.config, &filter).map_err(|e| RequestError::Invalid(e.to_string()))?;
        }
        (None, Some(_)) => {
            return Err(RequestError::Malformed(
                "`service` goes with `stage`".into(),
            ));
        }
        (None, None) => {}
    }
    Ok(request)
}

/// Which revision a rollback goes back to.
#[derive(Debug, Clone, Copy, Default)]
pub struct RollbackTo<'a> {
    /// This revision id.
    pub revision: Option<&'a str>,
    /// Or the newest healthy revision of this commit (or a prefix of it).
    pub commit: Option<&'a str>,
}

/// A run that redeploys an earlier healthy revision of `service` in `env` (default:
/// the newest before the one serving now), a line saying what it rolls back, and the
/// revision it goes back to (whose image the caller checks with
/// [`seamless_scheduler::rollback::check_image`] before starting the run).
pub fn rollback(
    store: &Store,
    pipeline: &Pipeline,
    service: &str,
    env: &str,
    to: RollbackTo<'_>,
) -> Result<(RunRequest, String, Revision), RequestError> {
    deploy_stage(&pipeline.config, service, env).map_err(|e| match e {
        RollbackError::NoService { .. } => RequestError::NotFound(e.to_string()),
        other => RequestError::Invalid(other.to_string()),
    })?;
    let revisions = store.revisions(service, env)?;
    let target = match (to.revision, to.commit) {
        (Some(_), Some(_)) => {
            return Err(RequestError::Malformed(
                "give `to` or `commit`, not both".into(),
            ));
        }
        (Some(id), None) => RollbackTarget::Revision(id),
        (None, Some(commit)) => RollbackTarget::Commit(commit),
        (None, None) => RollbackTarget::Previous,
    };
    let target = pick(&revisions, target).map_err(|e| RequestError::Conflict(e.to_string()))?;
    let what = format!("rollback of {service} in {env} to {}", target.id);
    let request = rollback_request(
        pipeline.config.clone(),
        pipeline.config_text.clone(),
        service,
        env,
        target,
    )
    .map_err(|e| RequestError::Invalid(e.to_string()))?;
    Ok((request, what, target.clone()))
}
