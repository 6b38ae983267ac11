//! The Dockerfile rule: a service needs a Dockerfile only when a stage of the pipeline
//! builds it, that is a per-service stage that uses `builtin:build`. A pipeline whose
//! stages build nothing (commands and tests in stock images) needs none.

use super::{DEFAULT_PATH, span_or};
use crate::config::error::ConfigError;
use crate::config::location::Source;
use crate::config::model::{PluginRef, Scope, Service, Stage};
use crate::config::schema::RawService;
use std::path::Path;

/// The built-in plugin that builds a service's image from its Dockerfile.
const BUILD_PLUGIN: &str = "build";

/// The first stage that builds each service's image, if any.
fn building_stage(stages: &[Stage]) -> Option<&Stage> {
    stages.iter().find(|stage| {
        stage.scope == Scope::Service
            && matches!(&stage.uses, PluginRef::Builtin(name) if name == BUILD_PLUGIN)
    })
}

/// Reports each service without its Dockerfile when a stage builds it. `raw` and
/// `services` are the same services, in the same order; a service whose path is not a
/// directory was reported already.
pub(super) fn check_dockerfiles(
    raw: &[RawService],
    services: &[Service],
    stages: &[Stage],
    source: Source<'_>,
    root: &Path,
    errors: &mut Vec<ConfigError>,
) {
    let Some(stage) = building_stage(stages) else {
        return;
    };
    for (raw, service) in raw.iter().zip(services) {
        let dir = root.join(&service.path);
        if !dir.is_dir() || dir.join(&service.dockerfile).is_file() {
            continue;
        }
        let name = &service.name;
        let shown = if service.path == DEFAULT_PATH {
            service.dockerfile.clone()
        } else {
            format!(
                "{}/{}",
                service.path.trim_end_matches('/'),
                service.dockerfile
            )
        };
        let builds = format!("stage '{}' builds it", stage.name);
        let message = if raw.dockerfile.is_some() {
            format!(
                "dockerfile \"{shown}\" of service '{name}' does not exist ({builds}); \
                 create it or fix `dockerfile` (relative to the service path)"
            )
        } else {
            format!(
                "service '{name}' has no Dockerfile at \"{shown}\" ({builds}); create it or \
                 set `dockerfile = \"...\"` (relative to the service path)"
            )
        };
        errors.push(source.error(span_or(&raw.dockerfile, &raw.name), message));
    }
}
