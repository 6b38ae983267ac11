//! The pipeline a server carries out: its validated configuration, its text, and where
//! its directory sits inside the repository.

use std::path::Path;
use std::sync::Arc;

use seamless_core::config::{Config, PluginRef};

/// One pipeline, read once when the server starts (restart the server to change it).
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The text of `seamless.toml`, stored with every run so it can be resumed.
    pub config_text: String,
    /// The configuration's directory inside its git repository, `/`-terminated (empty
    /// at the root, or outside a git checkout); changed paths are made relative to it.
    pub repo_prefix: String,
}

impl Pipeline {
    /// The pipeline of `config`, whose file holds `config_text`.
    pub fn new(config: Config, config_text: String) -> Self {
        let repo_prefix = repo_prefix(&config.root);
        let checks_out = config
            .stages
            .iter()
            .any(|s| s.uses == PluginRef::Builtin("prepare".into()));
        if !checks_out {
            tracing::warn!(
                pipeline = %config.pipeline,
                "no stage uses builtin:prepare, so runs will not check the pushed commit out"
            );
        }
        Self {
            config: Arc::new(config),
            config_text,
            repo_prefix,
        }
    }

    /// `changed` (paths relative to the repository root) as paths relative to the
    /// configuration's directory; paths outside it are left out.
    pub fn relative(&self, changed: &[String]) -> Vec<String> {
        changed
            .iter()
            .filter_map(|p| p.strip_prefix(self.repo_prefix.as_str()))
            .map(str::to_string)
            .collect()
    }
}

/// `git rev-parse --show-prefix` in `dir`, or empty.
fn repo_prefix(dir: &Path) -> String {
    crate::git_query::git(dir, &["rev-parse", "--show-prefix"]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn changed_paths_are_made_relative_to_the_config_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let config = seamless_core::config::parse(
            "seamless.toml",
            "version = 1\npipeline = \"p\"\n\n[[service]]\nname = \"a\"\n",
            dir.path(),
        )
        .unwrap();
        let mut pipeline = Pipeline::new(config, String::new());
        assert_eq!(pipeline.repo_prefix, "", "not a git checkout");
        pipeline.repo_prefix = "ci/".into();
        let changed = ["ci/seamless.toml", "ci/a/x.py", "docs/readme.md"].map(String::from);
        assert_eq!(
            pipeline.relative(&changed),
            ["seamless.toml", "a/x.py"].map(String::from)
        );
    }
}
