//! Semantic checks on the raw config: names, references, paths, grants, limits and the
//! stage graph. Every problem is collected, so the user sees them all at once.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::defaults::{default_raw_stages, default_source};
use super::error::{ConfigError, ConfigErrors};
use super::location::Source;
use super::model::{Config, SecretSource, Service};
use super::schema::{RawConfig, RawSecret, RawService};

mod cycles;
mod dockerfile;
mod hosts;
mod service_deploy;
mod settings;
mod stage_options;
mod stages;
#[cfg(test)]
mod tests;

use service_deploy::deploy_settings;
pub(crate) use settings::valid_registry_url;
use stage_options::check_until;
use stages::validate_stages;

/// The directory of a service that does not name one.
pub(super) const DEFAULT_PATH: &str = ".";
/// The stage pull-request runs stop after when the file does not say otherwise.
const DEFAULT_PULL_REQUEST_UNTIL: &str = "integration-test";
/// The Dockerfile of a service that does not name one.
pub(super) const DEFAULT_DOCKERFILE: &str = "Dockerfile";
const DEFAULT_IMAGE: &str = "seamless/busybox";
const NAME_RULE: &str =
    "use 1 to 63 characters from a-z, 0-9 and '-', not starting or ending with '-'";
const SECRET_NAME_RULE: &str = "use letters, digits and '_', not starting with a digit";

/// Turns a parsed file into a [`Config`], or every error found in it.
pub(crate) fn validate(
    raw: RawConfig,
    source: Source<'_>,
    root: &Path,
    file: PathBuf,
) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();

    if *raw.version.get_ref() != 1 {
        errors.push(source.error(
            raw.version.span(),
            format!(
                "unsupported version {}; only `version = 1` is supported",
                raw.version.get_ref()
            ),
        ));
    }
    if let Err(message) = check_name("pipeline", raw.pipeline.get_ref()) {
        errors.push(source.error(raw.pipeline.span(), message));
    }

    let secrets = validate_secrets(&raw.secrets, source, root, &mut errors);
    let registry = settings::registry(raw.registry.as_ref(), source, &mut errors);
    let triggers = settings::triggers(raw.triggers.as_ref(), source, &mut errors);
    let workspaces_keep = settings::workspaces_keep(raw.workspaces.as_ref(), source, &mut errors);
    let approval_expires = settings::approval_expires(raw.approval.as_ref(), source, &mut errors);
    let plugins = settings::plugins(raw.plugins.as_ref(), source, &mut errors);
    let ecs = hosts::ecs(raw.hosts.as_ref(), source, &mut errors);

    if raw.service.is_empty() {
        errors.push(source.error(
            raw.pipeline.span(),
            "no [[service]] is defined; add a [[service]] table with at least a `name`",
        ));
    }
    let services = validate_services(&raw.service, source, root, &mut errors);

    let stages = if raw.stage.is_empty() {
        match default_raw_stages() {
            Ok(default) => validate_stages(&default, default_source(), root, &secrets, &mut errors),
            Err(error) => {
                errors.push(error);
                Vec::new()
            }
        }
    } else {
        validate_stages(&raw.stage, source, root, &secrets, &mut errors)
    };
    dockerfile::check_dockerfiles(&raw.service, &services, &stages, source, root, &mut errors);
    let stage_names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
    let mut triggers = triggers;
    if triggers.pull_request_until.is_none() && stage_names.contains(&DEFAULT_PULL_REQUEST_UNTIL) {
        // Pull requests stop after integration tests unless the file says otherwise.
        triggers.pull_request_until = Some(DEFAULT_PULL_REQUEST_UNTIL.to_string());
    }
    check_until(
        &settings::until_values(raw.triggers.as_ref()),
        &stage_names,
        source,
        &mut errors,
    );

    if errors.is_empty() {
        Ok(Config {
            file,
            root: root.to_path_buf(),
            pipeline: raw.pipeline.into_inner(),
            secrets,
            services,
            stages,
            registry,
            triggers,
            workspaces_keep,
            approval_expires,
            plugins,
            ecs,
        })
    } else {
        // Errors of the user's file first, in source order.
        errors.sort_by_key(|e| (e.file != source.name, e.line, e.column));
        Err(ConfigErrors(errors))
    }
}

/// Checks a service, stage, pipeline or command name against [`NAME_RULE`].
fn check_name(kind: &str, name: &str) -> Result<(), String> {
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name.is_empty()
        && name.len() <= 63
        && valid_chars
        && !name.starts_with('-')
        && !name.ends_with('-')
    {
        Ok(())
    } else {
        Err(format!("invalid {kind} name \"{name}\"; {NAME_RULE}"))
    }
}

fn is_secret_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn validate_secrets(
    raw: &BTreeMap<Spanned<String>, Spanned<RawSecret>>,
    source: Source<'_>,
    root: &Path,
    errors: &mut Vec<ConfigError>,
) -> BTreeMap<String, SecretSource> {
    let mut secrets = BTreeMap::new();
    for (name, secret) in raw {
        let name_str = name.get_ref();
        if !is_secret_name(name_str) {
            errors.push(source.error(
                name.span(),
                format!("invalid secret name \"{name_str}\"; {SECRET_NAME_RULE}"),
            ));
        }
        let RawSecret {
            from_env,
            from_file,
        } = secret.get_ref();
        let secret_source = match (from_env, from_file) {
            (Some(env), None) => non_empty(env, "from-env", source, errors)
                .map(|env| SecretSource::Env(env.to_string())),
            (None, Some(file)) => non_empty(file, "from-file", source, errors)
                .map(|file| SecretSource::File(root.join(file))),
            (None, None) => {
                errors.push(source.error(
                    name.span(),
                    format!(
                        "secret '{name_str}' has no source; set exactly one of \
                         `from-env = \"VARIABLE\"` or `from-file = \"path\"`"
                    ),
                ));
                None
            }
            (Some(_), Some(file)) => {
                errors.push(source.error(
                    file.span(),
                    format!(
                        "secret '{name_str}' has two sources; set exactly one of \
                         `from-env` or `from-file`, not both"
                    ),
                ));
                None
            }
        };
        if let Some(secret_source) = secret_source {
            secrets.insert(name_str.clone(), secret_source);
        }
    }
    secrets
}

/// The value of a string key that must not be empty.
fn non_empty<'a>(
    value: &'a Spanned<String>,
    key: &str,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<&'a str> {
    if value.get_ref().trim().is_empty() {
        errors.push(source.error(value.span(), format!("`{key}` is empty; give a value")));
        None
    } else {
        Some(value.get_ref())
    }
}

fn validate_services(
    raw: &[RawService],
    source: Source<'_>,
    root: &Path,
    errors: &mut Vec<ConfigError>,
) -> Vec<Service> {
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    let mut services = Vec::new();
    for service in raw {
        let name = service.name.get_ref();
        if let Err(message) = check_name("service", name) {
            errors.push(source.error(service.name.span(), message));
        }
        if let Some(line) = first_line.get(name.as_str()) {
            errors.push(source.error(
                service.name.span(),
                format!(
                    "duplicate service name '{name}'; it is already defined at line {line}; \
                     give each service its own name"
                ),
            ));
        } else {
            first_line.insert(name, source.line(service.name.span()));
        }

        let path = string_or(&service.path, DEFAULT_PATH);
        let dockerfile = string_or(&service.dockerfile, DEFAULT_DOCKERFILE);
        let image = string_or(&service.image, DEFAULT_IMAGE);

        let dir = root.join(&path);
        if !dir.is_dir() {
            let span = span_or(&service.path, &service.name);
            errors.push(source.error(
                span,
                format!(
                    "service path \"{path}\" of service '{name}' is not a directory; \
                     paths are relative to the directory of the config file"
                ),
            ));
        }

        if image.trim().is_empty() || image.contains(char::is_whitespace) {
            errors.push(source.error(
                span_or(&service.image, &service.name),
                format!(
                    "invalid image \"{image}\"; expected an image reference like \"alpine:3.20\""
                ),
            ));
        }

        let mut commands = BTreeMap::new();
        for (command, text) in &service.commands {
            if let Err(message) = check_name("command", command.get_ref()) {
                errors.push(source.error(command.span(), message));
            }
            if text.get_ref().trim().is_empty() {
                errors.push(source.error(
                    text.span(),
                    format!(
                        "command '{}' of service '{name}' is empty; give the shell command to run",
                        command.get_ref()
                    ),
                ));
            }
            commands.insert(command.get_ref().clone(), text.get_ref().clone());
        }

        let deploy = deploy_settings(service, source, errors);
        services.push(Service {
            name: name.clone(),
            path,
            dockerfile,
            image,
            commands,
            port: deploy.port,
            health: deploy.health,
            auto_deploy: deploy.auto_deploy,
            on_pull_request: deploy.on_pull_request,
            on_push: deploy.on_push,
            env: deploy.env,
            targets: deploy.targets,
        });
    }
    services
}

fn string_or(value: &Option<Spanned<String>>, default: &str) -> String {
    value
        .as_ref()
        .map_or_else(|| default.to_string(), |v| v.get_ref().clone())
}

pub(super) fn span_or<T>(value: &Option<Spanned<T>>, fallback: &Spanned<String>) -> Range<usize> {
    value
        .as_ref()
        .map_or_else(|| fallback.span(), Spanned::span)
}
