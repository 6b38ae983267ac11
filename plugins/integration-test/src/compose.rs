//! Reads a Compose file (with `docker-compose-types`) into a plan: which services
//! to start, in which order, from which image, and how to tell each one is ready.

use docker_compose_types::{BuildStep, Command, Compose, DependsOnOptions, Environment, Service};
use plugin_support::paths;
use seamless_sdk::containers::Healthcheck;

use crate::{health, volumes};

/// Where a service's image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// The image under test, from the build stage.
    UnderTest,
    /// Built from the workspace: a context relative to the workspace root, and a
    /// Dockerfile relative to the context.
    Build {
        /// The build context, relative to the workspace root.
        context: String,
        /// The Dockerfile, relative to the context.
        dockerfile: String,
    },
    /// Used as it is.
    Image(String),
}

/// How to tell that a started service is ready for the ones that need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Its health check passes.
    Healthy,
    /// It accepts TCP connections on this container port.
    Port(u16),
    /// It runs.
    Running,
    /// It exited 0 (a dependent asked for `service_completed_successfully`).
    Completed,
}

/// One Compose service, ready to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The Compose service name, also its host name on the network.
    pub name: String,
    /// Where its image comes from.
    pub source: ImageSource,
    /// Its environment.
    pub env: Vec<(String, String)>,
    /// Its command; empty for the image's default.
    pub command: Vec<String>,
    /// Its working directory, if the Compose file sets one (moved under
    /// `/workspace` when it is inside a bind of a workspace directory).
    pub workdir: Option<String>,
    /// Whether it binds workspace directories, so the workspace is mounted.
    pub mount_workspace: bool,
    /// Its health check.
    pub healthcheck: Option<Healthcheck>,
    /// How to tell it is ready.
    pub readiness: Readiness,
    /// The services it depends on.
    pub depends_on: Vec<String>,
}

/// What to start and run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Services to start, each after those it depends on.
    pub services: Vec<Planned>,
    /// The test service, when one decides the result.
    pub test: Option<Planned>,
    /// Things in the Compose file that are not supported and were left out.
    pub warnings: Vec<String>,
}

/// Parses Compose YAML.
pub fn parse(yaml: &str) -> Result<Compose, String> {
    serde_norway::from_str(yaml).map_err(|e| format!("it is not a valid Compose file: {e}"))
}

/// Plans `compose` (found in the workspace directory `compose_dir`): the service
/// `under_test` runs the image under test; `test_service`, if any, is held back
/// to run last. Every service without `profiles` starts, and whatever those and
/// the test service depend on.
pub fn plan(
    compose: &Compose,
    compose_dir: &str,
    under_test: &str,
    test_service: Option<&str>,
) -> Result<Plan, String> {
    let all = &compose.services.0;
    let names: Vec<&str> = all.keys().map(String::as_str).collect();
    let known = |name: &str| -> Result<(), String> {
        if all.contains_key(name) {
            Ok(())
        } else {
            Err(format!(
                "the Compose file has no service `{name}`; it has {}",
                names.join(", ")
            ))
        }
    };
    known(under_test)?;
    if let Some(test) = test_service {
        known(test)?;
        if test == under_test {
            return Err(format!(
                "`{test}` is both the service under test and the test service"
            ));
        }
    }
    let service = |name: &str| all.get(name).cloned().flatten().unwrap_or_default();
    for name in &names {
        for dep in depends_on(&service(name)) {
            if !all.contains_key(&dep) {
                return Err(format!(
                    "service `{name}` depends on `{dep}`, which the Compose file does not define"
                ));
            }
        }
    }
    let mut roots: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| service(n).profiles.is_empty() && Some(*n) != test_service)
        .collect();
    roots.push(under_test);
    roots.extend(test_service);
    let order = crate::order::start_order(&roots, |n| depends_on(&service(n)))?;

    let completes: Vec<String> = all.values().flatten().flat_map(must_complete).collect();
    let mut plan = Plan {
        services: Vec::new(),
        test: None,
        warnings: Vec::new(),
    };
    for name in order {
        let s = service(&name);
        let planned = planned(
            &name,
            &s,
            compose_dir,
            under_test,
            &completes,
            &mut plan.warnings,
        )
        .map_err(|e| format!("service `{name}`: {e}"))?;
        if Some(name.as_str()) == test_service {
            plan.test = Some(planned);
        } else {
            plan.services.push(planned);
        }
    }
    Ok(plan)
}

/// One service's plan.
fn planned(
    name: &str,
    s: &Service,
    compose_dir: &str,
    under_test: &str,
    completes: &[String],
    warnings: &mut Vec<String>,
) -> Result<Planned, String> {
    let source = if name == under_test {
        ImageSource::UnderTest
    } else if let Some(build) = &s.build_ {
        let (context, dockerfile) = match build {
            BuildStep::Simple(context) => (context.as_str(), None),
            BuildStep::Advanced(b) => (b.context.as_str(), b.dockerfile.as_deref()),
        };
        ImageSource::Build {
            context: paths::workspace_relative(compose_dir, context)?,
            dockerfile: dockerfile.unwrap_or("Dockerfile").to_owned(),
        }
    } else if let Some(image) = &s.image {
        ImageSource::Image(image.clone())
    } else {
        return Err("it has neither `image` nor `build`".to_owned());
    };
    if s.entrypoint.is_some() {
        warnings.push(format!(
            "service `{name}`: `entrypoint` is not supported; the image's entrypoint runs"
        ));
    }
    let binds = volumes::binds(&s.volumes, compose_dir, name, warnings);
    let workdir = s
        .working_dir
        .as_ref()
        .map(|dir| volumes::rewrite(dir, &binds).unwrap_or_else(|| dir.clone()));
    let healthcheck = match &s.healthcheck {
        Some(check) => health::healthcheck(check)?,
        None => None,
    };
    let readiness = if completes.iter().any(|c| c == name) {
        Readiness::Completed
    } else if healthcheck.is_some() {
        Readiness::Healthy
    } else {
        health::first_port(s)?.map_or(Readiness::Running, Readiness::Port)
    };
    Ok(Planned {
        name: name.to_owned(),
        source,
        env: environment(&s.environment, name, warnings),
        command: command(s.command.as_ref())?,
        workdir,
        mount_workspace: !binds.is_empty(),
        healthcheck,
        readiness,
        depends_on: depends_on(s),
    })
}

/// The names a service depends on.
fn depends_on(s: &Service) -> Vec<String> {
    match &s.depends_on {
        DependsOnOptions::Simple(list) => list.clone(),
        DependsOnOptions::Conditional(map) => map.keys().cloned().collect(),
    }
}

/// The dependencies a service waits to complete successfully.
fn must_complete(s: &Service) -> Vec<String> {
    match &s.depends_on {
        DependsOnOptions::Simple(_) => Vec::new(),
        DependsOnOptions::Conditional(map) => map
            .iter()
            .filter(|(_, c)| c.condition == "service_completed_successfully")
            .map(|(name, _)| name.clone())
            .collect(),
    }
}

/// `KEY=value` pairs; a variable without a value would come from the host, which
/// plugins never see, so it is left out with a warning.
fn environment(env: &Environment, name: &str, warnings: &mut Vec<String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut unset = |key: &str| {
        warnings.push(format!(
            "service `{name}`: `{key}` has no value in the Compose file and is left out"
        ));
    };
    match env {
        Environment::List(list) => {
            for item in list {
                match item.split_once('=') {
                    Some((k, v)) => out.push((k.to_owned(), v.to_owned())),
                    None => unset(item),
                }
            }
        }
        Environment::KvPair(map) => {
            for (k, v) in map {
                match v {
                    Some(v) => out.push((k.clone(), v.to_string())),
                    None => unset(k),
                }
            }
        }
    }
    out
}

/// A Compose command: a list as it is, a string split like a shell would.
fn command(cmd: Option<&Command>) -> Result<Vec<String>, String> {
    match cmd {
        None => Ok(Vec::new()),
        Some(Command::Args(args)) => Ok(args.clone()),
        Some(Command::Simple(line)) => {
            shlex::split(line).ok_or_else(|| format!("cannot split the command `{line}`"))
        }
    }
}

#[cfg(test)]
#[path = "compose_tests.rs"]
mod tests;
