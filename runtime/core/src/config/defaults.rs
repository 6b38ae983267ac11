//! The embedded default pipeline, used when `seamless.toml` has no `[[stage]]`.
//!
//! It is TOML parsed and validated by the same code as a user's file, so it cannot
//! drift from what users may write.

use super::error::ConfigError;
use super::location::Source;
use super::schema::{RawStage, RawStages};

/// Display name of the default pipeline in [`super::StageOrigin::file`] and errors.
pub const DEFAULT_PIPELINE_ORIGIN: &str = "<embedded default pipeline>";

/// The default pipeline as `[[stage]]` tables; `seamless init` may write it out.
pub const DEFAULT_PIPELINE_TOML: &str = r#"[[stage]]
name = "prepare"
uses = "builtin:prepare"
scope = "run"
[stage.grants]
workspace-write = true

[[stage]]
name = "code-quality"
uses = "builtin:command"
needs = ["prepare"]
[stage.grants]
containers = true
[stage.with]
command = "code-quality"

[[stage]]
name = "unit-test"
uses = "builtin:command"
needs = ["prepare"]
[stage.grants]
containers = true
workspace-write = true
[stage.with]
command = "unit-test"

[[stage]]
name = "build"
uses = "builtin:build"
needs = ["code-quality", "unit-test"]
[stage.grants]
images = true

[[stage]]
name = "integration-test"
uses = "builtin:integration-test"
needs = ["build"]
[stage.grants]
containers = true
images = true
networks = true
workspace-write = true

[[stage]]
name = "deploy-staging"
uses = "builtin:deploy"
needs = ["integration-test"]
environment = "staging"
[stage.grants]
deploy = ["staging"]

[[stage]]
name = "approval"
uses = "gate:approval"
needs = ["deploy-staging"]

[[stage]]
name = "deploy-production"
uses = "builtin:deploy"
needs = ["approval"]
environment = "production"
[stage.grants]
deploy = ["production"]

[[stage]]
name = "notify"
uses = "builtin:notify"
when = "run-end"
"#;

/// The `[[stage]]` tables of the default pipeline named in `names`, in the default
/// order, each `needs` cut to the stages among `names` (a stage whose needs are all
/// left out needs nothing). For pipelines, such as tests', that take a part of the
/// default one and add their own stages, without writing its stages again.
pub fn default_stages(names: &[&str]) -> String {
    let mut out = String::new();
    for table in DEFAULT_PIPELINE_TOML.split("[[stage]]\n").skip(1) {
        let named = table.lines().next().and_then(|line| {
            line.strip_prefix("name = \"")
                .and_then(|rest| rest.strip_suffix('"'))
        });
        if !named.is_some_and(|name| names.contains(&name)) {
            continue;
        }
        out.push_str("[[stage]]\n");
        for line in table.trim_end().lines() {
            match line
                .strip_prefix("needs = [")
                .and_then(|rest| rest.strip_suffix(']'))
            {
                Some(list) => {
                    let kept: Vec<&str> = list
                        .split(',')
                        .map(|need| need.trim())
                        .filter(|need| names.contains(&need.trim_matches('"')))
                        .collect();
                    if !kept.is_empty() {
                        out.push_str(&format!("needs = [{}]\n", kept.join(", ")));
                    }
                }
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out.push('\n');
    }
    out
}

/// The source of the default pipeline, for spans and origins.
pub(crate) fn default_source() -> Source<'static> {
    Source {
        name: DEFAULT_PIPELINE_ORIGIN,
        text: DEFAULT_PIPELINE_TOML,
    }
}

/// The raw stages of the default pipeline.
pub(crate) fn default_raw_stages() -> Result<Vec<RawStage>, ConfigError> {
    let source = default_source();
    toml::from_str::<RawStages>(source.text)
        .map(|raw| raw.stage)
        .map_err(|error| {
            source.error(
                error.span().unwrap_or(0..0),
                error.message().trim().to_string(),
            )
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::{Limits, PluginRef, Scope, When, parse};

    const ONE_SERVICE: &str = "version = 1\npipeline = \"p\"\n[[service]]\nname = \"app\"\n";

    #[test]
    fn a_part_of_the_default_pipeline_keeps_its_settings_and_only_its_own_needs() {
        let part = default_stages(&["prepare", "unit-test", "build"]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let config = parse(
            "seamless.toml",
            &format!("{ONE_SERVICE}[service.commands]\nunit-test = \"true\"\n{part}"),
            dir.path(),
        )
        .unwrap_or_else(|e| panic!("{e}\n{part}"));
        let names: Vec<&str> = config.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["prepare", "unit-test", "build"]);
        let build = config.stage("build").unwrap();
        assert_eq!(build.needs, ["unit-test"], "code-quality is left out");
        assert!(build.grants.images);
        assert!(config.stage("unit-test").unwrap().grants.workspace_write);
        assert_eq!(config.stage("prepare").unwrap().scope, Scope::Run);
        assert_eq!(default_stages(&["nothing"]), "");
    }

    #[test]
    fn default_pipeline_parses_on_its_own() {
        let names: Vec<String> = default_raw_stages()
            .unwrap()
            .into_iter()
            .map(|stage| stage.name.into_inner())
            .collect();
        assert_eq!(
            names,
            [
                "prepare",
                "code-quality",
                "unit-test",
                "build",
                "integration-test",
                "deploy-staging",
                "approval",
                "deploy-production",
                "notify"
            ]
        );
    }

    #[test]
    fn config_without_stages_gets_the_default_pipeline() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let config = parse("seamless.toml", ONE_SERVICE, dir.path()).unwrap();
        let stage = |name: &str| config.stage(name).unwrap();

        let prepare = stage("prepare");
        assert_eq!(prepare.uses, PluginRef::Builtin("prepare".into()));
        assert_eq!(prepare.scope, Scope::Run);
        assert!(prepare.grants.workspace_write && !prepare.grants.containers);

        let quality = stage("code-quality");
        assert_eq!(quality.uses, PluginRef::Builtin("command".into()));
        assert_eq!(quality.needs, ["prepare"]);
        assert!(quality.grants.containers && !quality.grants.workspace_write);
        assert_eq!(
            quality.with.get("command").map(String::as_str),
            Some("code-quality")
        );
        assert_eq!(stage("unit-test").needs, ["prepare"]);
        assert_eq!(stage("build").needs, ["code-quality", "unit-test"]);
        assert!(stage("integration-test").grants.networks);

        let staging = stage("deploy-staging");
        assert_eq!(staging.environment.as_deref(), Some("staging"));
        assert!(staging.grants.deploy.contains("staging"));
        assert_eq!(stage("approval").uses, PluginRef::Approval);
        assert_eq!(stage("approval").needs, ["deploy-staging"]);
        let production = stage("deploy-production");
        assert_eq!(production.needs, ["approval"]);
        assert!(production.grants.deploy.contains("production"));
        assert_eq!(stage("notify").when, When::RunEnd);
        assert_eq!(stage("notify").scope, Scope::Run);

        for stage in &config.stages {
            assert_eq!(stage.limits, Limits::default());
            assert_eq!(stage.limits.timeout, Duration::from_secs(1800));
            assert!(stage.origin.is_default_pipeline());
        }
        assert_eq!(quality.origin.line, 9);
        assert_eq!(quality.origin.grants_line, Some(12));
        assert_eq!(
            config.triggers.pull_request_until.as_deref(),
            Some("integration-test")
        );
    }
}
