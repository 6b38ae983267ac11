//! `seamless:plugin/containers`: run, wait for and stop containers on the backend.

use super::paths::is_contained;
use crate::bindings::seamless::plugin::containers::{
    ContainerId, ContainerSpec, ContainerState, Health, Healthcheck, Host,
};
use crate::bindings::seamless::plugin::types::HostError;
use crate::capabilities::Capability;
use crate::stage_log::LogSource;
use crate::state::StageState;
use seamless_host_api::{HealthCheck, LogSink, LogStream, NetworkAttachment, WorkspaceMount};
use std::sync::Arc;
use std::time::Duration;

/// Where the workspace appears inside containers.
pub(crate) const WORKSPACE_MOUNT: &str = "/workspace";

pub(crate) fn lock_poisoned() -> HostError {
    HostError::Backend("internal state lock poisoned".into())
}

impl StageState {
    fn container_workdir(&self, workdir: Option<String>) -> Result<String, HostError> {
        match workdir {
            None => Ok(WORKSPACE_MOUNT.to_owned()),
            Some(w) if w.starts_with('/') => {
                if w.split('/').any(|part| part == "..") {
                    return Err(HostError::Invalid(format!(
                        "workdir '{w}' must not contain '..'"
                    )));
                }
                Ok(w)
            }
            Some(w) if is_contained(&w) => Ok(format!("{WORKSPACE_MOUNT}/{w}")),
            Some(w) => Err(HostError::Invalid(format!(
                "workdir '{w}' leaves the workspace; give a path inside it"
            ))),
        }
    }
}

impl Host for StageState {
    async fn run(&mut self, spec: ContainerSpec) -> Result<ContainerId, HostError> {
        self.require(&Capability::Containers, "containers.run")?;
        let mut env: Vec<(String, String)> =
            spec.env.into_iter().map(|kv| (kv.key, kv.value)).collect();
        for s in spec.secret_env {
            self.require(&Capability::Secret(s.secret.clone()), "containers.run")?;
            let value = self.secrets.get(&s.secret).cloned().ok_or_else(|| {
                HostError::NotFound(format!("secret '{}' has no value", s.secret))
            })?;
            env.push((s.env, value));
        }
        if spec.image.trim().is_empty() {
            return Err(HostError::Invalid("container image is empty".into()));
        }
        // Without the workspace and without a workdir, the image's own working
        // directory stays.
        let workdir = match (&spec.workdir, spec.mount_workspace) {
            (None, false) => None,
            _ => Some(self.container_workdir(spec.workdir)?),
        };
        let network = match spec.network {
            None => None,
            Some(attachment) => {
                self.require(&Capability::Networks, "containers.run")?;
                let known = self
                    .networks
                    .lock()
                    .map_err(|_| lock_poisoned())?
                    .contains(&attachment.network);
                if !known {
                    return Err(HostError::NotFound(format!(
                        "network '{}' of this stage; create it with networks.create first",
                        attachment.network
                    )));
                }
                Some(NetworkAttachment {
                    network: attachment.network,
                    aliases: attachment.aliases,
                })
            }
        };
        let healthcheck = spec.healthcheck.map(health_check).transpose()?;
        let workspace = spec.mount_workspace.then(|| WorkspaceMount {
            host_path: self.workspace.clone(),
            container_path: WORKSPACE_MOUNT.to_owned(),
            read_only: !self.policy.grants.workspace_write,
        });
        let log = self.log.clone();
        let sink: LogSink = Arc::new(move |stream, line| {
            let source = match stream {
                LogStream::Stdout => LogSource::ContainerStdout,
                LogStream::Stderr => LogSource::ContainerStderr,
            };
            log.write(source, line);
        });
        self.next_container += 1;
        let api_spec = seamless_host_api::ContainerSpec {
            image: spec.image,
            command: spec.command,
            env,
            workdir,
            workspace,
            labels: self.labels.clone(),
            network,
            healthcheck,
            cpu: self.container_size.0,
            memory_mib: self.container_size.1,
            ..Default::default()
        };
        let started = std::time::Instant::now();
        let handle = self.host.run(api_spec, sink).await;
        self.busy += started.elapsed();
        let handle = handle?;
        let id = handle.id.clone();
        self.live
            .lock()
            .map_err(|_| lock_poisoned())?
            .insert(id.clone(), handle);
        Ok(id)
    }

    async fn wait(&mut self, id: ContainerId) -> Result<i32, HostError> {
        self.require(&Capability::Containers, "containers.wait")?;
        let handle = self
            .live
            .lock()
            .map_err(|_| lock_poisoned())?
            .get(&id)
            .cloned()
            .ok_or_else(|| HostError::NotFound(format!("container '{id}' of this stage")))?;
        let started = std::time::Instant::now();
        let code = self.host.wait(&handle).await;
        self.busy += started.elapsed();
        self.live.lock().map_err(|_| lock_poisoned())?.remove(&id);
        let code = code?;
        Ok(i32::try_from(code).unwrap_or(if code < 0 { i32::MIN } else { i32::MAX }))
    }

    async fn stop(&mut self, id: ContainerId) -> Result<(), HostError> {
        self.require(&Capability::Containers, "containers.stop")?;
        let handle = self.live.lock().map_err(|_| lock_poisoned())?.remove(&id);
        match handle {
            Some(h) => {
                let started = std::time::Instant::now();
                let stopped = self.host.stop(&h).await;
                self.busy += started.elapsed();
                Ok(stopped?)
            }
            None => Err(HostError::NotFound(format!(
                "container '{id}' of this stage"
            ))),
        }
    }

    async fn inspect(&mut self, id: ContainerId) -> Result<ContainerState, HostError> {
        self.require(&Capability::Containers, "containers.inspect")?;
        let handle = self.own_container(&id)?;
        let started = std::time::Instant::now();
        let state = self.host.inspect(&handle).await;
        self.busy += started.elapsed();
        let state = state?;
        Ok(ContainerState {
            running: state.running,
            exit_code: state
                .exit_code
                .map(|c| i32::try_from(c).unwrap_or(if c < 0 { i32::MIN } else { i32::MAX })),
            health: match state.health {
                seamless_host_api::Health::None => Health::None,
                seamless_host_api::Health::Starting => Health::Starting,
                seamless_host_api::Health::Healthy => Health::Healthy,
                seamless_host_api::Health::Unhealthy => Health::Unhealthy,
            },
        })
    }

    async fn probe_tcp(&mut self, id: ContainerId, port: u16) -> Result<bool, HostError> {
        self.require(&Capability::Containers, "containers.probe-tcp")?;
        let handle = self.own_container(&id)?;
        let state = self.host.inspect(&handle).await?;
        let Some(address) = state.addresses.values().find(|a| !a.is_empty()) else {
            return Ok(false);
        };
        let target = format!("{address}:{port}");
        let connect = tokio::net::TcpStream::connect(target);
        let started = std::time::Instant::now();
        let answered = matches!(
            tokio::time::timeout(Duration::from_secs(2), connect).await,
            Ok(Ok(_))
        );
        self.busy += started.elapsed();
        Ok(answered)
    }
}

impl StageState {
    /// The handle of a container this stage started and has not seen removed.
    fn own_container(&self, id: &str) -> Result<seamless_host_api::ContainerHandle, HostError> {
        self.live
            .lock()
            .map_err(|_| lock_poisoned())?
            .get(id)
            .cloned()
            .ok_or_else(|| HostError::NotFound(format!("container '{id}' of this stage")))
    }
}

/// The backend's health check for a WIT one.
fn health_check(check: Healthcheck) -> Result<HealthCheck, HostError> {
    if check.command.is_empty() {
        return Err(HostError::Invalid(
            "healthcheck command is empty; give the command and its arguments".into(),
        ));
    }
    let ms = |v: u32| Duration::from_millis(u64::from(v));
    Ok(HealthCheck {
        command: check.command,
        interval: ms(check.interval_ms.max(100)),
        timeout: ms(check.timeout_ms.max(100)),
        retries: check.retries.max(1),
        start_period: ms(check.start_period_ms),
    })
}
