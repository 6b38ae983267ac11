//! Stage tasks on the cluster: starting one (`RunTask` on Fargate in awsvpc mode,
//! with the stage's command and environment as overrides, tagged with its labels and
//! started by its run), and finding a run's tasks by `startedBy` and tags.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ContainerOverride, KeyValuePair, LaunchType,
    NetworkConfiguration, Tag, Task, TaskField, TaskOverride,
};
use seamless_core::config::ecs::EcsOptions;
use seamless_host_api::{HostError, LABEL_RUN};

use crate::Clients;
use crate::action::Action;
use crate::call::{CallError, call};
use crate::stop;
use crate::task_defs::CONTAINER;

/// `DescribeTasks` takes at most this many tasks.
const BATCH: usize = 100;

/// What one stage task runs, beyond its task definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskRequest {
    /// The task definition ARN.
    pub task_definition: String,
    /// The command; empty keeps the image's.
    pub command: Vec<String>,
    /// The environment.
    pub env: Vec<(String, String)>,
    /// The labels, which become tags.
    pub labels: BTreeMap<String, String>,
}

/// Why a task did not start.
#[derive(Debug)]
pub enum StartError {
    /// The task definition is gone (deregistered outside the runtime): register it
    /// again.
    StaleDefinition(CallError),
    /// Anything else.
    Failed(HostError),
}

/// Starts the task and returns its ARN.
pub async fn start(
    clients: &Clients,
    options: &EcsOptions,
    request: &TaskRequest,
) -> Result<String, StartError> {
    let mut container = ContainerOverride::builder()
        .name(CONTAINER)
        .set_environment(Some(
            request
                .env
                .iter()
                .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                .collect(),
        ));
    if !request.command.is_empty() {
        container = container.set_command(Some(request.command.clone()));
    }
    let network = AwsVpcConfiguration::builder()
        .set_subnets(Some(options.subnets.clone()))
        .set_security_groups(
            (!options.security_groups.is_empty()).then(|| options.security_groups.clone()),
        )
        .assign_public_ip(if options.assign_public_ip {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .map_err(|e| {
            StartError::Failed(HostError::Invalid(format!("awsvpc configuration: {e}")))
        })?;
    let run_task = clients
        .ecs
        .run_task()
        .cluster(&options.cluster)
        .task_definition(&request.task_definition)
        .launch_type(LaunchType::Fargate)
        .count(1)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(network)
                .build(),
        )
        .overrides(
            TaskOverride::builder()
                .container_overrides(container.build())
                .build(),
        )
        .set_started_by(request.labels.get(LABEL_RUN).map(|run| started_by(run)))
        .set_tags(Some(tags(&request.labels)));
    let out = match call(Action::RunTask, || run_task.clone().send()).await {
        Ok(out) => out,
        Err(e) if is_stale_definition(&e) => return Err(StartError::StaleDefinition(e)),
        Err(e) => return Err(StartError::Failed(e.into())),
    };
    if let Some(task) = out.tasks().first().and_then(Task::task_arn) {
        return Ok(task.to_owned());
    }
    let failure = out.failures().first();
    Err(StartError::Failed(stop::run_failure(
        failure
            .and_then(|f| f.reason())
            .unwrap_or("RunTask started no task"),
        failure.and_then(|f| f.detail()),
    )))
}

/// Whether `RunTask` refused an inactive or unknown task definition.
fn is_stale_definition(e: &CallError) -> bool {
    let message = e
        .message
        .to_ascii_lowercase()
        .replace("taskdefinition", "task definition");
    let gone = [
        "inactive",
        "not found",
        "does not exist",
        "unable to describe",
    ]
    .iter()
    .any(|word| message.contains(word));
    message.contains("task definition") && gone
}

/// `startedBy` takes up to 36 letters, digits, `-` and `_`.
pub fn started_by(run: &str) -> String {
    run.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(36)
        .collect()
}

/// ECS tags for labels: keys up to 128 characters, values up to 256, of letters,
/// digits, spaces and `_ . : / = + - @`; anything else becomes `_`.
pub fn tags(labels: &BTreeMap<String, String>) -> Vec<Tag> {
    let clean = |text: &str, max: usize| -> String {
        text.chars()
            .map(|c| {
                if c.is_alphanumeric() || " _.:/=+-@".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(max)
            .collect()
    };
    labels
        .iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(clean(k, 128))
                .value(clean(v, 256))
                .build()
        })
        .collect()
}

/// The ARN's last part: the task id, which names its log stream.
pub fn task_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The tasks of the cluster that are not stopped yet and carry every one of
/// `labels` as a tag (a run's are listed by `startedBy`).
pub async fn labelled(
    clients: &Clients,
    cluster: &str,
    labels: &BTreeMap<String, String>,
) -> Result<Vec<Task>, HostError> {
    let mut arns = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = clients
            .ecs
            .list_tasks()
            .cluster(cluster)
            .set_started_by(labels.get(LABEL_RUN).map(|run| started_by(run)))
            .set_next_token(token.clone());
        let page = call(Action::ListTasks, || request.clone().send()).await?;
        arns.extend(page.task_arns().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let wanted = tags(labels);
    let mut found = Vec::new();
    for batch in arns.chunks(BATCH) {
        let request = clients
            .ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(batch.to_vec()))
            .include(TaskField::Tags);
        let answer = call(Action::DescribeTasks, || request.clone().send()).await?;
        found.extend(
            answer
                .tasks()
                .iter()
                .filter(|t| wanted.iter().all(|tag| t.tags().contains(tag)))
                .filter(|t| t.last_status() != Some("STOPPED"))
                .cloned(),
        );
    }
    Ok(found)
}

/// Stops a task; one that is already gone is not an error.
pub async fn stop_task(clients: &Clients, cluster: &str, task: &str) -> Result<(), HostError> {
    let request = clients
        .ecs
        .stop_task()
        .cluster(cluster)
        .task(task)
        .reason("stopped by Seamless");
    match call(Action::StopTask, || request.clone().send()).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() || e.message.contains("not found") => Ok(()),
        Err(e) => Err(e.into()),
    }
}
