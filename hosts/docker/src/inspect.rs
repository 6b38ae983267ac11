//! Reads containers back from the engine: one container's state, or those carrying
//! given labels.

use crate::errors::{backend, is_not_found};
use bollard::Docker;
use bollard::models::{
    ContainerInspectResponse, ContainerStateStatusEnum, ContainerSummaryStateEnum,
    HealthStatusEnum, PortMap,
};
use bollard::query_parameters::ListContainersOptionsBuilder;
use seamless_host_api::{ContainerHandle, ContainerState, ContainerSummary, Health, HostError};
use std::collections::{BTreeMap, HashMap};

/// The engine's filter for things that carry all of `labels`.
pub(crate) fn label_filter(labels: &BTreeMap<String, String>) -> HashMap<String, Vec<String>> {
    let wanted = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    HashMap::from([("label".to_string(), wanted)])
}

/// A container as the deploy side needs it: its state and every network it joined,
/// even while it is stopped and has no address.
#[derive(Debug)]
pub(crate) struct Inspected {
    /// Its state, as [`ContainerHost::inspect`](seamless_host_api::ContainerHost::inspect)
    /// reports it.
    pub(crate) state: ContainerState,
    /// The names of the networks it joined.
    pub(crate) networks: Vec<String>,
}

/// Container `id` (an id or a name); [`HostError::NotFound`] when it does not exist.
pub(crate) async fn inspect(docker: &Docker, id: &str) -> Result<Inspected, HostError> {
    let response = docker.inspect_container(id, None).await.map_err(|err| {
        if is_not_found(&err) {
            HostError::NotFound(format!("container '{id}'"))
        } else {
            backend(&format!("inspecting container '{id}'"), err)
        }
    })?;
    Ok(convert(response))
}

/// Like [`inspect`], but `None` for a container that does not exist.
pub(crate) async fn find(docker: &Docker, id: &str) -> Result<Option<Inspected>, HostError> {
    match inspect(docker, id).await {
        Ok(found) => Ok(Some(found)),
        Err(HostError::NotFound(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Converts the engine's inspect response.
fn convert(response: ContainerInspectResponse) -> Inspected {
    let state = response.state.unwrap_or_default();
    let running = state.running.unwrap_or(false);
    let finished = matches!(
        state.status,
        Some(ContainerStateStatusEnum::EXITED | ContainerStateStatusEnum::DEAD)
    );
    let health = match state.health.and_then(|h| h.status) {
        Some(HealthStatusEnum::STARTING) => Health::Starting,
        Some(HealthStatusEnum::HEALTHY) => Health::Healthy,
        Some(HealthStatusEnum::UNHEALTHY) => Health::Unhealthy,
        _ => Health::None,
    };
    let settings = response.network_settings.unwrap_or_default();
    let endpoints = settings.networks.unwrap_or_default();
    let mut networks: Vec<String> = endpoints.keys().cloned().collect();
    networks.sort();
    let addresses = endpoints
        .into_iter()
        .filter_map(|(name, endpoint)| {
            endpoint
                .ip_address
                .filter(|ip| !ip.is_empty())
                .map(|ip| (name, ip))
        })
        .collect();
    let config = response.config.unwrap_or_default();
    let state = ContainerState {
        running,
        exit_code: (finished && !running).then(|| state.exit_code.unwrap_or(-1)),
        health,
        published: published(settings.ports.unwrap_or_default()),
        addresses,
        labels: config.labels.unwrap_or_default().into_iter().collect(),
        image: config.image.or(response.image).unwrap_or_default(),
    };
    Inspected { state, networks }
}

/// Published ports as (container port, host ip, host port), TCP only, sorted.
fn published(ports: PortMap) -> Vec<(u16, String, u16)> {
    let mut out = Vec::new();
    for (key, bindings) in ports {
        let Some(port) = key.strip_suffix("/tcp").and_then(|p| p.parse::<u16>().ok()) else {
            continue;
        };
        for binding in bindings.unwrap_or_default() {
            let host_port = binding.host_port.and_then(|p| p.parse::<u16>().ok());
            if let Some(host_port) = host_port {
                out.push((port, binding.host_ip.unwrap_or_default(), host_port));
            }
        }
    }
    out.sort();
    out
}

/// The containers, running or not, that carry all of `labels`, oldest first.
pub(crate) async fn list_labelled(
    docker: &Docker,
    labels: &BTreeMap<String, String>,
) -> Result<Vec<ContainerSummary>, HostError> {
    let filters = label_filter(labels);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let mut containers = docker
        .list_containers(Some(options))
        .await
        .map_err(|err| backend("listing labelled containers", err))?;
    containers.sort_by_key(|c| c.created.unwrap_or_default());
    Ok(containers
        .into_iter()
        .filter_map(|c| {
            let id = c.id?;
            let name = c
                .names
                .unwrap_or_default()
                .first()
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default();
            Some(ContainerSummary {
                handle: ContainerHandle { id },
                name,
                labels: c.labels.unwrap_or_default().into_iter().collect(),
                running: c.state == Some(ContainerSummaryStateEnum::RUNNING),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::PortBinding;

    #[test]
    fn only_tcp_ports_with_a_host_port_are_reported() {
        let ports: PortMap = HashMap::from([
            (
                "8000/tcp".to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".to_string()),
                    host_port: Some("49153".to_string()),
                }]),
            ),
            ("9000/tcp".to_string(), None),
            ("53/udp".to_string(), Some(vec![PortBinding::default()])),
        ]);
        assert_eq!(
            published(ports),
            vec![(8000, "127.0.0.1".to_string(), 49153)]
        );
    }
}
