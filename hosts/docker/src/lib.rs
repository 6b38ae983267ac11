//! The Docker backend: runs stage containers, builds and pushes images, manages
//! networks and deploys services on a local Docker engine through its HTTP API
//! (bollard).
//!
//! - `run` never pulls. An image must already be in the engine, built by
//!   [`ContainerHost::build_image`], imported by `scripts/base-images.sh`, or pulled by
//!   [`ContainerHost::ensure_image`]; `run` fails with an error naming the image
//!   otherwise.
//! - The client negotiates the API version, because Debian's engine speaks API 1.41 and
//!   bollard's default is newer.
//! - `wait_container` reports a non-zero exit as an error from bollard; this backend
//!   returns it as the exit code.
//! - Builds use the classic builder and send the context as an in-memory tar.
//!   `.dockerignore` is not honoured.
//! - [`DockerDeployer`] deploys services behind a stable port; its design is in
//!   `src/deploy/mod.rs` and `hosts/docker/README.md`.

mod container;
mod context;
mod deploy;
mod errors;
mod image;
mod inspect;
mod lines;
mod logs;
mod network;
mod registry;

pub use deploy::{DEFAULT_PROXY_IMAGE, DockerDeployer};

use async_trait::async_trait;
use bollard::Docker;
use bollard::errors::Error;
use bollard::query_parameters::KillContainerOptionsBuilder;
use errors::{BACKEND, backend, is_conflict, is_not_found};
use futures_util::StreamExt;
use seamless_host_api::{
    ContainerHandle, ContainerHost, ContainerSpec, ContainerState, ContainerSummary, DeployHost,
    HostError, ImageBuildSpec, LogSink, NetworkHandle, NetworkSpec,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::task::JoinHandle;

/// Runs containers, builds and pushes images, manages networks and deploys services on
/// the local Docker engine.
pub struct DockerHost {
    docker: Docker,
    /// The log-following task of each container started here and not yet waited for.
    log_tasks: Mutex<HashMap<String, JoinHandle<()>>>,
    deployer: DockerDeployer,
}

impl std::fmt::Debug for DockerHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerHost")
            .field("api_version", &self.docker.client_version())
            .field("proxy_image", &self.deployer.proxy_image())
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
            deployer: DockerDeployer::new(docker.clone()),
            docker,
            log_tasks: Mutex::new(HashMap::new()),
        })
    }

    /// Uses `image` (which must provide `python3`) for deploy proxies instead of
    /// [`DEFAULT_PROXY_IMAGE`].
    pub fn with_proxy_image(mut self, image: impl Into<String>) -> DockerHost {
        self.deployer.set_proxy_image(image.into());
        self
    }

    /// The deploy side, with its concrete type.
    pub fn docker_deployer(&self) -> &DockerDeployer {
        &self.deployer
    }

    fn tasks(&self) -> MutexGuard<'_, HashMap<String, JoinHandle<()>>> {
        self.log_tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Removes a container and forgets its log task.
    async fn remove(&self, id: &str) -> Result<(), HostError> {
        container::remove(&self.docker, id).await?;
        if let Some(task) = self.tasks().remove(id) {
            task.abort();
        }
        Ok(())
    }
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
        let mut body = container::create_body(&spec)?;
        body.attach_stdout = Some(true);
        body.attach_stderr = Some(true);
        let created = self
            .docker
            .create_container(container::create_options(&spec), body)
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
        container::remove(&self.docker, id).await?;
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
        container::remove(&self.docker, id).await?;
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

    /// Removes the labelled containers first, then the labelled networks (forcibly
    /// disconnecting whatever else is still on them).
    async fn remove_labelled(&self, labels: &BTreeMap<String, String>) -> Result<usize, HostError> {
        if labels.is_empty() {
            return Err(HostError::Invalid(
                "no labels given; refusing to remove every container (pass at least a run label)"
                    .to_string(),
            ));
        }
        let mut removed = 0;
        for summary in inspect::list_labelled(&self.docker, labels).await? {
            self.remove(&summary.handle.id).await?;
            removed += 1;
        }
        removed += network::remove_labelled(&self.docker, labels).await?;
        Ok(removed)
    }

    async fn inspect(&self, handle: &ContainerHandle) -> Result<ContainerState, HostError> {
        Ok(inspect::inspect(&self.docker, &handle.id).await?.state)
    }

    async fn list_labelled(
        &self,
        labels: &BTreeMap<String, String>,
    ) -> Result<Vec<ContainerSummary>, HostError> {
        inspect::list_labelled(&self.docker, labels).await
    }

    async fn create_network(&self, spec: NetworkSpec) -> Result<NetworkHandle, HostError> {
        network::create(&self.docker, spec).await
    }

    async fn remove_network(&self, network: &str) -> Result<(), HostError> {
        network::remove(&self.docker, network).await
    }

    async fn connect_network(
        &self,
        network: &str,
        handle: &ContainerHandle,
        aliases: &[String],
    ) -> Result<(), HostError> {
        network::connect(&self.docker, network, &handle.id, aliases).await
    }

    async fn disconnect_network(
        &self,
        network: &str,
        handle: &ContainerHandle,
    ) -> Result<(), HostError> {
        network::disconnect(&self.docker, network, &handle.id, false).await
    }

    async fn push_image(&self, reference: &str, logs: LogSink) -> Result<String, HostError> {
        registry::push(&self.docker, reference, logs).await
    }

    async fn ensure_image(&self, reference: &str, logs: LogSink) -> Result<(), HostError> {
        registry::ensure(&self.docker, reference, logs).await
    }

    fn deployer(&self) -> Option<&dyn DeployHost> {
        Some(&self.deployer)
    }
}
