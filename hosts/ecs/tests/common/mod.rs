//! The AWS side of the ECS host's contract tests: a cluster, a log group, a file
//! system and the default network on moto, and readers of what the host made.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use seamless_core::config::ecs::EcsOptions;
use seamless_host_api::{
    ContainerSpec, HostError, LABEL_RUN, LABEL_SERVICE, LABEL_STAGE, WorkspaceMount,
};
use seamless_host_ecs::logs::LogTiming;
use seamless_host_ecs::watch::Intervals;
use seamless_host_ecs::{Clients, EcsHost, Endpoint, HostMemory, MemoryCache, Timing};
use seamless_test_support::moto::{Moto, REGION};

/// The test's AWS: clients, the options a host gets, and the cache every host of the
/// test shares.
pub struct Aws {
    pub clients: Clients,
    pub endpoint: Endpoint,
    pub options: EcsOptions,
    pub cache: Arc<MemoryCache>,
}

/// Fast polling, for a stand-in that answers at once.
pub fn fast() -> Timing {
    Timing {
        tasks: Intervals {
            min: Duration::from_millis(50),
            max: Duration::from_millis(200),
        },
        logs: LogTiming {
            poll: Duration::from_millis(50),
            poll_max: Duration::from_millis(200),
            grace: Duration::from_millis(100),
        },
    }
}

impl Aws {
    /// The cluster, log group and file system on a freshly reset moto.
    pub async fn set_up(moto: &Moto) -> Aws {
        let endpoint = Endpoint {
            url: moto.endpoint.clone(),
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
        };
        let clients = Clients::load(REGION, Some(&endpoint)).await;
        let account = moto.set_up_ecs();
        let options = EcsOptions {
            region: REGION.into(),
            cluster: account.cluster,
            subnets: vec![account.subnet],
            security_groups: vec![account.security_group],
            assign_public_ip: false,
            execution_role: "arn:aws:iam::123456789012:role/seamless-execution".into(),
            task_role: None,
            log_group: account.log_group,
            file_system: account.file_system,
            cpu: 512,
            memory_mib: 1024,
            repository_prefix: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/seamless".into(),
            builder_image: "gcr.io/kaniko-project/executor:v1.23.2".into(),
        };
        Aws {
            clients,
            endpoint,
            options,
            cache: Arc::new(MemoryCache::default()),
        }
    }

    /// A host on the test's options and cache.
    pub async fn host(&self) -> EcsHost {
        self.host_with(self.options.clone()).await.unwrap()
    }

    /// A host on `options`.
    pub async fn host_with(&self, options: EcsOptions) -> Result<EcsHost, HostError> {
        let cache: Arc<dyn HostMemory> = self.cache.clone();
        EcsHost::connect(options, cache, Some(&self.endpoint), fast()).await
    }

    /// The task as `DescribeTasks` (with tags) shows it.
    pub async fn task(&self, arn: &str) -> aws_sdk_ecs::types::Task {
        let answer = self
            .clients
            .ecs
            .describe_tasks()
            .cluster("seamless")
            .tasks(arn)
            .include(aws_sdk_ecs::types::TaskField::Tags)
            .send()
            .await
            .unwrap();
        answer.tasks().first().cloned().expect("the task exists")
    }

    /// Every active task definition's ARN.
    pub async fn task_definitions(&self) -> Vec<String> {
        let answer = self
            .clients
            .ecs
            .list_task_definitions()
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .send()
            .await
            .unwrap();
        answer.task_definition_arns().to_vec()
    }

    /// A task definition, and its tags.
    pub async fn task_definition(
        &self,
        arn: &str,
    ) -> (
        aws_sdk_ecs::types::TaskDefinition,
        Vec<aws_sdk_ecs::types::Tag>,
    ) {
        let answer = self
            .clients
            .ecs
            .describe_task_definition()
            .task_definition(arn)
            .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
            .send()
            .await
            .unwrap();
        (
            answer.task_definition().unwrap().clone(),
            answer.tags().to_vec(),
        )
    }

    /// The access point a task definition's workspace volume mounts.
    pub async fn mounted_access_point(&self, task_definition: &str) -> String {
        let (definition, _) = self.task_definition(task_definition).await;
        let volume = definition
            .volumes()
            .iter()
            .find(|v| v.name() == Some("workspace"))
            .expect("a workspace volume");
        let efs = volume.efs_volume_configuration().unwrap();
        efs.authorization_config()
            .and_then(|a| a.access_point_id())
            .unwrap()
            .to_owned()
    }

    /// The file system's access points: id to root directory.
    pub async fn access_points(&self) -> BTreeMap<String, String> {
        let answer = self
            .clients
            .efs
            .describe_access_points()
            .file_system_id(&self.options.file_system)
            .send()
            .await
            .unwrap();
        answer
            .access_points()
            .iter()
            .map(|p| {
                (
                    p.access_point_id().unwrap().to_owned(),
                    p.root_directory()
                        .and_then(|r| r.path())
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect()
    }

    /// Writes `lines` to a log stream of the stage log group, as `awslogs` would.
    pub async fn seed_log(&self, stream: &str, lines: &[&str]) {
        self.clients
            .logs
            .create_log_stream()
            .log_group_name("/seamless/stages")
            .log_stream_name(stream)
            .send()
            .await
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let events = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(now + i as i64)
                    .message(*line)
                    .build()
                    .unwrap()
            })
            .collect();
        self.clients
            .logs
            .put_log_events()
            .log_group_name("/seamless/stages")
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
            .unwrap();
    }
}

/// Starts `spec` on `host`, its log going nowhere.
pub async fn start(host: &EcsHost, spec: ContainerSpec) -> seamless_host_api::ContainerHandle {
    use seamless_host_api::ContainerHost;
    host.run(spec, seamless_test_support::logs::collector().0)
        .await
        .expect("the task starts")
}

/// The labels of `run`, and of its stage `stage` when given.
pub fn labels(run: &str, stage: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(LABEL_RUN.to_owned(), run.to_owned())]);
    if let Some(stage) = stage {
        labels.insert(LABEL_STAGE.to_owned(), stage.to_owned());
    }
    labels
}

/// A stage container of `run` for service `api`, mounting the workspace read-only.
pub fn spec(run: &str, stage: &str) -> ContainerSpec {
    let mut labels = labels(run, Some(stage));
    labels.insert(LABEL_SERVICE.to_owned(), "api".into());
    ContainerSpec {
        image: "seamless/busybox:latest".into(),
        command: vec!["true".into()],
        workdir: Some("/workspace".into()),
        workspace: Some(WorkspaceMount {
            host_path: "/unused/on/ecs".into(),
            container_path: "/workspace".into(),
            read_only: true,
        }),
        labels,
        ..Default::default()
    }
}
