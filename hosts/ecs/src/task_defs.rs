//! Task definitions of stage containers: one per [`TaskShape`], registered the first
//! time the shape is needed and found again by the shape's key in a
//! [`HostMemory`] (the runtime's store), so a stage does not register one each time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, EfsAuthorizationConfig, EfsAuthorizationConfigIam,
    EfsTransitEncryption, EfsVolumeConfiguration, LogConfiguration, LogDriver, MountPoint,
    NetworkMode, Tag, Volume,
};
use seamless_host_api::HostError;

use crate::action::Action;
use crate::call::call;
use crate::shape::{TaskShape, WorkspaceMount};
use crate::{BACKEND, Clients};

/// The name of a stage task's one container, which `RunTask` overrides address.
pub const CONTAINER: &str = "stage";
/// The `awslogs-stream-prefix`: a task's log stream is `seamless/stage/<task id>`.
pub const STREAM_PREFIX: &str = "seamless";
/// The volume name of the workspace.
const WORKSPACE_VOLUME: &str = "workspace";
/// Where the workspace appears in a stage container.
pub const WORKSPACE_PATH: &str = "/workspace";

/// What the host made once and finds again by key (the runtime's store): the task
/// definition of each shape, the ECS service of each deploy target.
pub trait HostMemory: Send + Sync {
    /// The value remembered under `key`, if any.
    fn get(&self, key: &str) -> Option<String>;
    /// Remembers `value` under `key`.
    fn put(&self, key: &str, value: &str);
    /// Forgets `key` (what it named is gone).
    fn forget(&self, key: &str);
}

/// A [`HostMemory`] that lasts as long as the process.
#[derive(Debug, Default)]
pub struct MemoryCache(Mutex<HashMap<String, String>>);

impl MemoryCache {
    /// The keys remembered, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .0
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }
}

impl HostMemory for MemoryCache {
    fn get(&self, key: &str) -> Option<String> {
        self.0.lock().ok()?.get(key).cloned()
    }
    fn put(&self, key: &str, value: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(key.to_owned(), value.to_owned());
        }
    }
    fn forget(&self, key: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(key);
        }
    }
}

/// Registers task definitions once per shape.
pub struct TaskDefinitions {
    cache: Arc<dyn HostMemory>,
    /// Held while registering, so stages of one shape that start together register it
    /// once.
    registering: tokio::sync::Mutex<()>,
}

impl TaskDefinitions {
    /// Task definitions remembered in `cache`.
    pub fn new(cache: Arc<dyn HostMemory>) -> Self {
        Self {
            cache,
            registering: tokio::sync::Mutex::new(()),
        }
    }

    /// The ARN of `shape`'s task definition, registered now if the cache has none.
    pub async fn ensure(
        &self,
        clients: &Clients,
        region: &str,
        shape: &TaskShape,
    ) -> Result<String, HostError> {
        let key = memory_key(shape);
        if let Some(arn) = self.cache.get(&key) {
            return Ok(arn);
        }
        let _one_at_a_time = self.registering.lock().await;
        if let Some(arn) = self.cache.get(&key) {
            return Ok(arn);
        }
        let arn = register(clients, region, shape).await?;
        self.cache.put(&key, &arn);
        Ok(arn)
    }

    /// Forgets `shape`'s task definition, so the next [`Self::ensure`] registers it
    /// again (it was deregistered behind the runtime's back).
    pub fn forget(&self, shape: &TaskShape) {
        self.cache.forget(&memory_key(shape));
    }
}

/// Where a shape's task definition is remembered.
fn memory_key(shape: &TaskShape) -> String {
    format!("task-definition:{}", shape.key())
}

/// Registers `shape`'s task definition and returns its ARN.
async fn register(clients: &Clients, region: &str, shape: &TaskShape) -> Result<String, HostError> {
    let request = clients
        .ecs
        .register_task_definition()
        .family(shape.family())
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu(shape.cpu.to_string())
        .memory(shape.memory_mib.to_string())
        .execution_role_arn(&shape.execution_role)
        .set_task_role_arn(shape.task_role.clone())
        .container_definitions(container(region, shape)?)
        .set_volumes(volume(shape)?.map(|v| vec![v]))
        .tags(
            Tag::builder()
                .key("dev.seamless.shape")
                .value(shape.key())
                .build(),
        );
    let out = call(Action::RegisterTaskDefinition, || request.clone().send()).await?;
    let arn = out
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .ok_or_else(|| HostError::Backend {
            backend: BACKEND,
            message: "RegisterTaskDefinition answered without a task definition ARN".into(),
        })?;
    tracing::info!(family = %shape.family(), arn, "registered a stage task definition");
    Ok(arn.to_owned())
}

fn container(region: &str, shape: &TaskShape) -> Result<ContainerDefinition, HostError> {
    let logs = LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", &shape.log_group)
        .options("awslogs-region", region)
        .options("awslogs-stream-prefix", STREAM_PREFIX)
        .build()
        .map_err(invalid)?;
    let mut builder = ContainerDefinition::builder()
        .name(CONTAINER)
        .image(&shape.image)
        .essential(true)
        // Container-level memory as well as the task's: the whole task is the stage's.
        .memory(i32::try_from(shape.memory_mib).unwrap_or(i32::MAX))
        .set_working_directory(shape.workdir.clone())
        .log_configuration(logs);
    if shape.workspace != WorkspaceMount::None {
        builder = builder.mount_points(
            MountPoint::builder()
                .source_volume(WORKSPACE_VOLUME)
                .container_path(WORKSPACE_PATH)
                .read_only(shape.workspace == WorkspaceMount::ReadOnly)
                .build(),
        );
    }
    Ok(builder.build())
}

fn volume(shape: &TaskShape) -> Result<Option<Volume>, HostError> {
    if shape.workspace == WorkspaceMount::None {
        return Ok(None);
    }
    let efs = EfsVolumeConfiguration::builder()
        .file_system_id(&shape.file_system)
        .transit_encryption(EfsTransitEncryption::Enabled)
        .authorization_config(
            EfsAuthorizationConfig::builder()
                .access_point_id(&shape.access_point)
                .iam(EfsAuthorizationConfigIam::Enabled)
                .build(),
        )
        .build()
        .map_err(invalid)?;
    Ok(Some(
        Volume::builder()
            .name(WORKSPACE_VOLUME)
            .efs_volume_configuration(efs)
            .build(),
    ))
}

fn invalid(e: aws_sdk_ecs::error::BuildError) -> HostError {
    HostError::Invalid(format!("cannot build the ECS request: {e}"))
}
