//! Switch-over: the candidate joins the deploy network under the serving alias, the
//! proxy is made sure of, and only then are the other revisions taken off the network
//! and removed. Between those steps both versions answer, so no request finds nothing.

use super::names::Target;
use super::proxy::{self, reachable_host};
use crate::{container, inspect, network};
use futures_util::future::join_all;
use seamless_host_api::{
    Candidate, CandidateSpec, ContainerSummary, HostError, LABEL_DEPLOY_REVISION, NetworkSpec,
    Serving,
};
use std::time::Duration;

/// How long a retired container may take to exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Switches `spec`'s environment over to `candidate` and returns the endpoint. On a
/// failure before the old revision is retired, the candidate is taken off the network
/// again and the serving version is left as it was.
pub(crate) async fn promote(
    docker: &bollard::Docker,
    proxy_image: &str,
    candidate: &Candidate,
    spec: &CandidateSpec,
) -> Result<String, HostError> {
    let target = Target::new(&candidate.service, &candidate.environment)?;
    if (
        spec.service.as_str(),
        spec.environment.as_str(),
        spec.revision.as_str(),
    ) != (
        candidate.service.as_str(),
        candidate.environment.as_str(),
        candidate.revision.as_str(),
    ) {
        return Err(HostError::Invalid(format!(
            "candidate {}/{}@{} does not match the spec {}/{}@{}",
            candidate.service,
            candidate.environment,
            candidate.revision,
            spec.service,
            spec.environment,
            spec.revision
        )));
    }
    let network_name = target.network();
    let mut to_connect = Vec::new();
    for handle in &candidate.containers {
        let found = inspect::inspect(docker, &handle.id).await?;
        if !found.state.running {
            return Err(HostError::Invalid(format!(
                "candidate container '{}' is not running; probe and start it again before promoting",
                handle.id
            )));
        }
        if !found.networks.contains(&network_name) {
            to_connect.push(handle.id.clone());
        }
    }
    network::create(
        docker,
        NetworkSpec {
            name: network_name.clone(),
            labels: target.labels(),
        },
    )
    .await?;
    let aliases = [target.alias()];
    let mut connected = Vec::new();
    for id in &to_connect {
        if let Err(err) = network::connect(docker, &network_name, id, &aliases).await {
            take_off(docker, &network_name, &connected).await;
            return Err(err);
        }
        connected.push(id.clone());
    }
    // Services of one environment reach each other by name on a shared network.
    let env_network = target.environment_network();
    if let Err(err) = network::create(
        docker,
        NetworkSpec {
            name: env_network.clone(),
            labels: target.environment_labels(),
        },
    )
    .await
    {
        take_off(docker, &network_name, &connected).await;
        return Err(err);
    }
    let service_aliases = [target.service_alias()];
    let mut on_env = Vec::new();
    for handle in &candidate.containers {
        let found = inspect::inspect(docker, &handle.id).await?;
        if found.networks.contains(&env_network) {
            continue;
        }
        if let Err(err) = network::connect(docker, &env_network, &handle.id, &service_aliases).await
        {
            take_off(docker, &env_network, &on_env).await;
            take_off(docker, &network_name, &connected).await;
            return Err(err);
        }
        on_env.push(handle.id.clone());
    }
    if let Err(err) = proxy::ensure(docker, &target, proxy_image, spec).await {
        take_off(docker, &env_network, &on_env).await;
        take_off(docker, &network_name, &connected).await;
        return Err(err);
    }
    let retired: Vec<ContainerSummary> = revisions(docker, &target)
        .await?
        .into_iter()
        .filter(|c| c.labels.get(LABEL_DEPLOY_REVISION) != Some(&candidate.revision))
        .collect();
    for old in &retired {
        network::disconnect(docker, &network_name, &old.handle.id, true).await?;
        network::disconnect(docker, &env_network, &old.handle.id, true).await?;
    }
    let stops = retired
        .iter()
        .map(|old| container::stop_and_remove(docker, &old.handle.id, STOP_GRACE));
    for result in join_all(stops).await {
        result?;
    }
    Ok(endpoint(&spec.bind_ip, spec.public_port))
}

/// The revision on the deploy network (the newest, mid-switch), and the proxy's
/// endpoint; `None` when either is missing.
pub(crate) async fn serving(
    docker: &bollard::Docker,
    service: &str,
    environment: &str,
) -> Result<Option<Serving>, HostError> {
    let target = Target::new(service, environment)?;
    let network_name = target.network();
    let mut live = None;
    for summary in revisions(docker, &target).await?.into_iter().rev() {
        if let Some(found) = inspect::find(docker, &summary.handle.id).await?
            && found.networks.contains(&network_name)
        {
            live = Some((summary, found.state.image));
            break;
        }
    }
    let Some((summary, image)) = live else {
        return Ok(None);
    };
    let Some(proxy) = inspect::find(docker, &target.proxy()).await? else {
        return Ok(None);
    };
    let Some((_, host_ip, host_port)) = proxy.state.published.first() else {
        return Ok(None);
    };
    Ok(Some(Serving {
        revision: summary
            .labels
            .get(LABEL_DEPLOY_REVISION)
            .cloned()
            .unwrap_or_default(),
        image,
        endpoint: endpoint(host_ip, *host_port),
    }))
}

/// The containers of every revision of `target` (not the proxy), oldest first.
async fn revisions(
    docker: &bollard::Docker,
    target: &Target,
) -> Result<Vec<ContainerSummary>, HostError> {
    Ok(inspect::list_labelled(docker, &target.labels())
        .await?
        .into_iter()
        .filter(|c| c.labels.contains_key(LABEL_DEPLOY_REVISION))
        .collect())
}

/// Takes the containers `ids` off the network again after a failed promote.
async fn take_off(docker: &bollard::Docker, network_name: &str, ids: &[String]) {
    for id in ids {
        if let Err(err) = network::disconnect(docker, network_name, id, true).await {
            tracing::warn!(container = %id, error = %err, "could not take a candidate off the deploy network");
        }
    }
}

/// The URL of a port bound on `ip`, as reached from this machine.
fn endpoint(ip: &str, port: u16) -> String {
    let host = reachable_host(ip);
    if host.contains(':') {
        format!("http://[{host}]:{port}")
    } else {
        format!("http://{host}:{port}")
    }
}
