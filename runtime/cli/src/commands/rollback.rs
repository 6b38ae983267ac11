//! `seamless rollback`: redeploy an earlier healthy revision of one service through
//! the same health-checked deploy stage, recorded as a new revision.

use super::EXIT_INVALID;
use super::session::{Session, follow, report};
use crate::args::RollbackArgs;
use anyhow::{Context, Result, bail};
use seamless_core::config::{Trigger, When};
use seamless_core::deploy::Revision;
use seamless_core::plan::{RunPlan, StageInstance};
use seamless_scheduler::RunRequest;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Picks the revision to go back to and deploys it.
pub async fn rollback(args: RollbackArgs, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let config = match seamless_core::config::load(&args.path) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let env = &args.environment;
    if config.service(&args.service).is_none() {
        bail!(
            "seamless.toml defines no service '{}'; services are: {}",
            args.service,
            config
                .services
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let Some(stage) = config
        .stages
        .iter()
        .find(|s| s.environment.as_deref() == Some(env.as_str()))
    else {
        bail!("no stage deploys to '{env}' (a stage with `environment = \"{env}\"`)");
    };
    let config_text = std::fs::read_to_string(&config.file)
        .with_context(|| format!("cannot read '{}'", config.file.display()))?;
    let session = Session::open(data_dir, args.host).await?;
    let revisions = session.store.revisions(&args.service, env)?;
    let target = pick(&revisions, args.to.as_deref(), args.previous)?;
    println!(
        "seamless: rolling {} in {env} back to {} (commit {}, deployed by run {})",
        args.service,
        target.image,
        target.commit_sha.get(..12).unwrap_or(&target.commit_sha),
        target.run_id
    );
    let mut inputs = BTreeMap::from([("rollback.image".to_string(), target.image.clone())]);
    if let Some(digest) = &target.digest {
        inputs.insert("rollback.digest".into(), digest.clone());
    }
    let request = RunRequest {
        plan: RunPlan {
            instances: vec![StageInstance {
                service: args.service.clone(),
                stage: stage.name.clone(),
                needs: Vec::new(),
                not_applicable: None,
                when: When::Success,
            }],
        },
        config: Arc::new(config.clone()),
        config_text,
        source: None,
        trigger: Trigger::Rollback,
        branch: None,
        commit_sha: target.commit_sha.clone(),
        max_parallel: 1,
        auto_approve: false,
        extra_inputs: inputs,
        in_place: None,
    };
    let scheduler = session.scheduler();
    let outcome = follow(args.verbose, |tx, cancel| {
        scheduler.run(request, tx, cancel)
    })
    .await?;
    Ok(report(&outcome, &session.data_dir))
}

/// The revision to go back to: the newest successful one of `commit`, or the newest
/// successful one before the one that serves now.
fn pick<'a>(
    revisions: &'a [Revision],
    commit: Option<&str>,
    previous: bool,
) -> Result<&'a Revision> {
    let healthy = || revisions.iter().filter(|r| r.result == Revision::SUCCESS);
    if let Some(commit) = commit {
        return healthy()
            .find(|r| r.commit_sha.starts_with(commit))
            .with_context(|| {
                format!(
                    "no healthy revision of commit '{commit}'; `seamless deployments` lists them"
                )
            });
    }
    debug_assert!(previous);
    let mut list = healthy();
    let current = list
        .next()
        .context("nothing was ever deployed successfully here; there is nothing to go back to")?;
    list.find(|r| r.image != current.image || r.commit_sha != current.commit_sha)
        .with_context(|| {
            format!(
                "no healthy revision before the one that serves now ({}); there is nothing to go back to",
                current.id
            )
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
            commit_sha: commit.into(),
            run_id: "r".into(),
            started_at: 0,
            finished_at: Some(0),
            result: result.into(),
            reason: None,
            endpoint: String::new(),
        }
    }

    #[test]
    fn previous_skips_failures_and_redeploys_of_the_serving_commit() {
        // Newest first.
        let list = vec![
            rev("5", "ccc", Revision::FAILURE),
            rev("4", "bbb", Revision::SUCCESS),
            rev("3", "bbb", Revision::SUCCESS),
            rev("2", "aaa", Revision::SUCCESS),
        ];
        assert_eq!(pick(&list, None, true).unwrap().id, "2");
        assert_eq!(pick(&list, Some("bb"), false).unwrap().id, "4");
        assert!(
            pick(&list, Some("ccc"), false).is_err(),
            "failed revisions are not targets"
        );
        assert!(pick(&list[..2], None, true).is_err());
    }
}
