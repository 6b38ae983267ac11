//! Rollback: redeploy an earlier healthy revision of a service through the stage that
//! deploys to its environment, as a run of its own (trigger `rollback`) that records a
//! new revision. A revision whose image is gone is refused before that run starts
//! ([`check_image`]), so a refused rollback records nothing and leaves what serves alone.

use std::collections::BTreeMap;
use std::sync::Arc;

use seamless_core::config::{Config, Trigger, When};
use seamless_core::deploy::{Revision, pinned_image};
use seamless_core::plan::{RunPlan, StageInstance};
use seamless_host_api::{ContainerHost, HostError};

use crate::RunRequest;

/// Which revision to go back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackTarget<'a> {
    /// The revision with this id.
    Revision(&'a str),
    /// The newest healthy revision of a commit (a prefix of its sha).
    Commit(&'a str),
    /// The newest healthy revision of another image or commit than the one serving.
    Previous,
}

/// Why a rollback cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollbackError {
    /// The configuration has no such service.
    #[error("seamless.toml defines no service '{service}'; services are: {known}")]
    NoService {
        /// The service asked for.
        service: String,
        /// The services there are.
        known: String,
    },
    /// No stage deploys to the environment.
    #[error("no stage deploys to '{0}' (a stage with `environment = \"{0}\"`)")]
    NoStage(String),
    /// No revision fits the target.
    #[error("{0}")]
    NoRevision(String),
    /// The target's image is gone, or the backend could not check it.
    #[error("{0}")]
    Image(String),
}

/// The revision `target` names among `revisions` (newest first).
pub fn pick<'a>(
    revisions: &'a [Revision],
    target: RollbackTarget<'_>,
) -> Result<&'a Revision, RollbackError> {
    let healthy = || revisions.iter().filter(|r| r.result == Revision::SUCCESS);
    match target {
        RollbackTarget::Revision(id) => {
            let found = revisions.iter().find(|r| r.id == id).ok_or_else(|| {
                RollbackError::NoRevision(format!(
                    "there is no revision '{id}' of this service in this environment"
                ))
            })?;
            if found.result != Revision::SUCCESS {
                return Err(RollbackError::NoRevision(format!(
                    "revision '{id}' did not deploy successfully ({}); only healthy revisions are rollback targets",
                    found.result
                )));
            }
            Ok(found)
        }
        RollbackTarget::Commit(commit) => healthy()
            .find(|r| r.commit_sha.as_str().starts_with(commit))
            .ok_or_else(|| {
                RollbackError::NoRevision(format!(
                    "no healthy revision of commit '{commit}'; `seamless deployments` lists them"
                ))
            }),
        RollbackTarget::Previous => {
            let mut list = healthy();
            let current = list.next().ok_or_else(|| {
                RollbackError::NoRevision(
                    "nothing was ever deployed successfully here; there is nothing to go back to"
                        .into(),
                )
            })?;
            list.find(|r| r.image != current.image || r.commit_sha != current.commit_sha)
                .ok_or_else(|| {
                    RollbackError::NoRevision(format!(
                        "no healthy revision before the one that serves now ({}); there is nothing to go back to",
                        current.id
                    ))
                })
        }
    }
}

/// Refuses `target` when its image is gone: the backend no longer has the image the
/// deploy would run (pinned to its digest when known) and no registry serves it. A
/// backend that cannot deploy is not asked; the rollback run says so.
pub async fn check_image(host: &dyn ContainerHost, target: &Revision) -> Result<(), RollbackError> {
    let Some(deployer) = host.deployer() else {
        return Ok(());
    };
    let image = pinned_image(&target.image, target.digest.as_deref());
    let short = target.commit_sha.short();
    match deployer.check_image(&image).await {
        Ok(()) => Ok(()),
        Err(HostError::NotFound(why)) => Err(RollbackError::Image(format!(
            "cannot roll back {} in {} to revision {} (commit {short}): its image '{image}' \
             is gone: {why}; rebuild it by running the pipeline on commit {short} again, or \
             roll back to another revision (`seamless deployments` lists them)",
            target.service, target.environment, target.id
        ))),
        Err(e) => Err(RollbackError::Image(format!(
            "cannot roll back {} in {} to revision {}: checking its image '{image}' failed: {e}",
            target.service, target.environment, target.id
        ))),
    }
}

/// The stage that deploys `service` to `environment`, or why there is none.
pub fn deploy_stage<'a>(
    config: &'a Config,
    service: &str,
    environment: &str,
) -> Result<&'a seamless_core::config::Stage, RollbackError> {
    if config.service(service).is_none() {
        return Err(RollbackError::NoService {
            service: service.to_string(),
            known: config
                .services
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    config
        .stages
        .iter()
        .find(|s| s.environment.as_deref() == Some(environment))
        .ok_or_else(|| RollbackError::NoStage(environment.to_string()))
}

/// The run that deploys `target` to `environment` again.
pub fn rollback_request(
    config: Arc<Config>,
    config_text: String,
    service: &str,
    environment: &str,
    target: &Revision,
) -> Result<RunRequest, RollbackError> {
    let stage = deploy_stage(&config, service, environment)?.name.clone();
    let mut inputs = BTreeMap::from([("rollback.image".to_string(), target.image.clone())]);
    if let Some(digest) = &target.digest {
        inputs.insert("rollback.digest".into(), digest.clone());
    }
    Ok(RunRequest {
        plan: RunPlan {
            instances: vec![StageInstance {
                service: service.to_string(),
                stage,
                needs: Vec::new(),
                not_applicable: None,
                when: When::Success,
            }],
        },
        config,
        config_text,
        source: None,
        trigger: Trigger::Rollback,
        branch: None,
        commit_sha: target.commit_sha.clone(),
        max_parallel: 1,
        auto_approve: false,
        extra_inputs: inputs,
        in_place: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rev(id: &str, commit: &str, result: &str) -> Revision {
        Revision {
            id: id.into(),
            service: "web".into(),
            environment: "production".into(),
            image: format!("web:{commit}"),
            digest: None,
            commit_sha: seamless_core::commit::Commit::git(&format!("{commit:0<40}")).unwrap(),
            run_id: "r".into(),
            started_at: 0,
            finished_at: Some(0),
            result: result.into(),
            reason: None,
            endpoint: String::new(),
        }
    }

    #[test]
    fn targets_are_healthy_revisions_only() {
        // Newest first.
        let list = vec![
            rev("5", "ccc", Revision::FAILURE),
            rev("4", "bbb", Revision::SUCCESS),
            rev("3", "bbb", Revision::SUCCESS),
            rev("2", "aaa", Revision::SUCCESS),
        ];
        assert_eq!(pick(&list, RollbackTarget::Previous).unwrap().id, "2");
        assert_eq!(pick(&list, RollbackTarget::Commit("bb")).unwrap().id, "4");
        assert_eq!(pick(&list, RollbackTarget::Revision("3")).unwrap().id, "3");
        assert!(pick(&list, RollbackTarget::Commit("ccc")).is_err());
        let err = pick(&list, RollbackTarget::Revision("5")).unwrap_err();
        assert!(
            err.to_string().contains("did not deploy successfully"),
            "{err}"
        );
        assert!(pick(&list, RollbackTarget::Revision("9")).is_err());
        assert!(pick(&list[..2], RollbackTarget::Previous).is_err());
    }
}
