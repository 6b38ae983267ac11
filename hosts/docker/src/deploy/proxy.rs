//! The proxy container that owns an environment's public port.
//!
//! It runs `proxy.py` (Python's asyncio, in the `seamless/debian` image): each accepted
//! connection resolves `live-<service>` afresh through Docker's DNS, so connecting and
//! disconnecting containers under that alias switches traffic without touching the
//! proxy. A backend connection that fails is retried at once on a fresh resolution.
//! That is why it is not `socat`, which was the first choice: socat resolves once per
//! connection and, when the address it got had just left the network (an old replica
//! being retired) or the first SYN to a replica that had just joined was lost, the
//! request stalled for a second or five and sometimes failed.

use super::names::{LABEL_DEPLOY_ROLE, LABEL_PROXY_SPEC, Target};
use super::probe;
use crate::errors::BACKEND;
use crate::{container, image, inspect, registry};
use seamless_host_api::{
    CandidateSpec, ContainerSpec, HostError, LogSink, NetworkAttachment, PortBinding,
};
use std::sync::Arc;
use std::time::Duration;

/// How long a new proxy may take to forward its first request.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// The proxy program, run with `python3 -c`.
const PROXY_PY: &str = include_str!("proxy.py");
/// Changes when `proxy.py` changes, so running proxies get replaced.
const PROXY_VERSION: &str = "py2";

/// Makes sure the proxy of `target` runs with `image` and publishes
/// `bind_ip:public_port`, forwarding to `container_port` on the deploy network. A proxy
/// created for other values, stopped, or off the network is replaced. When it is new,
/// waits until a request through it gets an answer.
pub(crate) async fn ensure(
    docker: &bollard::Docker,
    target: &Target,
    image_ref: &str,
    spec: &CandidateSpec,
) -> Result<(), HostError> {
    let name = target.proxy();
    let wanted = spec_label(image_ref, spec, target);
    if let Some(found) = inspect::find(docker, &name).await? {
        let same = found.state.labels.get(LABEL_PROXY_SPEC) == Some(&wanted)
            && found.state.published.iter().any(|(port, ip, host_port)| {
                *port == spec.container_port
                    && *ip == spec.bind_ip
                    && *host_port == spec.public_port
            });
        let on_network = found.networks.contains(&target.network());
        if same && on_network && found.state.running {
            return Ok(());
        }
        tracing::info!(proxy = %name, "replacing the deploy proxy: its port, target or image changed, or it stopped or left its network");
        container::remove(docker, &name).await?;
    }
    ensure_image(docker, image_ref).await?;
    let mut labels = target.labels();
    labels.insert(LABEL_DEPLOY_ROLE.to_string(), "proxy".to_string());
    labels.insert(LABEL_PROXY_SPEC.to_string(), wanted);
    let port = spec.container_port;
    let proxy = ContainerSpec {
        image: image_ref.to_string(),
        command: vec![
            "python3".to_string(),
            "-u".to_string(),
            "-c".to_string(),
            PROXY_PY.to_string(),
            port.to_string(),
            target.alias(),
            port.to_string(),
        ],
        labels,
        network: Some(NetworkAttachment {
            network: target.network(),
            aliases: Vec::new(),
        }),
        ports: vec![PortBinding {
            container_port: port,
            host_ip: spec.bind_ip.clone(),
            host_port: Some(spec.public_port),
        }],
        restart: true,
        name: Some(name.clone()),
        ..ContainerSpec::default()
    };
    container::start_detached(docker, &proxy).await?;
    let host = reachable_host(&spec.bind_ip);
    probe::status(host, spec.public_port, "/", READY_TIMEOUT)
        .await
        .map_err(|err| HostError::Backend {
            backend: BACKEND,
            message: format!("deploy proxy '{name}' does not forward requests: {err}"),
        })?;
    Ok(())
}

/// Where to reach a port bound on `bind_ip` from this machine.
pub(crate) fn reachable_host(bind_ip: &str) -> &str {
    match bind_ip {
        "0.0.0.0" => "127.0.0.1",
        "::" => "::1",
        other => other,
    }
}

/// What the proxy was created for, kept as a label to notice a change.
fn spec_label(image_ref: &str, spec: &CandidateSpec, target: &Target) -> String {
    format!(
        "{PROXY_VERSION} {image_ref} {}:{} -> {}:{}",
        spec.bind_ip,
        spec.public_port,
        target.alias(),
        spec.container_port
    )
}

/// Pulls the proxy image if it is missing, with a hint when that fails.
async fn ensure_image(docker: &bollard::Docker, image_ref: &str) -> Result<(), HostError> {
    if image::exists(docker, image_ref).await? {
        return Ok(());
    }
    let logs: LogSink = Arc::new(|_, line: &str| tracing::debug!(line, "proxy image pull"));
    registry::ensure(docker, image_ref, logs)
        .await
        .map_err(|err| HostError::Backend {
            backend: BACKEND,
            message: format!(
                "the deploy proxy needs image '{image_ref}' (with python3): {err}; build it with scripts/base-images.sh or choose another proxy image"
            ),
        })
}
