//! Bridge networks: created once per name, joined under aliases, removed together with
//! what is still attached.
//!
//! The engine (API 1.41 without `CheckDuplicate`) accepts two networks of one name, and
//! then refuses to resolve that name. `create` therefore looks the name up first, under a
//! lock for this process, and after creating it keeps only one network of that name
//! (the smallest id, so that racing processes keep the same one).

use crate::errors::{BACKEND, backend, is_not_found};
use crate::inspect::label_filter;
use bollard::Docker;
use bollard::errors::Error;
use bollard::models::{
    EndpointSettings, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest,
};
use bollard::query_parameters::ListNetworksOptionsBuilder;
use seamless_host_api::{HostError, NetworkHandle, NetworkSpec};
use std::collections::{BTreeMap, HashMap};
use tokio::sync::Mutex;

/// Serialises look-up-then-create within this process.
static CREATE_LOCK: Mutex<()> = Mutex::const_new(());

/// Creates a bridge network with `spec`'s name and labels, or returns the one of that
/// name that exists (its labels are left as they are: the engine cannot relabel).
pub(crate) async fn create(docker: &Docker, spec: NetworkSpec) -> Result<NetworkHandle, HostError> {
    check_name(&spec.name)?;
    let _guard = CREATE_LOCK.lock().await;
    if let Some(existing) = by_name(docker, &spec.name).await?.into_iter().next() {
        return Ok(existing);
    }
    let request = NetworkCreateRequest {
        name: spec.name.clone(),
        driver: Some("bridge".to_string()),
        labels: Some(spec.labels.into_iter().collect()),
        ..Default::default()
    };
    let created = docker
        .create_network(request)
        .await
        .map_err(|err| backend(&format!("creating network '{}'", spec.name), err))?;
    // Another process may have created one of the same name meanwhile: keep one.
    let all = by_name(docker, &spec.name).await?;
    let Some(kept) = all.first().cloned() else {
        return Ok(NetworkHandle {
            id: created.id,
            name: spec.name,
        });
    };
    if kept.id != created.id {
        let _ = docker.remove_network(&created.id).await;
    }
    Ok(kept)
}

/// Removes the network `network` (id or name), disconnecting every container still on
/// it first. A network that is already gone is not an error.
pub(crate) async fn remove(docker: &Docker, network: &str) -> Result<(), HostError> {
    let ids = match docker.inspect_network(network, None).await {
        Ok(found) => found.id.into_iter().collect(),
        Err(err) if is_not_found(&err) => return Ok(()),
        // Two networks of one name: the name is ambiguous; remove both.
        Err(_) => by_name(docker, network)
            .await?
            .into_iter()
            .map(|n| n.id)
            .collect::<Vec<_>>(),
    };
    for id in ids {
        remove_by_id(docker, &id).await?;
    }
    Ok(())
}

/// Removes the networks that carry all of `labels`; returns how many were removed.
pub(crate) async fn remove_labelled(
    docker: &Docker,
    labels: &BTreeMap<String, String>,
) -> Result<usize, HostError> {
    let filters = label_filter(labels);
    let options = ListNetworksOptionsBuilder::default()
        .filters(&filters)
        .build();
    let networks = docker
        .list_networks(Some(options))
        .await
        .map_err(|err| backend("listing labelled networks", err))?;
    let mut removed = 0;
    for id in networks.into_iter().filter_map(|n| n.id) {
        remove_by_id(docker, &id).await?;
        removed += 1;
    }
    Ok(removed)
}

/// Connects container `id` to `network` under `aliases`.
pub(crate) async fn connect(
    docker: &Docker,
    network: &str,
    id: &str,
    aliases: &[String],
) -> Result<(), HostError> {
    let request = NetworkConnectRequest {
        container: id.to_string(),
        endpoint_config: Some(EndpointSettings {
            aliases: (!aliases.is_empty()).then(|| aliases.to_vec()),
            ..Default::default()
        }),
    };
    docker
        .connect_network(network, request)
        .await
        .map_err(|err| {
            if is_not_found(&err) {
                HostError::NotFound(format!("network '{network}' or container '{id}'"))
            } else {
                backend(
                    &format!("connecting container '{id}' to network '{network}'"),
                    err,
                )
            }
        })
}

/// Disconnects container `id` from `network`; one that is not connected, or a network or
/// container that is gone, is not an error.
pub(crate) async fn disconnect(
    docker: &Docker,
    network: &str,
    id: &str,
    force: bool,
) -> Result<(), HostError> {
    let request = NetworkDisconnectRequest {
        container: id.to_string(),
        force: Some(force),
    };
    match docker.disconnect_network(network, request).await {
        Ok(()) => Ok(()),
        Err(err) if is_not_found(&err) || is_not_connected(&err) => Ok(()),
        Err(err) => Err(backend(
            &format!("disconnecting container '{id}' from network '{network}'"),
            err,
        )),
    }
}

/// The networks named exactly `name` (the engine's name filter matches parts of names),
/// smallest id first.
async fn by_name(docker: &Docker, name: &str) -> Result<Vec<NetworkHandle>, HostError> {
    let filters = HashMap::from([("name", vec![name.to_string()])]);
    let options = ListNetworksOptionsBuilder::default()
        .filters(&filters)
        .build();
    let networks = docker
        .list_networks(Some(options))
        .await
        .map_err(|err| backend(&format!("looking up network '{name}'"), err))?;
    let mut found: Vec<NetworkHandle> = networks
        .into_iter()
        .filter(|n| n.name.as_deref() == Some(name))
        .filter_map(|n| {
            Some(NetworkHandle {
                id: n.id?,
                name: name.to_string(),
            })
        })
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

/// Disconnects everything from network `id`, then removes it.
async fn remove_by_id(docker: &Docker, id: &str) -> Result<(), HostError> {
    let attached = match docker.inspect_network(id, None).await {
        Ok(found) => found.containers.unwrap_or_default(),
        Err(err) if is_not_found(&err) => return Ok(()),
        Err(err) => return Err(backend(&format!("inspecting network '{id}'"), err)),
    };
    for container in attached.keys() {
        disconnect(docker, id, container, true).await?;
    }
    match docker.remove_network(id).await {
        Ok(()) => Ok(()),
        Err(err) if is_not_found(&err) => Ok(()),
        Err(err) => Err(backend(&format!("removing network '{id}'"), err)),
    }
}

/// Whether the engine said the container is not on the network (a 500 in 20.10).
fn is_not_connected(err: &Error) -> bool {
    matches!(err, Error::DockerResponseServerError { message, .. } if message.contains("is not connected"))
}

/// Refuses names the engine would refuse, with a message that says why.
fn check_name(name: &str) -> Result<(), HostError> {
    let valid = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if valid {
        Ok(())
    } else {
        Err(HostError::Invalid(format!(
            "network name '{name}' is invalid for {BACKEND}; use letters, digits, '-', '_' and '.', starting with a letter or digit"
        )))
    }
}
