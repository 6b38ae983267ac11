//! What one stage invocation is given, and what it reports.

use crate::deploy_context::DeployContext;
use crate::error::StageFailure;
use crate::masking::Masker;
use crate::stage_log::LogLineSink;
use seamless_core::commit::Commit;
use seamless_core::config::{Grants, Limits, StageOrigin, Trigger};
use seamless_host_api::ContainerHost;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The service a stage instance works on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceFacts {
    /// Its name.
    pub name: String,
    /// Its directory relative to the workspace root.
    pub path: String,
    /// Its Dockerfile relative to `path`.
    pub dockerfile: String,
    /// The image its commands run in.
    pub image: String,
    /// Its named commands.
    pub commands: BTreeMap<String, String>,
}

/// Where a run's source comes from, for `source.checkout`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A directory on this machine, copied as it is (uncommitted changes included;
    /// in a git repository, files that git ignores are left out).
    Directory(PathBuf),
    /// A git repository URL (`https://`, `ssh://`, `git@`, `file://` or a path to a
    /// repository), cloned and checked out at the run's commit.
    Git(String),
}

impl SourceSpec {
    /// The path or URL, for messages (a URL without credentials).
    pub fn origin(&self) -> String {
        match self {
            SourceSpec::Directory(dir) => dir.display().to_string(),
            SourceSpec::Git(url) => strip_credentials(url),
        }
    }
}

/// `url` without a `user:password@` part.
fn strip_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// Facts about the run, as `run-info.current` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFacts {
    /// The run's id.
    pub run_id: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// What started the run.
    pub trigger: Trigger,
    /// The branch, when known.
    pub branch: Option<String>,
    /// The commit being built.
    pub commit_sha: Commit,
    /// The registry built images go to.
    pub registry: Option<String>,
    /// Where the source comes from.
    pub source: Option<SourceSpec>,
    /// The service.
    pub service: ServiceFacts,
}

impl Default for RunFacts {
    fn default() -> Self {
        RunFacts {
            run_id: String::new(),
            pipeline: String::new(),
            trigger: Trigger::Manual,
            branch: None,
            commit_sha: Commit::local(0),
            registry: None,
            source: None,
            service: ServiceFacts::default(),
        }
    }
}

/// Everything one stage invocation needs.
#[derive(Clone)]
pub struct Invocation {
    /// The stage's name.
    pub stage: String,
    /// The stage's `[stage.with]` settings.
    pub config: BTreeMap<String, String>,
    /// Outputs of the stages it needs, keyed `<stage>.<key>`.
    pub inputs: BTreeMap<String, String>,
    /// Facts about the run.
    pub run: RunFacts,
    /// The run's workspace on the host.
    pub workspace: PathBuf,
    /// What `seamless.toml` grants the stage.
    pub grants: Grants,
    /// Memory and time limits.
    pub limits: Limits,
    /// Where the stage is defined, for error messages.
    pub origin: StageOrigin,
    /// Values of the secrets the stage is granted, by name.
    pub secrets: BTreeMap<String, String>,
    /// Masks every secret of the run in log lines.
    pub masker: Arc<Masker>,
    /// Where containers run.
    pub host: Arc<dyn ContainerHost>,
    /// Receives the stage's masked log lines.
    pub log: LogLineSink,
    /// Labels for every container the stage starts (run, stage, service).
    pub labels: BTreeMap<String, String>,
    /// What deploys need: the service's targets and the revision ledger.
    pub deploy: Option<DeployContext>,
}

pub use seamless_core::report::TestCounts;

/// How a stage invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageReport {
    /// The one-line summary on success, or why the stage failed.
    pub result: Result<String, StageFailure>,
    /// Outputs the stage set.
    pub outputs: BTreeMap<String, String>,
    /// Test counts, when the stage ran tests (on success and on failed tests).
    pub tests: Option<TestCounts>,
    /// Time the stage spent waiting for the backend (containers, builds, pushes,
    /// deploys, checkouts).
    pub busy: std::time::Duration,
}

#[cfg(test)]
mod tests {
    use super::strip_credentials;

    #[test]
    fn credentials_are_not_shown() {
        assert_eq!(
            strip_credentials("https://user:token@github.com/acme/shop.git"),
            "https://github.com/acme/shop.git"
        );
        assert_eq!(strip_credentials("file:///srv/repo"), "file:///srv/repo");
        assert_eq!(strip_credentials("/srv/repo"), "/srv/repo");
    }
}
