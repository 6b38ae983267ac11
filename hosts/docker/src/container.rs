//! Turns a [`ContainerSpec`] into the engine's create request, and creates, starts and
//! removes containers.
//!
//! Both the stage side ([`crate::DockerHost`]) and the deploy side
//! ([`crate::DockerDeployer`]) create their containers here, so a spec field means the
//! same thing for both.

use crate::errors::{backend, is_conflict, is_not_found};
use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, Mount, MountType,
    NetworkingConfig, PortBinding as DockerPortBinding, PortMap, RestartPolicy,
    RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use seamless_host_api::{ContainerSpec, HealthCheck, HostError, PortBinding, WorkspaceMount};
use std::collections::HashMap;
use std::time::Duration;

/// The engine's create request for `spec`.
pub(crate) fn create_body(spec: &ContainerSpec) -> Result<ContainerCreateBody, HostError> {
    let mounts = spec
        .workspace
        .as_ref()
        .map(workspace_mount)
        .transpose()?
        .map(|m| vec![m]);
    let (exposed_ports, port_bindings) = ports(&spec.ports)?;
    let healthcheck = spec.healthcheck.as_ref().map(health_config).transpose()?;
    let networking_config = spec.network.as_ref().map(|attachment| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(
            attachment.network.clone(),
            EndpointSettings {
                aliases: (!attachment.aliases.is_empty()).then(|| attachment.aliases.clone()),
                ..Default::default()
            },
        )])),
    });
    Ok(ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: (!spec.command.is_empty()).then(|| spec.command.clone()),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        working_dir: spec.workdir.clone(),
        labels: Some(spec.labels.clone().into_iter().collect()),
        exposed_ports,
        healthcheck,
        host_config: Some(HostConfig {
            mounts,
            port_bindings,
            // API 1.41 joins one network at create time: the one named as network mode.
            network_mode: spec.network.as_ref().map(|n| n.network.clone()),
            restart_policy: spec.restart.then_some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                maximum_retry_count: None,
            }),
            // `[stage.limits]`: CPU units (1024 per CPU) as a CPU quota, and memory.
            nano_cpus: spec
                .cpu
                .map(|units| i64::from(units) * 1_000_000_000 / 1024),
            memory: spec.memory_mib.map(|mib| i64::from(mib) * 1024 * 1024),
            ..Default::default()
        }),
        networking_config,
        ..Default::default()
    })
}

/// The create options: the fixed name, if the spec has one.
pub(crate) fn create_options(spec: &ContainerSpec) -> Option<CreateContainerOptions> {
    spec.name
        .as_ref()
        .map(|name| CreateContainerOptionsBuilder::default().name(name).build())
}

/// Creates and starts a container whose output nobody follows (a deployed service or a
/// proxy). A container that fails to start is removed again.
pub(crate) async fn start_detached(
    docker: &Docker,
    spec: &ContainerSpec,
) -> Result<String, HostError> {
    let body = create_body(spec)?;
    let what = match &spec.name {
        Some(name) => format!("container '{name}' from '{}'", spec.image),
        None => format!("a container from '{}'", spec.image),
    };
    let created = docker
        .create_container(create_options(spec), body)
        .await
        .map_err(|err| backend(&format!("creating {what}"), err))?;
    if let Err(err) = docker.start_container(&created.id, None).await {
        let _ = remove(docker, &created.id).await;
        return Err(backend(&format!("starting {what}"), err));
    }
    Ok(created.id)
}

/// Stops a container, giving it `grace` to exit after SIGTERM, then removes it.
/// A container that is already gone is not an error.
pub(crate) async fn stop_and_remove(
    docker: &Docker,
    id: &str,
    grace: Duration,
) -> Result<(), HostError> {
    let seconds = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
    let options = StopContainerOptionsBuilder::default().t(seconds).build();
    match docker.stop_container(id, Some(options)).await {
        Ok(()) => {}
        Err(err) if is_not_found(&err) => return Ok(()),
        // 304 (already stopped) and others: removal below settles it.
        Err(err) => {
            tracing::debug!(container = %id, error = %err, "docker stop failed; removing anyway")
        }
    }
    remove(docker, id).await
}

/// Removes a container, treating "already gone" and "removal in progress" as done.
pub(crate) async fn remove(docker: &Docker, id: &str) -> Result<(), HostError> {
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(err) if is_not_found(&err) || is_conflict(&err) => Ok(()),
        Err(err) => Err(backend(&format!("removing container '{id}'"), err)),
    }
}

/// The bind mount for the workspace, with an absolute host path.
fn workspace_mount(ws: &WorkspaceMount) -> Result<Mount, HostError> {
    let source = std::path::absolute(&ws.host_path).map_err(|err| {
        HostError::Invalid(format!(
            "workspace path '{}' cannot be made absolute: {err}",
            ws.host_path.display()
        ))
    })?;
    if !ws.container_path.starts_with('/') {
        return Err(HostError::Invalid(format!(
            "workspace container path '{}' must be absolute, such as '/workspace'",
            ws.container_path
        )));
    }
    Ok(Mount {
        target: Some(ws.container_path.clone()),
        source: Some(source.display().to_string()),
        typ: Some(MountType::BIND),
        read_only: Some(ws.read_only),
        ..Default::default()
    })
}

/// Exposed ports and their host bindings; `None` for both when nothing is published.
fn ports(bindings: &[PortBinding]) -> Result<(Option<Vec<String>>, Option<PortMap>), HostError> {
    if bindings.is_empty() {
        return Ok((None, None));
    }
    let mut map: PortMap = HashMap::new();
    for binding in bindings {
        if binding.container_port == 0 {
            return Err(HostError::Invalid(
                "container port 0 cannot be published; name the port the service listens on"
                    .to_string(),
            ));
        }
        if binding.host_ip.parse::<std::net::IpAddr>().is_err() {
            return Err(HostError::Invalid(format!(
                "host address '{}' is not an IP address; use one such as '127.0.0.1'",
                binding.host_ip
            )));
        }
        let entry = DockerPortBinding {
            host_ip: Some(binding.host_ip.clone()),
            // An empty host port asks the engine for a free one.
            host_port: Some(binding.host_port.map(|p| p.to_string()).unwrap_or_default()),
        };
        map.entry(format!("{}/tcp", binding.container_port))
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(entry);
    }
    let mut exposed: Vec<String> = map.keys().cloned().collect();
    exposed.sort();
    Ok((Some(exposed), Some(map)))
}

/// The engine's health check: the command in exec form, durations in nanoseconds.
fn health_config(check: &HealthCheck) -> Result<HealthConfig, HostError> {
    if check.command.is_empty() {
        return Err(HostError::Invalid(
            "health check command is empty; give a command such as [\"test\", \"-f\", \"/ready\"]"
                .to_string(),
        ));
    }
    let nanos = |what: &str, d: Duration| -> Result<i64, HostError> {
        // The engine refuses intervals and timeouts under 1 ms (0 means its default).
        if !d.is_zero() && d < Duration::from_millis(1) {
            return Err(HostError::Invalid(format!(
                "health check {what} {d:?} is under the engine's minimum of 1ms"
            )));
        }
        i64::try_from(d.as_nanos())
            .map_err(|_| HostError::Invalid(format!("health check {what} {d:?} is too long")))
    };
    let mut test = vec!["CMD".to_string()];
    test.extend(check.command.iter().cloned());
    Ok(HealthConfig {
        test: Some(test),
        interval: Some(nanos("interval", check.interval)?),
        timeout: Some(nanos("timeout", check.timeout)?),
        retries: Some(i64::from(check.retries)),
        start_period: Some(nanos("start period", check.start_period)?),
        start_interval: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use seamless_host_api::NetworkAttachment;

    #[test]
    fn published_ports_are_exposed_and_bound() {
        let spec = ContainerSpec {
            image: "img".to_string(),
            ports: vec![
                PortBinding {
                    container_port: 8000,
                    host_ip: "127.0.0.1".to_string(),
                    host_port: None,
                },
                PortBinding {
                    container_port: 8000,
                    host_ip: "127.0.0.1".to_string(),
                    host_port: Some(9000),
                },
            ],
            ..ContainerSpec::default()
        };
        let body = create_body(&spec).expect("valid spec");
        assert_eq!(body.exposed_ports, Some(vec!["8000/tcp".to_string()]));
        let bindings = body
            .host_config
            .and_then(|h| h.port_bindings)
            .and_then(|mut m| m.remove("8000/tcp"))
            .flatten()
            .unwrap_or_default();
        let ports: Vec<_> = bindings.into_iter().map(|b| b.host_port).collect();
        assert_eq!(ports, vec![Some(String::new()), Some("9000".to_string())]);
    }

    #[test]
    fn healthcheck_uses_exec_form_and_nanoseconds() {
        let spec = ContainerSpec {
            healthcheck: Some(HealthCheck {
                command: vec!["test".to_string(), "-f".to_string(), "/ok".to_string()],
                interval: Duration::from_millis(500),
                timeout: Duration::from_secs(2),
                retries: 3,
                start_period: Duration::ZERO,
            }),
            ..ContainerSpec::default()
        };
        let health = create_body(&spec)
            .expect("valid spec")
            .healthcheck
            .expect("a health check");
        assert_eq!(
            health.test,
            Some(vec!["CMD".into(), "test".into(), "-f".into(), "/ok".into()])
        );
        assert_eq!(health.interval, Some(500_000_000));
        assert_eq!(health.timeout, Some(2_000_000_000));
        assert_eq!(health.retries, Some(3));
    }

    #[test]
    fn network_is_the_network_mode_with_aliases() {
        let spec = ContainerSpec {
            network: Some(NetworkAttachment {
                network: "net".to_string(),
                aliases: vec!["db".to_string()],
            }),
            restart: true,
            ..ContainerSpec::default()
        };
        let body = create_body(&spec).expect("valid spec");
        let host = body.host_config.expect("host config");
        assert_eq!(host.network_mode.as_deref(), Some("net"));
        assert_eq!(
            host.restart_policy.and_then(|p| p.name),
            Some(RestartPolicyNameEnum::UNLESS_STOPPED)
        );
        let endpoints = body
            .networking_config
            .and_then(|n| n.endpoints_config)
            .unwrap_or_default();
        assert_eq!(
            endpoints.get("net").and_then(|e| e.aliases.clone()),
            Some(vec!["db".to_string()])
        );
    }

    #[test]
    fn bad_host_ip_and_empty_healthcheck_are_refused() {
        let spec = ContainerSpec {
            ports: vec![PortBinding {
                container_port: 80,
                host_ip: "localhost".to_string(),
                host_port: None,
            }],
            ..ContainerSpec::default()
        };
        assert!(matches!(create_body(&spec), Err(HostError::Invalid(_))));
        let spec = ContainerSpec {
            healthcheck: Some(HealthCheck {
                command: vec![],
                interval: Duration::from_secs(1),
                timeout: Duration::from_secs(1),
                retries: 1,
                start_period: Duration::ZERO,
            }),
            ..ContainerSpec::default()
        };
        assert!(matches!(create_body(&spec), Err(HostError::Invalid(_))));
    }
}
