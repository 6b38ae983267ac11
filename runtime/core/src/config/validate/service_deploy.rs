//! The deploy side of a `[[service]]`: its port, health path, switches, environment
//! variables and `[service.targets.ENV]`.

use std::collections::BTreeMap;

use toml::Spanned;

use super::super::error::ConfigError;
use super::super::location::Source;
use super::super::model::{EcsTarget, Target};
use super::super::schema::{RawService, RawTarget};
use super::check_name;

/// Default health check path.
const DEFAULT_HEALTH: &str = "/health";
/// Most replicas a target may ask for.
const MAX_REPLICAS: u32 = 16;

/// What a service says about deploying it.
pub(crate) struct DeploySettings {
    pub port: Option<u16>,
    pub health: String,
    pub auto_deploy: bool,
    pub on_pull_request: bool,
    pub on_push: bool,
    pub env: BTreeMap<String, String>,
    pub targets: BTreeMap<String, Target>,
}

/// Checks the deploy keys of `service`.
pub(crate) fn deploy_settings(
    service: &RawService,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> DeploySettings {
    let name = service.name.get_ref();
    let port = service
        .port
        .as_ref()
        .and_then(|p| port(p, "port", source, errors));
    let health = match &service.health {
        Some(h) if h.get_ref().starts_with('/') && !h.get_ref().contains(char::is_whitespace) => {
            h.get_ref().clone()
        }
        Some(h) => {
            errors.push(source.error(
                h.span(),
                format!(
                    "invalid health path \"{}\"; give an HTTP path starting with '/', like \"/health\"",
                    h.get_ref()
                ),
            ));
            DEFAULT_HEALTH.to_string()
        }
        None => DEFAULT_HEALTH.to_string(),
    };
    let env = env_table(&service.env, source, errors);

    let mut targets = BTreeMap::new();
    let mut public_ports: BTreeMap<u16, String> = BTreeMap::new();
    for (environment, raw_target) in &service.targets {
        if let Err(message) = check_name("environment", environment.get_ref()) {
            errors.push(source.error(environment.span(), message));
        }
        if service.port.is_none() {
            errors.push(source.error(
                environment.span(),
                format!(
                    "service '{name}' has a '{}' target but no `port`; set `port = <the port \
                     the service listens on in its container>` in its [[service]] table",
                    environment.get_ref()
                ),
            ));
        }
        if let Some(target) = self::target(raw_target.get_ref(), source, errors) {
            // An ECS target's port is its load balancer's; environments may share one.
            let local = target.ecs.is_none();
            if let Some(other) = public_ports.get(&target.port).filter(|_| local) {
                errors.push(source.error(
                    raw_target.get_ref().port.span(),
                    format!(
                        "port {} of target '{}' is already used by target '{other}' of service \
                         '{name}'; give each environment its own port",
                        target.port,
                        environment.get_ref()
                    ),
                ));
            } else if local {
                public_ports.insert(target.port, environment.get_ref().clone());
            }
            targets.insert(environment.get_ref().clone(), target);
        }
    }
    DeploySettings {
        port,
        health,
        auto_deploy: flag(&service.auto_deploy, false),
        on_pull_request: flag(&service.pull_request, true),
        on_push: flag(&service.push, true),
        env,
        targets,
    }
}

fn flag(value: &Option<Spanned<bool>>, default: bool) -> bool {
    value.as_ref().map_or(default, |v| *v.get_ref())
}

fn target(raw: &RawTarget, source: Source<'_>, errors: &mut Vec<ConfigError>) -> Option<Target> {
    let port = port(&raw.port, "port", source, errors);
    let bind = match &raw.bind {
        Some(bind) if bind.get_ref().parse::<std::net::IpAddr>().is_ok() => bind.get_ref().clone(),
        Some(bind) => {
            errors.push(source.error(
                bind.span(),
                format!(
                    "invalid bind address \"{}\"; give an IP address such as \"127.0.0.1\" or \"0.0.0.0\"",
                    bind.get_ref()
                ),
            ));
            String::new()
        }
        None => "127.0.0.1".to_string(),
    };
    let replicas = match &raw.replicas {
        Some(r) => match u32::try_from(*r.get_ref()) {
            Ok(n) if (1..=MAX_REPLICAS).contains(&n) => n,
            _ => {
                errors.push(source.error(
                    r.span(),
                    format!(
                        "replicas = {} is out of range; expected 1 to {MAX_REPLICAS}",
                        r.get_ref()
                    ),
                ));
                1
            }
        },
        None => 1,
    };
    let env = env_table(&raw.env, source, errors);
    let ecs = ecs_target(raw, source, errors);
    Some(Target {
        port: port?,
        bind,
        replicas,
        env,
        ecs,
    })
}

/// The ECS keys of a target: `ecs-service`, and `ecs-cluster`, `target-group` and
/// `health-url`, which only go with it.
fn ecs_target(
    raw: &RawTarget,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<EcsTarget> {
    let mut checked = |value: &Option<Spanned<String>>, key: EcsTargetKey| {
        let value = value.as_ref()?;
        match key.check(value.get_ref()) {
            Ok(()) => Some(value.get_ref().clone()),
            Err(message) => {
                errors.push(source.error(value.span(), message));
                None
            }
        }
    };
    let service = checked(&raw.ecs_service, EcsTargetKey::Service);
    let cluster = checked(&raw.ecs_cluster, EcsTargetKey::Cluster);
    let target_group = checked(&raw.target_group, EcsTargetKey::TargetGroup);
    let health_url = checked(&raw.health_url, EcsTargetKey::HealthUrl);
    if raw.ecs_service.is_none() {
        for (value, key) in [
            (&raw.ecs_cluster, "ecs-cluster"),
            (&raw.target_group, "target-group"),
            (&raw.health_url, "health-url"),
        ] {
            if let Some(value) = value {
                errors.push(source.error(
                    value.span(),
                    format!(
                        "`{key}` only goes with `ecs-service`; name the ECS service this \
                         environment runs on with `ecs-service = \"...\"`, or remove `{key}`"
                    ),
                ));
            }
        }
    }
    Some(EcsTarget {
        service: service?,
        cluster,
        target_group,
        health_url,
    })
}

/// A key of an ECS target.
#[derive(Debug, Clone, Copy)]
enum EcsTargetKey {
    Service,
    Cluster,
    TargetGroup,
    HealthUrl,
}

impl EcsTargetKey {
    fn check(self, value: &str) -> Result<(), String> {
        let name = |v: &str| {
            !v.is_empty()
                && v.len() <= 255
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        let (ok, key, expected) = match self {
            EcsTargetKey::Service => (
                name(value),
                "ecs-service",
                "an ECS service name of letters, digits, - and _ such as \"gateway\"",
            ),
            EcsTargetKey::Cluster => (
                name(value) || value.starts_with("arn:aws") && value.contains(":cluster/"),
                "ecs-cluster",
                "a cluster name or ARN such as \"seamless\"",
            ),
            EcsTargetKey::TargetGroup => (
                value.starts_with("arn:aws")
                    && value.contains(":elasticloadbalancing:")
                    && value.contains(":targetgroup/"),
                "target-group",
                "a target group ARN such as \"arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gateway/0123456789abcdef\"",
            ),
            EcsTargetKey::HealthUrl => (
                (value.starts_with("http://") || value.starts_with("https://"))
                    && !value.contains(char::is_whitespace),
                "health-url",
                "an http:// or https:// URL such as \"https://gateway.example.com/health\"",
            ),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("invalid {key} \"{value}\"; expected {expected}"))
        }
    }
}

fn port(
    value: &Spanned<i64>,
    key: &str,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<u16> {
    match u16::try_from(*value.get_ref()) {
        Ok(p) if p > 0 => Some(p),
        _ => {
            errors.push(source.error(
                value.span(),
                format!(
                    "{key} = {} is out of range; expected a TCP port from 1 to 65535",
                    value.get_ref()
                ),
            ));
            None
        }
    }
}

fn env_table(
    raw: &BTreeMap<Spanned<String>, Spanned<String>>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for (key, value) in raw {
        let k = key.get_ref();
        let valid = k
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            errors.push(source.error(
                key.span(),
                format!(
                    "invalid environment variable name \"{k}\"; use letters, digits and '_', not starting with a digit"
                ),
            ));
            continue;
        }
        env.insert(k.clone(), value.get_ref().clone());
    }
    env
}
