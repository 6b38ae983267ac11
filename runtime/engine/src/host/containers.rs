//! `seamless:plugin/containers`: run, wait for and stop containers on the backend.

use super::paths::is_contained;
use crate::bindings::seamless::plugin::containers::{ContainerId, ContainerSpec, Host};
use crate::bindings::seamless::plugin::types::HostError;
use crate::capabilities::Capability;
use crate::stage_log::LogSource;
use crate::state::StageState;
use seamless_host_api::{LogSink, LogStream, WorkspaceMount};
use std::sync::Arc;

/// Where the workspace appears inside containers.
pub(crate) const WORKSPACE_MOUNT: &str = "/workspace";

fn lock_poisoned() -> HostError {
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
        let workdir = self.container_workdir(spec.workdir)?;
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
            workdir: Some(workdir),
            workspace,
            labels: self.labels.clone(),
        };
        let handle = self.host.run(api_spec, sink).await?;
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
        let code = self.host.wait(&handle).await;
        self.live.lock().map_err(|_| lock_poisoned())?.remove(&id);
        let code = code?;
        Ok(i32::try_from(code).unwrap_or(if code < 0 { i32::MIN } else { i32::MAX }))
    }

    async fn stop(&mut self, id: ContainerId) -> Result<(), HostError> {
        self.require(&Capability::Containers, "containers.stop")?;
        let handle = self.live.lock().map_err(|_| lock_poisoned())?.remove(&id);
        match handle {
            Some(h) => Ok(self.host.stop(&h).await?),
            None => Err(HostError::NotFound(format!(
                "container '{id}' of this stage"
            ))),
        }
    }
}
