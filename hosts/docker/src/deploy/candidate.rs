//! Candidates: the containers of a new revision, started beside the serving one,
//! probed on their own published ports, and removed again if they are not promoted.
//!
//! A candidate is never on the deploy network, so it cannot take traffic, and removing
//! it cannot disturb the serving version.

use super::names::{Target, network_of};
use super::probe;
use crate::errors::BACKEND;
use crate::{container, inspect, registry};
use futures_util::future::join_all;
use seamless_host_api::{
    Candidate, CandidateSpec, ContainerHandle, ContainerSpec, HostError, LABEL_COMMIT,
    LABEL_DEPLOY_REVISION, LABEL_DEPLOY_RUN, LogSink, LogStream, PortBinding,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// The most replicas one candidate may ask for.
const MAX_REPLICAS: u32 = 64;
/// The address candidates publish their port on, for probing.
const PROBE_HOST: &str = "127.0.0.1";

/// Pulls the image if needed and starts `spec.replicas` containers of the revision.
pub(crate) async fn start(
    docker: &bollard::Docker,
    spec: &CandidateSpec,
    logs: LogSink,
) -> Result<Candidate, HostError> {
    let target = check(spec)?;
    registry::ensure(docker, &spec.image, logs.clone()).await?;
    let mut labels = target.labels();
    labels.insert(LABEL_DEPLOY_REVISION.to_string(), spec.revision.clone());
    labels.insert(LABEL_DEPLOY_RUN.to_string(), spec.run_id.clone());
    labels.insert(LABEL_COMMIT.to_string(), spec.commit.clone());
    let mut started: Vec<ContainerHandle> = Vec::new();
    for index in 0..spec.replicas {
        let name = target.replica(&spec.revision, index);
        let replica = ContainerSpec {
            image: spec.image.clone(),
            env: spec.env.clone(),
            labels: labels.clone(),
            ports: vec![PortBinding {
                container_port: spec.container_port,
                host_ip: PROBE_HOST.to_string(),
                host_port: None,
            }],
            restart: true,
            name: Some(name.clone()),
            ..ContainerSpec::default()
        };
        let result = match clear_leftover(docker, &target, &name).await {
            Ok(()) => container::start_detached(docker, &replica).await,
            Err(err) => Err(err),
        };
        match result {
            Ok(id) => {
                logs(
                    LogStream::Stdout,
                    &format!("started {name} ({})", spec.image),
                );
                started.push(ContainerHandle { id });
            }
            Err(err) => {
                for handle in &started {
                    let _ = container::remove(docker, &handle.id).await;
                }
                return Err(err);
            }
        }
    }
    Ok(Candidate {
        service: spec.service.clone(),
        environment: spec.environment.clone(),
        revision: spec.revision.clone(),
        containers: started,
    })
}

/// GETs `path` on every replica at once; the worst (highest) status, or an error
/// naming the first replica that did not answer.
pub(crate) async fn probe(
    docker: &bollard::Docker,
    candidate: &Candidate,
    path: &str,
    timeout: Duration,
) -> Result<u16, HostError> {
    if candidate.containers.is_empty() {
        return Err(HostError::Invalid(format!(
            "candidate {} of '{}' has no containers to probe",
            candidate.revision, candidate.service
        )));
    }
    let probes = candidate
        .containers
        .iter()
        .map(|handle| probe_one(docker, &handle.id, path, timeout));
    let mut worst = 0;
    for result in join_all(probes).await {
        worst = worst.max(result?);
    }
    Ok(worst)
}

/// Stops and removes the candidate's containers. A candidate that serves (is on the
/// deploy network) is refused, so the serving version is never removed by mistake.
pub(crate) async fn discard(
    docker: &bollard::Docker,
    candidate: &Candidate,
) -> Result<(), HostError> {
    let target = Target::new(&candidate.service, &candidate.environment)?;
    let network = target.network();
    for handle in &candidate.containers {
        if let Some(found) = inspect::find(docker, &handle.id).await?
            && found.networks.contains(&network)
        {
            return Err(HostError::Invalid(format!(
                "revision {} of '{}' serves {}; it cannot be discarded, promote another revision instead",
                candidate.revision, candidate.service, candidate.environment
            )));
        }
    }
    for handle in &candidate.containers {
        container::remove(docker, &handle.id).await?;
    }
    Ok(())
}

/// Removes the containers `run_id` started that are not on their deploy network.
pub(crate) async fn remove_unpromoted(
    docker: &bollard::Docker,
    run_id: &str,
) -> Result<usize, HostError> {
    if run_id.is_empty() {
        return Err(HostError::Invalid("run id is empty".to_string()));
    }
    let labels = BTreeMap::from([(LABEL_DEPLOY_RUN.to_string(), run_id.to_string())]);
    let mut removed = 0;
    for summary in inspect::list_labelled(docker, &labels).await? {
        let Some(found) = inspect::find(docker, &summary.handle.id).await? else {
            continue;
        };
        let promoted = network_of(&summary.labels).is_some_and(|n| found.networks.contains(&n));
        if !promoted {
            container::remove(docker, &summary.handle.id).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Probes one replica on its published port.
async fn probe_one(
    docker: &bollard::Docker,
    id: &str,
    path: &str,
    timeout: Duration,
) -> Result<u16, HostError> {
    let found = inspect::inspect(docker, id).await?.state;
    if !found.running {
        let exit = found
            .exit_code
            .map_or_else(|| "not started".to_string(), |c| format!("exit code {c}"));
        return Err(HostError::Backend {
            backend: BACKEND,
            message: format!(
                "candidate container '{id}' is not running ({exit}); see `docker logs {id}`"
            ),
        });
    }
    let Some((_, _, port)) = found.published.iter().find(|(_, ip, _)| ip == PROBE_HOST) else {
        return Err(HostError::Backend {
            backend: BACKEND,
            message: format!("candidate container '{id}' publishes no port on {PROBE_HOST}"),
        });
    };
    probe::status(PROBE_HOST, *port, path, timeout)
        .await
        .map_err(|err| HostError::Backend {
            backend: BACKEND,
            message: format!("candidate container '{id}': {err}"),
        })
}

/// Removes a leftover container of the same name that does not serve; refuses when
/// it serves (the same revision is deployed again).
async fn clear_leftover(
    docker: &bollard::Docker,
    target: &Target,
    name: &str,
) -> Result<(), HostError> {
    let Some(found) = inspect::find(docker, name).await? else {
        return Ok(());
    };
    if found.networks.contains(&target.network()) {
        return Err(HostError::Invalid(format!(
            "container '{name}' of this revision already serves; deploy a new revision instead"
        )));
    }
    container::remove(docker, name).await
}

/// Checks the spec before anything is started.
fn check(spec: &CandidateSpec) -> Result<Target, HostError> {
    let target = Target::new(&spec.service, &spec.environment)?;
    let invalid = |what: String| Err(HostError::Invalid(what));
    if spec
        .revision
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .count()
        == 0
    {
        return invalid(format!(
            "revision '{}' has no letters or digits",
            spec.revision
        ));
    }
    if spec.image.trim().is_empty() {
        return invalid("candidate image is empty".to_string());
    }
    if spec.replicas == 0 || spec.replicas > MAX_REPLICAS {
        return invalid(format!(
            "replicas {} is out of range; use 1 to {MAX_REPLICAS}",
            spec.replicas
        ));
    }
    if spec.container_port == 0 || spec.public_port == 0 {
        return invalid("container and public ports must not be 0".to_string());
    }
    if spec.bind_ip.parse::<std::net::IpAddr>().is_err() {
        return invalid(format!(
            "bind address '{}' is not an IP address; use one such as '127.0.0.1'",
            spec.bind_ip
        ));
    }
    Ok(target)
}
