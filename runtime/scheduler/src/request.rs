//! What a run is asked to do, how it is stored so that it can be resumed, and how it
//! ended.

use seamless_core::commit::Commit;
use seamless_core::config::{Config, Trigger, When};
use seamless_core::plan::{RunPlan, StageInstance};
use seamless_core::state::RunStatus;
use seamless_engine::SourceSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// One run to carry out.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The text of `seamless.toml`, kept with the run so it can be resumed as planned.
    pub config_text: String,
    /// The stage instances to run.
    pub plan: RunPlan,
    /// Where the source comes from; `None` runs in `workspace` in place.
    pub source: Option<SourceSpec>,
    /// What started the run.
    pub trigger: Trigger,
    /// The branch, when known.
    pub branch: Option<String>,
    /// The commit being built.
    pub commit_sha: Commit,
    /// Most stage instances running at once.
    pub max_parallel: usize,
    /// Approve the approval gate without asking (`seamless run --approve`).
    pub auto_approve: bool,
    /// Inputs every stage instance sees, such as `rollback.image`.
    pub extra_inputs: BTreeMap<String, String>,
    /// Run in this directory in place instead of a fresh run workspace (used when the
    /// pipeline has no stage that checks the source out).
    pub in_place: Option<PathBuf>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The run's id.
    pub run_id: String,
    /// Its final status (or `awaiting-approval` if the process was asked to stop
    /// waiting).
    pub status: RunStatus,
}

/// The request as the store keeps it (JSON in `runs.request`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredRequest {
    pub config_file: PathBuf,
    pub config_text: String,
    pub instances: Vec<StoredInstance>,
    pub source: Option<StoredSource>,
    pub trigger: String,
    pub branch: Option<String>,
    pub commit_sha: Commit,
    pub max_parallel: usize,
    pub auto_approve: bool,
    pub extra_inputs: BTreeMap<String, String>,
    pub workspace: PathBuf,
}

/// A planned stage instance as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredInstance {
    pub service: String,
    pub stage: String,
    pub needs: Vec<usize>,
    pub not_applicable: Option<String>,
    pub when: String,
}

/// A source as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "at", rename_all = "kebab-case")]
pub(crate) enum StoredSource {
    Directory(PathBuf),
    Git(String),
}

fn when_name(when: When) -> &'static str {
    match when {
        When::Success => "success",
        When::RunStart => "run-start",
        When::RunEnd => "run-end",
    }
}

fn when_from(name: &str) -> When {
    match name {
        "run-start" => When::RunStart,
        "run-end" => When::RunEnd,
        _ => When::Success,
    }
}

impl StoredRequest {
    /// What to store for `request`, run in `workspace`.
    pub fn from_request(request: &RunRequest, workspace: &std::path::Path) -> Self {
        StoredRequest {
            config_file: request.config.file.clone(),
            config_text: request.config_text.clone(),
            instances: request
                .plan
                .instances
                .iter()
                .map(|i| StoredInstance {
                    service: i.service.clone(),
                    stage: i.stage.clone(),
                    needs: i.needs.clone(),
                    not_applicable: i.not_applicable.clone(),
                    when: when_name(i.when).to_string(),
                })
                .collect(),
            source: request.source.as_ref().map(|s| match s {
                SourceSpec::Directory(d) => StoredSource::Directory(d.clone()),
                SourceSpec::Git(u) => StoredSource::Git(u.clone()),
            }),
            trigger: request.trigger.as_str().to_string(),
            branch: request.branch.clone(),
            commit_sha: request.commit_sha.clone(),
            max_parallel: request.max_parallel,
            auto_approve: request.auto_approve,
            extra_inputs: request.extra_inputs.clone(),
            workspace: workspace.to_path_buf(),
        }
    }

    /// The request again, with `config` parsed from the stored text.
    pub fn into_request(self, config: Config) -> RunRequest {
        RunRequest {
            config: Arc::new(config),
            config_text: self.config_text,
            plan: RunPlan {
                instances: self
                    .instances
                    .into_iter()
                    .map(|i| StageInstance {
                        service: i.service,
                        stage: i.stage,
                        needs: i.needs,
                        not_applicable: i.not_applicable,
                        when: when_from(&i.when),
                    })
                    .collect(),
            },
            source: self.source.map(|s| match s {
                StoredSource::Directory(d) => SourceSpec::Directory(d),
                StoredSource::Git(u) => SourceSpec::Git(u),
            }),
            trigger: Trigger::parse(&self.trigger).unwrap_or(Trigger::Manual),
            branch: self.branch,
            commit_sha: self.commit_sha,
            max_parallel: self.max_parallel,
            auto_approve: self.auto_approve,
            extra_inputs: self.extra_inputs,
            in_place: None,
        }
    }
}

/// The request a stored run was started with (its configuration parsed from the text
/// stored with it), and its workspace.
pub fn stored_request(
    run: &seamless_store::RunRecord,
) -> Result<(RunRequest, PathBuf), crate::SchedulerError> {
    use crate::SchedulerError;
    let run_id = &run.id;
    let stored: StoredRequest = serde_json::from_str(&run.request).map_err(|e| {
        SchedulerError::Resume(format!("run '{run_id}' has no resumable record: {e}"))
    })?;
    let root = stored
        .config_file
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let display = stored.config_file.display().to_string();
    let config =
        seamless_core::config::parse(&display, &stored.config_text, &root).map_err(|e| {
            SchedulerError::Resume(format!(
                "the configuration run '{run_id}' was planned with no longer loads:\n{e}"
            ))
        })?;
    let workspace = stored.workspace.clone();
    Ok((stored.into_request(config), workspace))
}
