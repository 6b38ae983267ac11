//! `seamless run`.

use super::EXIT_INVALID;
use super::session::{Session, follow, report};
use crate::args::{RunArgs, TriggerChoice};
use crate::git;
use anyhow::{Context, Result};
use seamless_core::config::{Config, PluginRef, Trigger};
use seamless_core::plan::{PlanFilter, changed_services, plan};
use seamless_engine::SourceSpec;
use seamless_scheduler::RunRequest;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Validates, plans and runs the pipeline; the exit code is 0 only on success.
pub async fn run(args: RunArgs, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let config = match seamless_core::config::load(&args.path) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("no run was started: fix seamless.toml (check it with `seamless validate`)");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let config_text = std::fs::read_to_string(&config.file)
        .with_context(|| format!("cannot read '{}'", config.file.display()))?;
    let root = config
        .root
        .canonicalize()
        .with_context(|| format!("cannot resolve '{}'", config.root.display()))?;
    let trigger = match args.trigger {
        TriggerChoice::Manual => Trigger::Manual,
        TriggerChoice::Push => Trigger::Push,
        TriggerChoice::PullRequest => Trigger::PullRequest,
    };
    let (source, commit_sha) = match &args.source {
        Some(url) => {
            let commit = git::remote_commit(url, args.commit.as_deref())
                .map_err(anyhow::Error::msg)
                .with_context(|| match &args.commit {
                    Some(rev) => format!("cannot find commit '{rev}' of '{url}'"),
                    None => format!("cannot find the HEAD commit of '{url}'; give --commit"),
                })?;
            (Some(SourceSpec::Git(url.clone())), commit)
        }
        None => (
            Some(SourceSpec::Directory(root.clone())),
            git::commit_sha(&root),
        ),
    };
    let branch = args.branch.clone().or_else(|| git::branch(&root));
    if trigger == Trigger::Push
        && let Some(branch) = &branch
        && !config.triggers.push_branches.iter().any(|b| b == branch)
    {
        println!(
            "seamless: pushes to '{branch}' start no run (branches: {}; `[triggers.push] branches`)",
            config.triggers.push_branches.join(", ")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut services = args.services.clone();
    if let Some(base) = &args.base {
        let changed = git::changed_files(&root, base, &commit_sha)
            .map_err(anyhow::Error::msg)
            .with_context(|| {
                format!("cannot list the files changed between {base} and {commit_sha}")
            })?;
        let selected = changed_services(&config, &changed);
        let selected: Vec<String> = selected
            .into_iter()
            .filter(|s| services.is_empty() || services.contains(s))
            .collect();
        if selected.is_empty() {
            println!(
                "seamless: no service changed between {} and {}; nothing to run",
                short(base),
                commit_sha.short()
            );
            return Ok(ExitCode::SUCCESS);
        }
        let skipped: Vec<&str> = config
            .services
            .iter()
            .map(|s| s.name.as_str())
            .filter(|s| !selected.iter().any(|x| x == s))
            .collect();
        if !skipped.is_empty() {
            println!("seamless: unchanged, not run: {}", skipped.join(", "));
        }
        services = selected;
    }
    let filter = PlanFilter {
        services,
        stages: args.stages.clone(),
        trigger: Some(trigger),
    };
    let run_plan = match plan(&config, &filter) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    if run_plan.instances.is_empty() {
        println!("seamless: no service takes part in a {trigger} run; nothing to run");
        return Ok(ExitCode::SUCCESS);
    }
    let session = Session::open_with(data_dir, args.host, &config.ecs).await?;
    let in_place = (!checks_out(&config)).then(|| root.clone());
    let request = RunRequest {
        config: Arc::new(config),
        config_text,
        plan: run_plan,
        source,
        trigger,
        branch,
        commit_sha,
        max_parallel: usize::from(args.parallel),
        auto_approve: args.approve,
        extra_inputs: BTreeMap::new(),
        in_place,
    };
    println!(
        "seamless: pipeline '{}' at {} ({trigger}) on the {} host",
        request.config.pipeline,
        request.commit_sha.short(),
        session.host.name()
    );
    let scheduler = session.scheduler();
    let outcome = follow(args.verbose, |tx, cancel| {
        scheduler.run(request, tx, cancel)
    })
    .await?;
    Ok(report(&outcome, &session.data_dir))
}

/// Whether some stage checks the source out; without one, stages work in the
/// repository directory in place.
fn checks_out(config: &Config) -> bool {
    config
        .stages
        .iter()
        .any(|s| s.uses == PluginRef::Builtin("prepare".into()))
}

/// The first 12 characters of a commit.
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
