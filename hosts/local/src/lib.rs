//! The local backend: runs a stage's command as a plain process on this machine.
//!
//! It exists for development and for machines without a container engine. It gives
//! **no isolation**:
//! - the image is ignored; the command runs from the host's `PATH`;
//! - the workspace is used in place and `read_only` is not enforced; a working
//!   directory under the workspace's container path maps to the same place under its
//!   host path (see [`ContainerHost::run`] on [`LocalHost`]);
//! - the environment is cleared and holds only `PATH` and `HOME` from the runtime,
//!   then the spec's variables;
//! - what only a container engine can give is refused with
//!   [`HostError::Unsupported`]: joining a network, publishing ports and health checks.
//!   A fixed `name` is ignored, and `restart` is not honoured (a process that ends
//!   stays ended). There are no networks, no image push or pull, and no deployer.
//!
//! Each process leads its own process group; stopping it, or its exit, ends every
//! process it left behind, as a container's end would.
//!
//! **Images are packaged, not built.** This host cannot run a Dockerfile. As a
//! deliberate decision, `build_image` checks that the Dockerfile exists, writes the
//! build context (with that Dockerfile at the root as `Dockerfile`) to
//! `<image dir>/<tag with ':' and '/' as '_'>.tar`, logs where it is, and returns the
//! tag. `docker build -t <tag> - < <file>` builds it later on a machine with Docker.
//! `.dockerignore` is not honoured.

mod package;
mod process;
mod workdir;

use async_trait::async_trait;
use process::Supervised;
use seamless_host_api::{
    ContainerHandle, ContainerHost, ContainerSpec, ContainerSummary, HostError, ImageBuildSpec,
    LogSink, LogStream,
};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The backend name used in messages.
const BACKEND: &str = "local";

/// Runs commands as local processes and packages build contexts as tarballs.
#[derive(Debug)]
pub struct LocalHost {
    image_dir: PathBuf,
    next_id: AtomicU64,
    processes: Mutex<HashMap<String, Tracked>>,
}

/// A process started here and not yet waited for or stopped.
struct Tracked {
    labels: BTreeMap<String, String>,
    process: Supervised,
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked")
            .field("labels", &self.labels)
            .finish_non_exhaustive()
    }
}

impl Default for LocalHost {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalHost {
    /// A local host that writes packaged build contexts to
    /// `<temp dir>/seamless-local-images`.
    pub fn new() -> LocalHost {
        Self::with_image_dir(std::env::temp_dir().join("seamless-local-images"))
    }

    /// A local host that writes packaged build contexts to `image_dir`, created when
    /// first needed.
    pub fn with_image_dir(image_dir: PathBuf) -> LocalHost {
        LocalHost {
            image_dir,
            next_id: AtomicU64::new(1),
            processes: Mutex::new(HashMap::new()),
        }
    }

    /// Where packaged build contexts are written.
    pub fn image_dir(&self) -> &Path {
        &self.image_dir
    }

    fn processes(&self) -> MutexGuard<'_, HashMap<String, Tracked>> {
        self.processes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Kills the process `id` if it runs and waits until its output is drained.
    /// Returns `false` when no such process is tracked.
    async fn kill(&self, id: &str) -> bool {
        let found = self
            .processes()
            .get(id)
            .map(|t| (t.process.kill.clone(), t.process.exit.clone()));
        let Some((kill, mut exit)) = found else {
            return false;
        };
        kill.notify_one();
        let _ = exit.wait_for(Option::is_some).await;
        self.processes().remove(id);
        true
    }
}

/// Refuses the parts of `spec` that need a container engine.
fn check_supported(spec: &ContainerSpec) -> Result<(), HostError> {
    let unsupported = |what: String| {
        Err(HostError::Unsupported {
            backend: BACKEND,
            what,
        })
    };
    if let Some(attachment) = &spec.network {
        return unsupported(format!(
            "networks (the container asks to join '{}')",
            attachment.network
        ));
    }
    if let Some(binding) = spec.ports.first() {
        return unsupported(format!(
            "published ports (the container asks to publish port {})",
            binding.container_port
        ));
    }
    if let Some(check) = &spec.healthcheck {
        return unsupported(format!(
            "health checks (the container asks to run '{}')",
            check.command.join(" ")
        ));
    }
    Ok(())
}

/// The command for `spec`, with its working directory and cleared environment.
fn command_for(spec: &ContainerSpec) -> Result<tokio::process::Command, HostError> {
    let Some((program, args)) = spec.command.split_first() else {
        return Err(HostError::Invalid(
            "command is empty; the local host has no image default to run, give a command"
                .to_string(),
        ));
    };
    let mut command = tokio::process::Command::new(program);
    command.args(args).env_clear();
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command.envs(spec.env.iter().map(|(k, v)| (k, v)));
    if let Some(dir) = workdir::host_workdir(spec) {
        if !dir.is_dir() {
            return Err(HostError::Invalid(format!(
                "working directory '{}' does not exist on this machine; create it or fix the workdir",
                dir.display()
            )));
        }
        command.current_dir(dir);
    }
    Ok(command)
}

#[async_trait]
impl ContainerHost for LocalHost {
    fn name(&self) -> &'static str {
        BACKEND
    }

    /// Starts `spec.command` as a local process; `spec.image` is ignored.
    async fn run(&self, spec: ContainerSpec, logs: LogSink) -> Result<ContainerHandle, HostError> {
        check_supported(&spec)?;
        let command = command_for(&spec)?;
        let process = process::spawn(command, logs).map_err(|err| HostError::Backend {
            backend: BACKEND,
            message: format!(
                "starting '{}' failed: {err}; check that it is installed and on PATH",
                spec.command.join(" ")
            ),
        })?;
        let id = format!("local-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        self.processes().insert(
            id.clone(),
            Tracked {
                labels: spec.labels,
                process,
            },
        );
        tracing::debug!(process = %id, "local process started");
        Ok(ContainerHandle { id })
    }

    async fn wait(&self, handle: &ContainerHandle) -> Result<i64, HostError> {
        let exit = self
            .processes()
            .get(&handle.id)
            .map(|t| t.process.exit.clone());
        let Some(mut exit) = exit else {
            return Err(HostError::NotFound(format!(
                "local process '{}'",
                handle.id
            )));
        };
        let code = match exit.wait_for(Option::is_some).await {
            Ok(code) => code.unwrap_or(-1),
            Err(_) => {
                return Err(HostError::Backend {
                    backend: BACKEND,
                    message: format!("lost track of local process '{}'", handle.id),
                });
            }
        };
        self.processes().remove(&handle.id);
        Ok(code)
    }

    async fn stop(&self, handle: &ContainerHandle) -> Result<(), HostError> {
        self.kill(&handle.id).await;
        Ok(())
    }

    /// Packages the build context instead of building (see the crate docs).
    async fn build_image(&self, spec: ImageBuildSpec, logs: LogSink) -> Result<String, HostError> {
        if spec.tag.trim().is_empty() {
            return Err(HostError::Invalid(
                "image tag is empty; give the build a tag such as 'app:latest'".to_string(),
            ));
        }
        let dockerfile = package::check_dockerfile(&spec.context_dir, &spec.dockerfile)?;
        let target = self.image_dir.join(package::file_name(&spec.tag));
        let (image_dir, context_dir, path) = (
            self.image_dir.clone(),
            spec.context_dir.clone(),
            target.clone(),
        );
        let written = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&image_dir)?;
            package::write_context(&context_dir, &dockerfile, &path)
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                return Err(HostError::Backend {
                    backend: BACKEND,
                    message: format!(
                        "packaging build context '{}' to '{}' failed: {err}",
                        spec.context_dir.display(),
                        target.display()
                    ),
                });
            }
            Err(err) => {
                return Err(HostError::Backend {
                    backend: BACKEND,
                    message: format!("packaging build context failed: {err}"),
                });
            }
        }
        let shown = target.display();
        logs(
            LogStream::Stdout,
            &format!(
                "local host: packaged build context for {} at {shown} (build it later with `docker build - < {shown}`)",
                spec.tag
            ),
        );
        Ok(spec.tag)
    }

    async fn remove_labelled(&self, labels: &BTreeMap<String, String>) -> Result<usize, HostError> {
        if labels.is_empty() {
            return Err(HostError::Invalid(
                "no labels given; refusing to stop every process (pass at least a run label)"
                    .to_string(),
            ));
        }
        let matching: Vec<String> = self
            .processes()
            .iter()
            .filter(|(_, t)| labels.iter().all(|(k, v)| t.labels.get(k) == Some(v)))
            .map(|(id, _)| id.clone())
            .collect();
        let mut removed = 0;
        for id in matching {
            if self.kill(&id).await {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The processes started here and not yet waited for or stopped, oldest first; a
    /// process's name is its id.
    async fn list_labelled(
        &self,
        labels: &BTreeMap<String, String>,
    ) -> Result<Vec<ContainerSummary>, HostError> {
        let mut found: Vec<ContainerSummary> = self
            .processes()
            .iter()
            .filter(|(_, t)| labels.iter().all(|(k, v)| t.labels.get(k) == Some(v)))
            .map(|(id, t)| ContainerSummary {
                handle: ContainerHandle { id: id.clone() },
                name: id.clone(),
                labels: t.labels.clone(),
                running: t.process.exit.borrow().is_none(),
            })
            .collect();
        // Oldest first: ids are numbered, so shorter ids are older.
        found.sort_by(|a, b| (a.name.len(), &a.name).cmp(&(b.name.len(), &b.name)));
        Ok(found)
    }
}
