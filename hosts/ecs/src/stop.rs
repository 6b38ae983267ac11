//! A stopped Fargate task, read as the stage's result: the essential container's exit
//! code, or an error that says what happened and what to change. ECS reports why a
//! task stopped in three places (the task's `stopCode` and `stoppedReason`, and the
//! container's `reason`); the first match below decides.

use seamless_host_api::HostError;

use crate::BACKEND;

/// What `DescribeTasks` says about a stopped task and its essential container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stopped<'a> {
    /// The task's `stopCode`, such as `EssentialContainerExited`.
    pub stop_code: Option<&'a str>,
    /// The task's `stoppedReason`.
    pub stopped_reason: Option<&'a str>,
    /// The container's `reason`, such as `OutOfMemoryError: Container killed due to
    /// memory usage`.
    pub container_reason: Option<&'a str>,
    /// The container's `exitCode`.
    pub exit_code: Option<i32>,
}

/// Why a task ended other than by its command exiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// The image could not be pulled.
    ImagePull,
    /// A container was killed for using more memory than the task has.
    OutOfMemory,
    /// The task could not start (network, volume, secrets or logs set-up failed).
    FailedToStart,
    /// Someone, or something, stopped it (`StopTask`, a user in the console).
    StoppedByUser,
    /// ECS stopped it: a service's scheduler, a Spot interruption, maintenance.
    StoppedByEcs,
    /// It stopped and no reason explains it.
    Unexplained,
}

/// The stage's exit code, or the error that explains the stop.
pub fn outcome(task: &Stopped<'_>) -> Result<i64, HostError> {
    match kind(task) {
        None => Ok(i64::from(task.exit_code.unwrap_or_default())),
        Some(kind) => Err(HostError::Backend {
            backend: BACKEND,
            message: message(kind, task),
        }),
    }
}

/// Why the task stopped, when its command's exit code does not say it.
pub fn kind(task: &Stopped<'_>) -> Option<StopKind> {
    let said = |prefix: &str| {
        [task.container_reason, task.stopped_reason]
            .into_iter()
            .flatten()
            .any(|reason| reason.trim_start().starts_with(prefix))
    };
    if said("OutOfMemoryError") {
        return Some(StopKind::OutOfMemory);
    }
    if said("CannotPullContainerError") || said("CannotPullImageManifestError") {
        return Some(StopKind::ImagePull);
    }
    match task.stop_code {
        Some("TaskFailedToStart") => Some(StopKind::FailedToStart),
        _ if said("ResourceInitializationError")
            || said("CannotStartContainerError")
            || said("CannotCreateVolumeError") =>
        {
            Some(StopKind::FailedToStart)
        }
        Some("UserInitiated") => Some(StopKind::StoppedByUser),
        Some("ServiceSchedulerInitiated" | "SpotInterruption" | "TerminationNotice") => {
            Some(StopKind::StoppedByEcs)
        }
        _ if task.exit_code.is_some() => None,
        _ => Some(StopKind::Unexplained),
    }
}

/// The message for a stop of `kind`: what happened, ECS's own words, and the fix.
fn message(kind: StopKind, task: &Stopped<'_>) -> String {
    let said = [task.container_reason, task.stopped_reason]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let said = if said.is_empty() {
        "ECS gave no reason".to_owned()
    } else {
        format!("ECS said: {said}")
    };
    match kind {
        StopKind::ImagePull => format!(
            "the task could not pull its image ({said}); check the image name and tag, that \
             the execution role may pull it (ecr:GetAuthorizationToken, ecr:BatchGetImage), \
             and that the subnets reach the registry (`assign-public-ip = true` or a NAT \
             gateway)"
        ),
        StopKind::OutOfMemory => format!(
            "the task ran out of memory ({said}); give it more with `memory-mib` under \
             [hosts.ecs]"
        ),
        StopKind::FailedToStart => format!(
            "the task failed to start ({said}); check that the execution role may write to \
             the log group (logs:CreateLogStream, logs:PutLogEvents), that the EFS file \
             system has a mount target in each subnet, and that the security groups allow \
             NFS (port 2049) to it"
        ),
        StopKind::StoppedByUser => {
            format!("the task was stopped before it finished ({said}), by StopTask or a user")
        }
        StopKind::StoppedByEcs => format!(
            "ECS stopped the task before it finished ({}; {said}); the stage can be retried",
            task.stop_code.unwrap_or("no stop code")
        ),
        StopKind::Unexplained => format!(
            "the task stopped without an exit code ({}; {said})",
            task.stop_code.unwrap_or("no stop code")
        ),
    }
}

/// The error for a `RunTask` that started nothing: `reason` is the `failures[].reason`
/// ECS answered, such as `Capacity is unavailable at this time`.
pub fn run_failure(reason: &str, detail: Option<&str>) -> HostError {
    let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
    let message = if reason.contains("Capacity is unavailable") || reason.starts_with("RESOURCE:") {
        format!(
            "no Fargate capacity to start the task: {reason}{detail}; try again later, or add \
             subnets in other availability zones to `subnets` under [hosts.ecs]"
        )
    } else if reason == "MISSING" || reason.contains("not found") {
        format!(
            "ECS could not start the task: {reason}{detail}; check `cluster`, `subnets` and \
             `security-groups` under [hosts.ecs]"
        )
    } else {
        format!("ECS could not start the task: {reason}{detail}")
    };
    HostError::Backend {
        backend: BACKEND,
        message,
    }
}

#[cfg(test)]
mod tests;
