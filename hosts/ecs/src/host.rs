//! [`EcsHost`]: the [`ContainerHost`] whose containers are Fargate tasks.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use seamless_core::config::ecs::EcsOptions;
use seamless_host_api::{
    ContainerHandle, ContainerHost, ContainerSpec, ContainerState, ContainerSummary, Health,
    HostError, ImageBuildSpec, LABEL_RUN, LogSink, LogStream,
};

use crate::action::Action;
use crate::call::call;
use crate::clients::Endpoint;
use crate::deploy::EcsDeployer;
use crate::logs::{Follower, LogSource, LogTiming};
use crate::shape::{TaskShape, WorkspaceMount};
use crate::task_defs::{CONTAINER, HostMemory, STREAM_PREFIX, TaskDefinitions};
use crate::tasks::{self, StartError, TaskRequest};
use crate::watch::{Intervals, Watcher};
use crate::workspace::Workspaces;
use crate::{BACKEND, Clients};

/// How often the host polls AWS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timing {
    /// `DescribeTasks` while tasks run.
    pub tasks: Intervals,
    /// `GetLogEvents` while tasks run, and the wait for late lines.
    pub logs: LogTiming,
}

/// Runs stage containers as Fargate tasks on one cluster.
pub struct EcsHost {
    options: EcsOptions,
    deployer: EcsDeployer,
    clients: Clients,
    definitions: TaskDefinitions,
    watcher: Watcher,
    workspaces: Workspaces,
    followers: Mutex<HashMap<String, Follower>>,
    /// The workspace shapes each run registered, retired when the run ends.
    run_shapes: Mutex<HashMap<String, Vec<(TaskShape, String)>>>,
    timing: Timing,
}

impl EcsHost {
    /// Connects to AWS (to `endpoint` when given, else where the standard
    /// configuration says) and checks that the cluster exists. Task definitions are
    /// remembered in `cache`.
    pub async fn connect(
        options: EcsOptions,
        cache: Arc<dyn HostMemory>,
        endpoint: Option<&Endpoint>,
        timing: Timing,
    ) -> Result<Self, HostError> {
        let clients = Clients::load(&options.region, endpoint).await;
        check_cluster(&clients, &options.cluster).await?;
        let watcher = Watcher::new(
            clients.clone(),
            options.cluster.clone(),
            CONTAINER,
            timing.tasks,
        );
        Ok(Self {
            deployer: EcsDeployer::new(clients.clone(), options.cluster.clone(), cache.clone()),
            definitions: TaskDefinitions::new(cache),
            watcher,
            workspaces: Workspaces::default(),
            followers: Mutex::new(HashMap::new()),
            run_shapes: Mutex::new(HashMap::new()),
            options,
            clients,
            timing,
        })
    }

    /// How many `DescribeTasks` calls waiting has made.
    pub fn task_polls(&self) -> u64 {
        self.watcher.polls()
    }

    /// The options the host runs with.
    pub fn options(&self) -> &EcsOptions {
        &self.options
    }

    /// `reference` as an image of the configured ECR repositories; anything else is
    /// refused, naming the setting that puts images there.
    fn ecr_image<'a>(
        &self,
        reference: &'a str,
    ) -> Result<crate::registry::EcrImage<'a>, HostError> {
        let prefix = &self.options.repository_prefix;
        let inside = reference.starts_with(&format!("{prefix}/"));
        match crate::registry::parse(reference) {
            Some(image) if inside => Ok(image),
            _ => Err(HostError::Invalid(format!(
                "on ECS images are built into ECR under `repository-prefix` ({prefix}), and \
                 '{reference}' is not there; set `[registry] url = \"{prefix}\"` in \
                 seamless.toml"
            ))),
        }
    }

    /// The task shape of `spec`, with the run's access point when it mounts the
    /// workspace.
    async fn shape(&self, spec: &ContainerSpec) -> Result<TaskShape, HostError> {
        let (workspace, access_point) = match &spec.workspace {
            None => (WorkspaceMount::None, String::new()),
            Some(mount) => {
                let run = spec.labels.get(LABEL_RUN).ok_or_else(|| {
                    HostError::Invalid(
                        "a container that mounts the workspace needs its run label".into(),
                    )
                })?;
                let point = self
                    .workspaces
                    .access_point(&self.clients, &self.options.file_system, run)
                    .await?;
                let mode = if mount.read_only {
                    WorkspaceMount::ReadOnly
                } else {
                    WorkspaceMount::ReadWrite
                };
                (mode, point)
            }
        };
        let (cpu, memory_mib) = task_size(&self.options, spec)?;
        Ok(TaskShape {
            image: spec.image.clone(),
            workdir: spec.workdir.clone(),
            cpu,
            memory_mib,
            workspace,
            file_system: self.options.file_system.clone(),
            access_point,
            execution_role: self.options.execution_role.clone(),
            task_role: self.options.task_role.clone(),
            log_group: self.options.log_group.clone(),
        })
    }

    /// The task definition of `shape`, noted under the run when it is the run's own.
    async fn definition(
        &self,
        shape: &TaskShape,
        run: Option<&String>,
    ) -> Result<String, HostError> {
        let arn = self
            .definitions
            .ensure(&self.clients, &self.options.region, shape)
            .await?;
        if shape.workspace != WorkspaceMount::None
            && let Some(run) = run
        {
            let mut shapes = lock(&self.run_shapes);
            let of_run = shapes.entry(run.clone()).or_default();
            if !of_run.iter().any(|(s, _)| s == shape) {
                of_run.push((shape.clone(), arn.clone()));
            }
        }
        Ok(arn)
    }

    /// Deregisters the task definitions of `run`'s workspace shapes: nothing else can
    /// use them once its access point is gone.
    async fn retire_shapes(&self, run: &str) {
        let shapes = lock(&self.run_shapes).remove(run).unwrap_or_default();
        for (shape, arn) in shapes {
            self.definitions.forget(&shape);
            let request = self
                .clients
                .ecs
                .deregister_task_definition()
                .task_definition(&arn);
            if let Err(e) = call(Action::DeregisterTaskDefinition, || request.clone().send()).await
            {
                tracing::warn!(arn, error = %e.message, "could not deregister a finished run's task definition");
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The task's cpu and memory: the stage's `[stage.limits]` where it sets them, the
/// `[hosts.ecs]` size otherwise; `Err` when the two do not make a Fargate size.
fn task_size(options: &EcsOptions, spec: &ContainerSpec) -> Result<(u32, u32), HostError> {
    let cpu = spec.cpu.unwrap_or(options.cpu);
    let memory = spec.memory_mib.unwrap_or(options.memory_mib);
    seamless_core::config::ecs::check_task_size(cpu, memory).map_err(|e| {
        HostError::Invalid(format!(
            "the stage's container size is not one Fargate offers: {e}; set both \
             `container-cpu` and `container-memory-mib` under [stage.limits], or match \
             `cpu` and `memory-mib` under [hosts.ecs]"
        ))
    })?;
    Ok((cpu, memory))
}

/// Fails unless the cluster exists and is active, naming the key to fix.
async fn check_cluster(clients: &Clients, cluster: &str) -> Result<(), HostError> {
    let request = clients.ecs.describe_clusters().clusters(cluster);
    let answer = call(Action::DescribeClusters, || request.clone().send()).await?;
    let active = answer
        .clusters()
        .iter()
        .any(|c| c.status() == Some("ACTIVE"));
    if active {
        return Ok(());
    }
    Err(HostError::NotFound(format!(
        "ECS cluster '{cluster}' (or it is not ACTIVE); check `cluster` under [hosts.ecs] or \
         SEAMLESS_ECS_CLUSTER, and `region`"
    )))
}

/// A task's tags, as the labels they were made from.
fn labels_of(task: &aws_sdk_ecs::types::Task) -> BTreeMap<String, String> {
    task.tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
        .collect()
}

/// What a stage container asks for that a Fargate stage task cannot give.
fn unsupported(spec: &ContainerSpec) -> Option<&'static str> {
    if spec.network.is_some() {
        Some("joining networks (on ECS a Compose file runs as one multi-container task)")
    } else if !spec.ports.is_empty() {
        Some("publishing ports on the host")
    } else if spec.restart {
        Some("restarting containers (deployed services are ECS services)")
    } else if spec.healthcheck.is_some() {
        Some("health checks of stage containers")
    } else {
        None
    }
}

#[async_trait]
impl ContainerHost for EcsHost {
    fn name(&self) -> &'static str {
        BACKEND
    }

    async fn run(&self, spec: ContainerSpec, logs: LogSink) -> Result<ContainerHandle, HostError> {
        if let Some(what) = unsupported(&spec) {
            return Err(self.unsupported(what));
        }
        let run = spec.labels.get(LABEL_RUN);
        let shape = self.shape(&spec).await?;
        let mut request = TaskRequest {
            task_definition: self.definition(&shape, run).await?,
            command: spec.command.clone(),
            env: spec.env.clone(),
            labels: spec.labels.clone(),
        };
        let arn = match tasks::start(&self.clients, &self.options, &request).await {
            Ok(arn) => arn,
            Err(StartError::StaleDefinition(e)) => {
                tracing::info!(reason = %e.message, "the task definition is gone; registering it again");
                self.definitions.forget(&shape);
                request.task_definition = self.definition(&shape, run).await?;
                tasks::start(&self.clients, &self.options, &request)
                    .await
                    .map_err(|e| match e {
                        StartError::StaleDefinition(e) => e.into(),
                        StartError::Failed(e) => e,
                    })?
            }
            Err(StartError::Failed(e)) => return Err(e),
        };
        self.watcher.watch(&arn);
        let source = LogSource {
            group: self.options.log_group.clone(),
            stream: format!("{STREAM_PREFIX}/{CONTAINER}/{}", tasks::task_id(&arn)),
        };
        let follower = Follower::start(self.clients.clone(), source, logs, self.timing.logs);
        lock(&self.followers).insert(arn.clone(), follower);
        Ok(ContainerHandle { id: arn })
    }

    async fn wait(&self, handle: &ContainerHandle) -> Result<i64, HostError> {
        let end = self.watcher.wait(&handle.id).await;
        let follower = lock(&self.followers).remove(&handle.id);
        if let Some(follower) = follower {
            follower.finish().await;
        }
        end?.outcome()
    }

    async fn stop(&self, handle: &ContainerHandle) -> Result<(), HostError> {
        if let Some(follower) = lock(&self.followers).remove(&handle.id) {
            follower.abandon();
        }
        tasks::stop_task(&self.clients, &self.options.cluster, &handle.id).await
    }

    async fn build_image(&self, spec: ImageBuildSpec, logs: LogSink) -> Result<String, HostError> {
        let image = self.ecr_image(&spec.tag)?;
        crate::registry::ensure_repository(&self.clients, image.repository).await?;
        // Tags are immutable: an image already under this tag is this commit's build.
        if crate::registry::digest(&self.clients, &image)
            .await?
            .is_some()
        {
            logs(
                LogStream::Stdout,
                &format!("{} is already in ECR; not built again", spec.tag),
            );
            return Ok(spec.tag);
        }
        let task = crate::build::builder_task(&self.options.builder_image, &spec, &spec.labels)?;
        logs(
            LogStream::Stdout,
            &format!(
                "building {} with {} on Fargate",
                spec.tag, self.options.builder_image
            ),
        );
        let handle = self.run(task, logs).await?;
        match self.wait(&handle).await? {
            0 => Ok(spec.tag),
            code => Err(HostError::Backend {
                backend: BACKEND,
                message: format!(
                    "the image build failed: the builder exited with code {code}; its log \
                     above says why"
                ),
            }),
        }
    }

    async fn push_image(&self, reference: &str, logs: LogSink) -> Result<String, HostError> {
        // The builder pushed it already: the push is ECR's word on its digest.
        let image = self.ecr_image(reference)?;
        let digest = crate::registry::digest(&self.clients, &image)
            .await?
            .ok_or_else(|| {
                HostError::NotFound(format!(
                    "image {reference} in ECR; on ECS an image reaches ECR by its build \
                     (images.build), which did not push it"
                ))
            })?;
        logs(
            LogStream::Stdout,
            &format!("{reference} is in ECR as {digest}"),
        );
        Ok(digest)
    }

    async fn remove_labelled(&self, labels: &BTreeMap<String, String>) -> Result<usize, HostError> {
        let found = tasks::labelled(&self.clients, &self.options.cluster, labels).await?;
        for task in &found {
            if let Some(arn) = task.task_arn() {
                if let Some(follower) = lock(&self.followers).remove(arn) {
                    follower.abandon();
                }
                tasks::stop_task(&self.clients, &self.options.cluster, arn).await?;
            }
        }
        let mut removed = found.len();
        // The run's own clean-up (only its label): its workspace access point goes too.
        if labels.len() == 1
            && let Some(run) = labels.get(LABEL_RUN)
        {
            removed += self
                .workspaces
                .release(&self.clients, &self.options.file_system, run)
                .await?;
            self.retire_shapes(run).await;
        }
        Ok(removed)
    }

    async fn inspect(&self, handle: &ContainerHandle) -> Result<ContainerState, HostError> {
        let request = self
            .clients
            .ecs
            .describe_tasks()
            .cluster(&self.options.cluster)
            .tasks(&handle.id)
            .include(aws_sdk_ecs::types::TaskField::Tags);
        let answer = call(Action::DescribeTasks, || request.clone().send()).await?;
        let task = answer
            .tasks()
            .first()
            .ok_or_else(|| HostError::NotFound(format!("task {}", handle.id)))?;
        let container = task
            .containers()
            .iter()
            .find(|c| c.name() == Some(CONTAINER));
        Ok(ContainerState {
            running: task.last_status() == Some("RUNNING"),
            exit_code: container.and_then(|c| c.exit_code()).map(i64::from),
            health: Health::None,
            published: Vec::new(),
            addresses: container
                .and_then(|c| c.network_interfaces().first())
                .and_then(|n| n.private_ipv4_address())
                .map(|ip| BTreeMap::from([("awsvpc".to_owned(), ip.to_owned())]))
                .unwrap_or_default(),
            labels: labels_of(task),
            image: container
                .and_then(|c| c.image())
                .unwrap_or_default()
                .to_owned(),
        })
    }

    fn deployer(&self) -> Option<&dyn seamless_host_api::DeployHost> {
        Some(&self.deployer)
    }

    async fn list_labelled(
        &self,
        labels: &BTreeMap<String, String>,
    ) -> Result<Vec<ContainerSummary>, HostError> {
        let found = tasks::labelled(&self.clients, &self.options.cluster, labels).await?;
        Ok(found
            .iter()
            .filter_map(|task| {
                let arn = task.task_arn()?;
                Some(ContainerSummary {
                    handle: ContainerHandle { id: arn.to_owned() },
                    name: tasks::task_id(arn).to_owned(),
                    labels: labels_of(task),
                    running: task.last_status() == Some("RUNNING"),
                })
            })
            .collect())
    }
}
