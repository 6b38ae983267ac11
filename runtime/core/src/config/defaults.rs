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
            source.error(error.span().unwrap_or(0..0), error.message().trim().to_string())
        })
}
