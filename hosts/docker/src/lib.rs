//! The Docker backend: runs stage containers and builds images on a local Docker engine
//! through its HTTP API (bollard).
//!
//! - Nothing is ever pulled. An image must already be in the engine, built by
//!   [`ContainerHost::build_image`] or imported by `scripts/base-images.sh`; `run` fails
//!   with an error naming the image otherwise.
//! - The client negotiates the API version, because Debian's engine speaks API 1.41 and
//!   bollard's default is newer.
//! - `wait_container` reports a non-zero exit as an error from bollard; this backend
//!   returns it as the exit code.
//! - Builds use the classic builder and send the context as an in-memory tar.
//!   `.dockerignore` is not honoured.

mod context;
mod errors;
mod image;
mod lines;
mod logs;

use async_trait::async_trait;
use bollard::Docker;
use bollard::errors::Error;
use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType};
use bollard::query_parameters::{
    KillContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use errors::{BACKEND, backend, is_conflict, is_not_found};
use futures_util::StreamExt;
use seamless_host_api::{
    ContainerHandle, ContainerHost, ContainerSpec, HostError, ImageBuildSpec, LogSink,
    WorkspaceMount,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::task::JoinHandle;

/// Runs containers and builds images on the local Docker engine.
pub struct DockerHost {
    docker: Docker,
    /// The log-following task of each container started here and not yet waited for.
    log_tasks: Mutex<HashMap<String, JoinHandle<()>>>,
}

impl std::fmt::Debug for DockerHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerHost")
            .field("api_version", &self.docker.client_version())
            .finish_non_exhaustive()
    }
}

impl DockerHost {
    /// Connects to the engine named by `DOCKER_HOST`, or the local socket, and
    /// negotiates the API version. Fails with [`HostError::Unavailable`] when no engine
    /// answers.
    pub async fn connect() -> Result<DockerHost, HostError> {
        let unavailable = |err: Error| HostError::Unavailable {
            backend: BACKEND,
            reason: format!(
                "{err}; start the engine (as root: `dockerd > /tmp/dockerd.log 2>&1 &`, or run scripts/base-images.sh)"
            ),
        };
        let docker = Docker::connect_with_local_defaults()
            .map_err(unavailable)?
            .negotiate_version()
            .await
            .map_err(unavailable)?;
        docker.ping().await.map_err(unavailable)?;
        Ok(DockerHost {
            docker,
            log_tasks: Mutex::new(HashMap::new()),
        })
    }

    fn tasks(&self) -> MutexGuard<'_, HashMap<String, JoinHandle<()>>> {
        self.log_tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Removes a container, treating "already gone" and "removal in progress" as done.
    async fn remove(&self, id: &str) -> Result<(), HostError> {
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        match self.docker.remove_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(err) if is_not_found(&err) || is_conflict(&err) => Ok(()),
            Err(err) => Err(backend(&format!("removing container '{id}'"), err)),
        }
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

#[async_trait]
impl ContainerHost for DockerHost {
    fn name(&self) -> &'static str {
        BACKEND
    }

    async fn run(&self, spec: ContainerSpec, logs: LogSink) -> Result<ContainerHandle, HostError> {
        if spec.image.trim().is_empty() {
            return Err(HostError::Invalid(
                "container image is empty; name an image such as 'seamless/busybox'".to_string(),
            ));
        }
        if !image::exists(&self.docker, &spec.image).await? {
            return Err(HostError::Backend {
                backend: BACKEND,
                message: format!(
                    "image '{}' not found locally; build it or run scripts/base-images.sh",
                    spec.image
                ),
            });
        }
        let mounts = spec
            .workspace
            .as_ref()
            .map(workspace_mount)
            .transpose()?
            .map(|m| vec![m]);
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: (!spec.command.is_empty()).then(|| spec.command.clone()),
            env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            working_dir: spec.workdir.clone(),
            labels: Some(spec.labels.clone().into_iter().collect()),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            host_config: Some(HostConfig {
                mounts,
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = self
            .docker
            .create_container(None, body)
            .await
            .map_err(|err| backend(&format!("creating a container from '{}'", spec.image), err))?;
        let id = created.id;
        let output = match logs::attach(&self.docker, &id).await {
            Ok(output) => output,
            Err(err) => {
                let _ = self.remove(&id).await;
                return Err(err);
            }
        };
        if let Err(err) = self.docker.start_container(&id, None).await {
            let _ = self.remove(&id).await;
            return Err(backend(
                &format!("starting a container from '{}'", spec.image),
                err,
            ));
        }
        let task = logs::forward(id.clone(), output, logs);
        self.tasks().insert(id.clone(), task);
        tracing::debug!(container = %id, image = %spec.image, "docker container started");
        Ok(ContainerHandle { id })
    }

    async fn wait(&self, handle: &ContainerHandle) -> Result<i64, HostError> {
        let id = &handle.id;
        let mut stream = self.docker.wait_container(id, None);
        let code = match stream.next().await {
            Some(Ok(response)) => response.status_code,
            Some(Err(Error::DockerContainerWaitError { code, .. })) => code,
            Some(Err(err)) if is_not_found(&err) => {
                return Err(HostError::NotFound(format!("container '{id}'")));
            }
            Some(Err(err)) => return Err(backend(&format!("waiting for container '{id}'"), err)),
            None => {
                return Err(HostError::Backend {
                    backend: BACKEND,
                    message: format!(
                        "waiting for container '{id}': the engine sent no exit status"
                    ),
                });
            }
        };
        let task = self.tasks().remove(id);
        if let Some(task) = task
            && let Err(err) = task.await
        {
            tracing::warn!(container = %id, error = %err, "docker log task failed");
        }
        self.remove(id).await?;
        Ok(code)
    }

    async fn stop(&self, handle: &ContainerHandle) -> Result<(), HostError> {
        let id = &handle.id;
        let options = KillContainerOptionsBuilder::default()
            .signal("SIGKILL")
            .build();
        match self.docker.kill_container(id, Some(options)).await {
            // 409: the container is not running any more.
            Err(err) if !is_not_found(&err) && !is_conflict(&err) => {
                tracing::debug!(container = %id, error = %err, "docker kill failed; removing anyway");
            }
            _ => {}
        }
        self.remove(id).await?;
        let task = self.tasks().remove(id);
        if let Some(task) = task {
            // The stream ends once the container is gone; output after the kill is lost.
            task.abort();
            let _ = task.await;
        }
        Ok(())
    }

    async fn build_image(&self, spec: ImageBuildSpec, logs: LogSink) -> Result<String, HostError> {
        image::build(&self.docker, spec, logs).await
    }

    async fn remove_labelled(&self, labels: &BTreeMap<String, String>) -> Result<usize, HostError> {
        if labels.is_empty() {
            return Err(HostError::Invalid(
                "no labels given; refusing to remove every container (pass at least a run label)"
                    .to_string(),
            ));
        }
        let filters: HashMap<&str, Vec<String>> = HashMap::from([(
            "label",
            labels.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        )]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let containers = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|err| backend("listing labelled containers", err))?;
        let mut removed = 0;
        for id in containers.into_iter().filter_map(|c| c.id) {
            self.remove(&id).await?;
            if let Some(task) = self.tasks().remove(&id) {
                task.abort();
            }
            removed += 1;
        }
        Ok(removed)
    }
}
