//! Checks of the `[[stage]]` tables: names, `uses`, `needs`, grants, limits, `with`
//! and the scheduling keys.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use crate::capability::check_http_grant;

use super::super::duration::parse_duration;
use super::super::error::ConfigError;
use super::super::location::Source;
use super::super::model::{
    APPROVAL_GATE, Grants, KNOWN_BUILTINS, Limits, PluginRef, SecretSource, Stage, StageOrigin,
};
use super::super::schema::{RawGrants, RawLimits, RawStage};
use super::check_name;
use super::cycles::check_cycles;
use super::stage_options::{check_needs_on_hooks, stage_options};

pub(crate) fn validate_stages(
    raw: &[RawStage],
    source: Source<'_>,
    root: &Path,
    secrets: &BTreeMap<String, SecretSource>,
    errors: &mut Vec<ConfigError>,
) -> Vec<Stage> {
    // Stage names in order, first definition wins.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut defined: Vec<&str> = Vec::new();
    for (i, stage) in raw.iter().enumerate() {
        let name = stage.name.get_ref();
        if let Err(message) = check_name("stage", name) {
            errors.push(source.error(stage.name.span(), message));
        }
        if let Some(&first) = index.get(name.as_str()) {
            errors.push(source.error(
                stage.name.span(),
                format!(
                    "duplicate stage name '{name}'; it is already defined at line {}; \
                     give each stage its own name",
                    source.line(raw[first].name.span())
                ),
            ));
        } else {
            index.insert(name, i);
            defined.push(name);
        }
    }

    let mut stages = Vec::new();
    for stage in raw {
        let name = stage.name.get_ref();
        let uses = validate_uses(&stage.uses, source, root, errors);

        let mut needs = Vec::new();
        for need in &stage.needs {
            let need_name = need.get_ref();
            if !index.contains_key(need_name.as_str()) {
                errors.push(source.error(
                    need.span(),
                    format!(
                        "stage '{name}' needs '{need_name}', but no stage has that name; \
                         defined stages are: {}",
                        defined.join(", ")
                    ),
                ));
            } else if needs.contains(need_name) {
                errors.push(source.error(
                    need.span(),
                    format!("stage '{name}' lists '{need_name}' twice in `needs`; list it once"),
                ));
            } else {
                needs.push(need_name.clone());
            }
        }

        let grants = stage.grants.as_ref().map(Spanned::get_ref);
        let grants = validate_grants(grants, source, secrets, errors);
        let limits = stage.limits.as_ref().map(Spanned::get_ref);
        let limits = validate_limits(limits, source, errors);
        let with = validate_with(&stage.with, source, errors);

        let options = stage_options(stage, source, errors);
        let raw_limits = stage.limits.as_ref().map(Spanned::get_ref);
        let origin = StageOrigin {
            file: source.name.to_string(),
            line: source.line(stage.name.span()),
            grants_line: stage.grants.as_ref().map(|g| source.line(g.span())),
            limits_line: stage.limits.as_ref().map(|l| source.line(l.span())),
            memory_line: raw_limits
                .and_then(|l| l.memory_mib.as_ref())
                .map(|m| source.line(m.span())),
            timeout_line: raw_limits
                .and_then(|l| l.timeout.as_ref())
                .map(|t| source.line(t.span())),
        };

        if let Some(uses) = uses {
            stages.push(Stage {
                name: name.clone(),
                uses,
                needs,
                grants,
                limits,
                with,
                origin,
                scope: options.scope,
                when: options.when,
                environment: options.environment,
                retry: options.retry,
            });
        }
    }

    let when_of = |name: &str| {
        stages
            .iter()
            .find(|s: &&Stage| s.name == name)
            .map(|s| s.when)
    };
    check_needs_on_hooks(raw, &when_of, source, errors);
    check_cycles(raw, &index, source, errors);
    stages
}

fn validate_uses(
    uses: &Spanned<String>,
    source: Source<'_>,
    root: &Path,
    errors: &mut Vec<ConfigError>,
) -> Option<PluginRef> {
    let value = uses.get_ref();
    if value == APPROVAL_GATE {
        return Some(PluginRef::Approval);
    }
    if let Some(builtin) = value.strip_prefix("builtin:") {
        if KNOWN_BUILTINS.contains(&builtin) {
            return Some(PluginRef::Builtin(builtin.to_string()));
        }
        let known: Vec<String> = KNOWN_BUILTINS
            .iter()
            .map(|b| format!("builtin:{b}"))
            .collect();
        errors.push(source.error(
            uses.span(),
            format!(
                "unknown builtin plugin \"{value}\"; known builtins are: {}",
                known.join(", ")
            ),
        ));
        None
    } else if value.ends_with(".wasm") {
        let file = root.join(value);
        if file.is_file() {
            Some(PluginRef::File(file))
        } else {
            errors.push(source.error(
                uses.span(),
                format!(
                    "plugin file \"{value}\" does not exist; build it or fix the path \
                     (relative to the directory of the config file)"
                ),
            ));
            None
        }
    } else if is_bundle_path(value) {
        if root.join(value).exists() {
            Some(PluginRef::Bundle(value.to_string()))
        } else {
            errors.push(source.error(
                uses.span(),
                format!(
                    "plugin bundle \"{value}\" does not exist; give the path of an OCI image \
                     layout (a directory or a .tar, as `seamless plugin pack` writes it), \
                     relative to the directory of the config file"
                ),
            ));
            None
        }
    } else if let Err(why) = check_oci_reference(value) {
        errors.push(source.error(
            uses.span(),
            format!(
                "invalid `uses` value \"{value}\": {why}; expected \"builtin:<name>\", \
                 \"{APPROVAL_GATE}\", the path of a .wasm component or of a plugin bundle, or an \
                 OCI reference such as \"ghcr.io/acme/lint:1.0\" or \"ghcr.io/acme/lint@sha256:...\""
            ),
        ));
        None
    } else {
        Some(PluginRef::Bundle(value.to_string()))
    }
}

/// Whether `uses` names a bundle on disk rather than in a registry.
fn is_bundle_path(value: &str) -> bool {
    value.starts_with("./")
        || value.starts_with("../")
        || value.starts_with('/')
        || value.ends_with(".tar")
}

/// Checks the shape of an OCI reference: `registry/repository` and a `:tag` or an
/// `@sha256:` digest. The registry must be explicit (no Docker Hub default).
fn check_oci_reference(value: &str) -> Result<(), String> {
    if let Some((scheme, _)) = value.split_once("://") {
        return Err(format!(
            "an OCI reference has no scheme; drop \"{scheme}://\" (write registry/repository:tag)"
        ));
    }
    let (name, digest) = match value.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (value, None),
    };
    let Some((registry, rest)) = name.split_once('/') else {
        return Err("it names no registry".into());
    };
    if !(registry.contains('.') || registry.contains(':') || registry == "localhost") {
        return Err(format!(
            "\"{registry}\" is not a registry host (give one such as ghcr.io or 127.0.0.1:5001)"
        ));
    }
    let (repository, tag) = match rest.rsplit_once(':') {
        Some((repo, tag)) => (repo, Some(tag)),
        None => (rest, None),
    };
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' | b'/'))
    };
    if !name_ok(repository) {
        return Err(format!(
            "repository \"{repository}\" must be lower-case letters, digits and . _ - /"
        ));
    }
    if let Some(tag) = tag
        && (tag.is_empty()
            || tag.len() > 128
            || !tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')))
    {
        return Err(format!("tag \"{tag}\" is not a valid tag"));
    }
    match digest {
        Some(d) => {
            let hex = d.strip_prefix("sha256:").unwrap_or("");
            if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(format!(
                    "\"{d}\" is not a sha256 digest (sha256: and 64 hex digits)"
                ));
            }
            Ok(())
        }
        None if tag.is_none() => Err("it has neither a :tag nor an @sha256: digest".into()),
        None => Ok(()),
    }
}

fn validate_grants(
    raw: Option<&RawGrants>,
    source: Source<'_>,
    secrets: &BTreeMap<String, SecretSource>,
    errors: &mut Vec<ConfigError>,
) -> Grants {
    let Some(raw) = raw else {
        return Grants::default();
    };
    let mut granted = BTreeSet::new();
    for secret in &raw.secrets {
        let name = secret.get_ref();
        if !secrets.contains_key(name) {
            let declared = if secrets.is_empty() {
                "none are declared".to_string()
            } else {
                let names: Vec<&str> = secrets.keys().map(String::as_str).collect();
                format!("declared secrets are: {}", names.join(", "))
            };
            errors.push(source.error(
                secret.span(),
                format!(
                    "secret '{name}' is not declared; add a [secrets.{name}] table with \
                     `from-env` or `from-file` ({declared})"
                ),
            ));
        } else if !granted.insert(name.clone()) {
            errors.push(source.error(
                secret.span(),
                format!("secret '{name}' is granted twice; list it once"),
            ));
        }
    }
    let mut deploy = BTreeSet::new();
    for env in &raw.deploy {
        if let Err(message) = check_name("environment", env.get_ref()) {
            errors.push(source.error(env.span(), message));
        } else if !deploy.insert(env.get_ref().clone()) {
            errors.push(source.error(
                env.span(),
                format!(
                    "environment '{}' is granted twice; list it once",
                    env.get_ref()
                ),
            ));
        }
    }
    let mut http = BTreeSet::new();
    for host in &raw.http {
        match check_http_grant(host.get_ref()) {
            Ok(value) => {
                http.insert(value);
            }
            Err(message) => errors.push(source.error(host.span(), message)),
        }
    }
    Grants {
        containers: raw.containers,
        images: raw.images,
        secrets: granted,
        workspace_write: raw.workspace_write,
        networks: raw.networks,
        deploy,
        http,
    }
}

fn validate_limits(
    raw: Option<&RawLimits>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Limits {
    let mut limits = Limits::default();
    let Some(raw) = raw else {
        return limits;
    };
    if let Some(memory) = &raw.memory_mib {
        let mib = *memory.get_ref();
        match u64::try_from(mib) {
            Ok(mib) if (1..=Limits::MAX_MEMORY_MIB).contains(&mib) => {
                limits.memory_bytes = mib * 1024 * 1024;
            }
            _ => errors.push(source.error(
                memory.span(),
                format!(
                    "memory-mib = {mib} is out of range; expected 1 to {} (MiB)",
                    Limits::MAX_MEMORY_MIB
                ),
            )),
        }
    }
    if let Some(timeout) = &raw.timeout {
        match parse_duration(timeout.get_ref()) {
            Ok(Duration::ZERO) => errors.push(source.error(
                timeout.span(),
                format!("timeout \"{}\" must be longer than zero", timeout.get_ref()),
            )),
            Ok(duration) if duration > Limits::MAX_TIMEOUT => errors.push(source.error(
                timeout.span(),
                format!(
                    "timeout \"{}\" is longer than the maximum of 24h",
                    timeout.get_ref()
                ),
            )),
            Ok(duration) => limits.timeout = duration,
            Err(error) => errors.push(source.error(timeout.span(), format!("timeout: {error}"))),
        }
    }
    validate_container_size(raw, &mut limits, source, errors);
    limits
}

/// `container-cpu` (Fargate CPU units) and `container-memory-mib` (at least 128), and
/// together a size Fargate offers.
fn validate_container_size(
    raw: &RawLimits,
    limits: &mut Limits,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) {
    use crate::config::ecs::{EcsKey, check_task_size};
    if let Some(cpu) = &raw.container_cpu {
        let value = *cpu.get_ref();
        match u32::try_from(value) {
            Ok(units) if EcsKey::Cpu.check(&units.to_string()).is_ok() => {
                limits.container_cpu = Some(units);
            }
            _ => errors.push(source.error(
                cpu.span(),
                format!(
                    "container-cpu = {value} is not a container size; give CPU units \
                     (1024 = one vCPU), one of 256, 512, 1024, 2048, 4096, 8192, 16384"
                ),
            )),
        }
    }
    if let Some(memory) = &raw.container_memory_mib {
        let value = *memory.get_ref();
        match u32::try_from(value) {
            Ok(mib) if (128..=122_880).contains(&mib) => limits.container_memory_mib = Some(mib),
            _ => errors.push(source.error(
                memory.span(),
                format!(
                    "container-memory-mib = {value} is out of range; expected 128 to 122880 (MiB)"
                ),
            )),
        }
    }
    if let (Some(cpu), Some(mib), Some(memory)) = (
        limits.container_cpu,
        limits.container_memory_mib,
        &raw.container_memory_mib,
    ) && let Err(message) = check_task_size(cpu, mib)
    {
        let message = message
            .replace("memory-mib", "container-memory-mib")
            .replace("with cpu", "with container-cpu");
        errors.push(source.error(memory.span(), message));
    }
}

fn validate_with(
    raw: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> BTreeMap<String, String> {
    let mut with = BTreeMap::new();
    for (key, value) in raw {
        let rendered = match value.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                errors.push(source.error(
                    value.span(),
                    format!(
                        "value of `with.{}` must be a string, integer or boolean, not {}",
                        key.get_ref(),
                        other.type_str()
                    ),
                ));
                continue;
            }
        };
        with.insert(key.get_ref().clone(), rendered);
    }
    with
}
