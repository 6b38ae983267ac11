#![allow(clippy::unwrap_used)]

use super::*;

fn stopped<'a>(
    stop_code: &'a str,
    stopped_reason: &'a str,
    container_reason: &'a str,
    exit_code: Option<i32>,
) -> Stopped<'a> {
    let some = |s: &'a str| (!s.is_empty()).then_some(s);
    Stopped {
        stop_code: some(stop_code),
        stopped_reason: some(stopped_reason),
        container_reason: some(container_reason),
        exit_code,
    }
}

#[test]
fn a_command_that_exited_gives_its_exit_code() {
    let exited = "Essential container in task exited";
    assert_eq!(
        outcome(&stopped("EssentialContainerExited", exited, "", Some(0))).unwrap(),
        0
    );
    assert_eq!(
        outcome(&stopped("EssentialContainerExited", exited, "", Some(3))).unwrap(),
        3
    );
    assert_eq!(outcome(&stopped("", "", "", Some(1))).unwrap(), 1);
}

#[test]
fn every_stop_is_read_as_its_kind() {
    let cases = [
        (
            stopped(
                "TaskFailedToStart",
                "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref example.com/x:1: not found",
                "",
                None,
            ),
            StopKind::ImagePull,
        ),
        (
            stopped(
                "EssentialContainerExited",
                "Essential container in task exited",
                "OutOfMemoryError: Container killed due to memory usage",
                Some(137),
            ),
            StopKind::OutOfMemory,
        ),
        (
            stopped(
                "TaskFailedToStart",
                "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes",
                "",
                None,
            ),
            StopKind::FailedToStart,
        ),
        (
            stopped(
                "",
                "ResourceInitializationError: unable to pull secrets or registry auth",
                "",
                None,
            ),
            StopKind::FailedToStart,
        ),
        (
            stopped(
                "EssentialContainerExited",
                "",
                "CannotStartContainerError: Error response from daemon",
                None,
            ),
            StopKind::FailedToStart,
        ),
        (
            stopped("UserInitiated", "Task stopped by user", "", Some(143)),
            StopKind::StoppedByUser,
        ),
        (
            stopped(
                "SpotInterruption",
                "Your Spot Task was interrupted.",
                "",
                None,
            ),
            StopKind::StoppedByEcs,
        ),
        (
            stopped(
                "ServiceSchedulerInitiated",
                "Scaling activity initiated by deployment",
                "",
                Some(0),
            ),
            StopKind::StoppedByEcs,
        ),
        (stopped("", "", "", None), StopKind::Unexplained),
    ];
    for (task, expected) in cases {
        assert_eq!(kind(&task), Some(expected), "{task:?}");
        let err = outcome(&task).unwrap_err().to_string();
        assert!(err.starts_with("ecs: "), "{err}");
        for reason in [task.stopped_reason, task.container_reason]
            .into_iter()
            .flatten()
        {
            assert!(err.contains(reason), "{err} does not quote {reason}");
        }
    }
}

#[test]
fn the_messages_name_the_fix() {
    let pull = stopped(
        "TaskFailedToStart",
        "CannotPullContainerError: denied",
        "",
        None,
    );
    let err = outcome(&pull).unwrap_err().to_string();
    assert!(err.contains("could not pull its image"), "{err}");
    assert!(
        err.contains("ecr:BatchGetImage") && err.contains("assign-public-ip"),
        "{err}"
    );
    let oom = stopped(
        "",
        "",
        "OutOfMemoryError: Container killed due to memory usage",
        Some(137),
    );
    let err = outcome(&oom).unwrap_err().to_string();
    assert!(
        err.contains("ran out of memory") && err.contains("memory-mib"),
        "{err}"
    );
    let user = stopped("UserInitiated", "Task stopped by user", "", Some(143));
    assert!(
        outcome(&user)
            .unwrap_err()
            .to_string()
            .contains("stopped before it finished")
    );
}

#[test]
fn run_task_failures_say_what_to_change() {
    let capacity = run_failure(
        "Capacity is unavailable at this time. Please try again later or in a different availability zone",
        Some("arn:aws:ecs:eu-west-1:123456789012:container-instance/x"),
    )
    .to_string();
    assert!(
        capacity.contains("no Fargate capacity") && capacity.contains("`subnets`"),
        "{capacity}"
    );
    let missing = run_failure("MISSING", None).to_string();
    assert!(missing.contains("`cluster`"), "{missing}");
    let other = run_failure("AGENT", Some("x")).to_string();
    assert_eq!(other, "ecs: ECS could not start the task: AGENT (x)");
}
