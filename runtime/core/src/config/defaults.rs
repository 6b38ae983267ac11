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
name = "code-quality"
uses = "builtin:command"
[stage.grants]
containers = true
[stage.with]
command = "code-quality"

[[stage]]
name = "unit-test"
uses = "builtin:command"
needs = ["code-quality"]
[stage.grants]
containers = true
workspace-write = true
[stage.with]
command = "unit-test"

[[stage]]
name = "build"
uses = "builtin:build"
needs = ["unit-test"]
[stage.grants]
images = true
"#;

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
    use crate::config::{Limits, PluginRef, parse};

    const ONE_SERVICE: &str = "version = 1\npipeline = \"p\"\n[[service]]\nname = \"app\"\n";

    #[test]
    fn default_pipeline_parses_on_its_own() {
        let names: Vec<String> = default_raw_stages()
            .unwrap()
            .into_iter()
            .map(|stage| stage.name.into_inner())
            .collect();
        assert_eq!(names, ["code-quality", "unit-test", "build"]);
    }

    #[test]
    fn config_without_stages_gets_the_default_pipeline() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let config = parse("seamless.toml", ONE_SERVICE, dir.path()).unwrap();

        let [quality, test, build] = config.stages.as_slice() else {
            panic!("expected three stages, got {:?}", config.stages);
        };
        assert_eq!(quality.name, "code-quality");
        assert_eq!(quality.uses, PluginRef::Builtin("command".into()));
        assert!(quality.needs.is_empty());
        assert!(quality.grants.containers && !quality.grants.workspace_write);
        assert_eq!(
            quality.with.get("command").map(String::as_str),
            Some("code-quality")
        );

        assert_eq!(test.name, "unit-test");
        assert_eq!(test.needs, ["code-quality"]);
        assert!(test.grants.containers && test.grants.workspace_write && !test.grants.images);
        assert_eq!(
            test.with.get("command").map(String::as_str),
            Some("unit-test")
        );

        assert_eq!(build.name, "build");
        assert_eq!(build.uses, PluginRef::Builtin("build".into()));
        assert_eq!(build.needs, ["unit-test"]);
        assert!(build.grants.images && !build.grants.containers);

        for stage in &config.stages {
            assert_eq!(stage.limits, Limits::default());
            assert_eq!(stage.limits.timeout, Duration::from_secs(1800));
            assert!(stage.origin.is_default_pipeline());
        }
        assert_eq!(build.origin.line, 20);
        assert_eq!(build.origin.grants_line, Some(23));
    }
}
