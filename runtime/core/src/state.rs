//! The stage state machine: the one place where a stage's status may change.
//!
//! [`apply`] is the transition function; the scheduler and the store call it rather than
//! setting statuses themselves. [`run_status`] folds the statuses of a run's stages into
//! the status of the run.
//!
//! | from               | event           | to                  |
//! |--------------------|-----------------|---------------------|
//! | idle               | start           | in-progress         |
//! | idle               | skip            | skipped             |
//! | idle               | cancel          | cancelled           |
//! | idle               | await-approval  | awaiting-approval   |
//! | in-progress        | succeed         | success             |
//! | in-progress        | fail            | failure             |
//! | in-progress        | cancel          | cancelled           |
//! | in-progress        | retry           | idle                |
//! | awaiting-approval  | approve         | in-progress         |
//! | awaiting-approval  | reject          | failure             |
//! | awaiting-approval  | cancel          | cancelled           |
//!
//! Terminal statuses (success, failure, skipped, cancelled) accept no event.
//!
//! `retry` puts a running stage back to idle: after a failed attempt that its retry
//! policy allows to repeat, and on resume after a crash, when the attempt that was
//! running died with the runtime.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Status of one stage instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageStatus {
    /// Not started yet.
    Idle,
    /// Running.
    InProgress,
    /// Finished successfully.
    Success,
    /// Finished unsuccessfully, or approval was rejected.
    Failure,
    /// Not run, e.g. because the stage did not apply.
    Skipped,
    /// Stopped before it finished, or never started because the run was cancelled.
    Cancelled,
    /// Waiting for a person to approve it.
    AwaitingApproval,
}

impl StageStatus {
    /// Every status, for tests and listings.
    pub const ALL: [StageStatus; 7] = [
        StageStatus::Idle,
        StageStatus::InProgress,
        StageStatus::Success,
        StageStatus::Failure,
        StageStatus::Skipped,
        StageStatus::Cancelled,
        StageStatus::AwaitingApproval,
    ];

    /// The kebab-case name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            StageStatus::Idle => "idle",
            StageStatus::InProgress => "in-progress",
            StageStatus::Success => "success",
            StageStatus::Failure => "failure",
            StageStatus::Skipped => "skipped",
            StageStatus::Cancelled => "cancelled",
            StageStatus::AwaitingApproval => "awaiting-approval",
        }
    }

    /// Whether no event can change this status any more.
    pub fn is_terminal(self) -> bool {
        match self {
            StageStatus::Success
            | StageStatus::Failure
            | StageStatus::Skipped
            | StageStatus::Cancelled => true,
            StageStatus::Idle | StageStatus::InProgress | StageStatus::AwaitingApproval => false,
        }
    }
}

impl fmt::Display for StageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StageStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StageStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus {
                value: s.to_string(),
                expected: names(StageStatus::ALL.iter().map(|s| s.as_str())),
            })
    }
}

/// Something that happens to a stage instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageEvent {
    /// The stage begins to run.
    Start,
    /// The stage finished successfully.
    Succeed,
    /// The stage finished unsuccessfully.
    Fail,
    /// The stage will not run.
    Skip,
    /// The run is being cancelled.
    Cancel,
    /// The stage needs a person's approval before it runs.
    AwaitApproval,
    /// A person approved the stage.
    Approve,
    /// A person rejected the stage.
    Reject,
    /// The running attempt ended without a result that counts; the stage waits to be
    /// started again.
    Retry,
}

impl StageEvent {
    /// Every event, for tests and listings.
    pub const ALL: [StageEvent; 9] = [
        StageEvent::Start,
        StageEvent::Succeed,
        StageEvent::Fail,
        StageEvent::Skip,
        StageEvent::Cancel,
        StageEvent::AwaitApproval,
        StageEvent::Approve,
        StageEvent::Reject,
        StageEvent::Retry,
    ];

    /// The kebab-case name, as logged.
    pub fn as_str(self) -> &'static str {
        match self {
            StageEvent::Start => "start",
            StageEvent::Succeed => "succeed",
            StageEvent::Fail => "fail",
            StageEvent::Skip => "skip",
            StageEvent::Cancel => "cancel",
            StageEvent::AwaitApproval => "await-approval",
            StageEvent::Approve => "approve",
            StageEvent::Reject => "reject",
            StageEvent::Retry => "retry",
        }
    }
}

impl fmt::Display for StageEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event that the stage's current status does not accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid stage transition: event '{event}' is not accepted by a stage that is '{from}'")]
pub struct InvalidTransition {
    /// The status the stage was in.
    pub from: StageStatus,
    /// The rejected event.
    pub event: StageEvent,
}

/// The next status of a stage in `state` after `event`, per the table in the module docs.
pub fn apply(state: StageStatus, event: StageEvent) -> Result<StageStatus, InvalidTransition> {
    use StageEvent::{Approve, AwaitApproval, Cancel, Fail, Reject, Retry, Skip, Start, Succeed};
    use StageStatus::{AwaitingApproval, Cancelled, Failure, Idle, InProgress, Skipped, Success};
    match (state, event) {
        (Idle, Start) => Ok(InProgress),
        (Idle, Skip) => Ok(Skipped),
        (Idle, Cancel) => Ok(Cancelled),
        (Idle, AwaitApproval) => Ok(AwaitingApproval),
        (Idle, Succeed | Fail | Approve | Reject | Retry) => {
            Err(InvalidTransition { from: state, event })
        }

        (InProgress, Succeed) => Ok(Success),
        (InProgress, Fail) => Ok(Failure),
        (InProgress, Cancel) => Ok(Cancelled),
        (InProgress, Retry) => Ok(Idle),
        (InProgress, Start | Skip | AwaitApproval | Approve | Reject) => {
            Err(InvalidTransition { from: state, event })
        }

        (AwaitingApproval, Approve) => Ok(InProgress),
        (AwaitingApproval, Reject) => Ok(Failure),
        (AwaitingApproval, Cancel) => Ok(Cancelled),
        (AwaitingApproval, Start | Succeed | Fail | Skip | AwaitApproval | Retry) => {
            Err(InvalidTransition { from: state, event })
        }

        (
            Success | Failure | Skipped | Cancelled,
            Start | Succeed | Fail | Skip | Cancel | AwaitApproval | Approve | Reject | Retry,
        ) => Err(InvalidTransition { from: state, event }),
    }
}

/// Status of a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Some stage has not finished.
    InProgress,
    /// Every stage succeeded or was skipped.
    Success,
    /// Some stage failed.
    Failure,
    /// Some stage was cancelled and none failed.
    Cancelled,
    /// Nothing is running and some stage waits for approval.
    AwaitingApproval,
}

impl RunStatus {
    /// Every run status, for tests and listings.
    pub const ALL: [RunStatus; 5] = [
        RunStatus::InProgress,
        RunStatus::Success,
        RunStatus::Failure,
        RunStatus::Cancelled,
        RunStatus::AwaitingApproval,
    ];

    /// The kebab-case name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::InProgress => "in-progress",
            RunStatus::Success => "success",
            RunStatus::Failure => "failure",
            RunStatus::Cancelled => "cancelled",
            RunStatus::AwaitingApproval => "awaiting-approval",
        }
    }

    /// Whether the run is over.
    pub fn is_terminal(self) -> bool {
        match self {
            RunStatus::Success | RunStatus::Failure | RunStatus::Cancelled => true,
            RunStatus::InProgress | RunStatus::AwaitingApproval => false,
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus {
                value: s.to_string(),
                expected: names(RunStatus::ALL.iter().map(|s| s.as_str())),
            })
    }
}

/// A status name that is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status \"{value}\"; expected one of {expected}")]
pub struct UnknownStatus {
    /// The rejected text.
    pub value: String,
    /// The accepted names, comma-separated.
    pub expected: String,
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

/// The status of a run from the statuses of its stages.
///
/// In order: any idle or running stage makes the run in progress; otherwise any stage
/// awaiting approval makes it await approval; otherwise any failure makes it a failure,
/// any cancellation a cancellation, and else (all succeeded or skipped) a success.
pub fn run_status(stages: &[StageStatus]) -> RunStatus {
    let any = |wanted: StageStatus| stages.contains(&wanted);
    if any(StageStatus::Idle) || any(StageStatus::InProgress) {
        RunStatus::InProgress
    } else if any(StageStatus::AwaitingApproval) {
        RunStatus::AwaitingApproval
    } else if any(StageStatus::Failure) {
        RunStatus::Failure
    } else if any(StageStatus::Cancelled) {
        RunStatus::Cancelled
    } else {
        RunStatus::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in StageStatus::ALL {
            assert_eq!(status.as_str().parse::<StageStatus>(), Ok(status));
        }
        for status in RunStatus::ALL {
            assert_eq!(status.as_str().parse::<RunStatus>(), Ok(status));
        }
    }

    #[test]
    fn unknown_status_name_lists_the_valid_ones() {
        let error = "done".parse::<StageStatus>().err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "unknown status \"done\"; expected one of idle, in-progress, success, failure, skipped, cancelled, awaiting-approval"
            )
        );
    }

    #[test]
    fn stage_runs_from_idle_to_success() {
        let running = apply(StageStatus::Idle, StageEvent::Start);
        assert_eq!(running, Ok(StageStatus::InProgress));
        assert_eq!(
            apply(StageStatus::InProgress, StageEvent::Succeed),
            Ok(StageStatus::Success)
        );
    }

    #[test]
    fn approved_stage_starts_running_and_rejected_stage_fails() {
        assert_eq!(
            apply(StageStatus::AwaitingApproval, StageEvent::Approve),
            Ok(StageStatus::InProgress)
        );
        assert_eq!(
            apply(StageStatus::AwaitingApproval, StageEvent::Reject),
            Ok(StageStatus::Failure)
        );
    }

    #[test]
    fn idle_stage_cannot_succeed_directly() {
        let error = apply(StageStatus::Idle, StageEvent::Succeed);
        assert_eq!(
            error,
            Err(InvalidTransition {
                from: StageStatus::Idle,
                event: StageEvent::Succeed
            })
        );
        assert_eq!(
            error.err().map(|e| e.to_string()).as_deref(),
            Some(
                "invalid stage transition: event 'succeed' is not accepted by a stage that is 'idle'"
            )
        );
    }

    #[test]
    fn statuses_serialize_as_kebab_case() {
        #[derive(Serialize)]
        struct Row {
            status: StageStatus,
        }
        let text = toml::to_string(&Row {
            status: StageStatus::AwaitingApproval,
        });
        assert_eq!(
            text.ok().as_deref(),
            Some("status = \"awaiting-approval\"\n")
        );
    }

    #[test]
    fn run_of_no_stages_is_a_success() {
        assert_eq!(run_status(&[]), RunStatus::Success);
    }

    #[test]
    fn run_with_a_failure_and_a_cancellation_is_a_failure() {
        let stages = [
            StageStatus::Cancelled,
            StageStatus::Failure,
            StageStatus::Success,
        ];
        assert_eq!(run_status(&stages), RunStatus::Failure);
    }

    #[test]
    fn run_awaiting_approval_while_another_stage_runs_is_in_progress() {
        let stages = [StageStatus::AwaitingApproval, StageStatus::InProgress];
        assert_eq!(run_status(&stages), RunStatus::InProgress);
    }

    #[test]
    fn run_of_successes_and_skips_is_a_success() {
        let stages = [StageStatus::Skipped, StageStatus::Success];
        assert_eq!(run_status(&stages), RunStatus::Success);
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        /// The documented transition table, written out independently of `apply`.
        const TABLE: [(StageStatus, StageEvent, StageStatus); 11] = [
            (
                StageStatus::Idle,
                StageEvent::Start,
                StageStatus::InProgress,
            ),
            (StageStatus::Idle, StageEvent::Skip, StageStatus::Skipped),
            (
                StageStatus::Idle,
                StageEvent::Cancel,
                StageStatus::Cancelled,
            ),
            (
                StageStatus::Idle,
                StageEvent::AwaitApproval,
                StageStatus::AwaitingApproval,
            ),
            (
                StageStatus::InProgress,
                StageEvent::Succeed,
                StageStatus::Success,
            ),
            (
                StageStatus::InProgress,
                StageEvent::Fail,
                StageStatus::Failure,
            ),
            (
                StageStatus::InProgress,
                StageEvent::Cancel,
                StageStatus::Cancelled,
            ),
            (
                StageStatus::InProgress,
                StageEvent::Retry,
                StageStatus::Idle,
            ),
            (
                StageStatus::AwaitingApproval,
                StageEvent::Approve,
                StageStatus::InProgress,
            ),
            (
                StageStatus::AwaitingApproval,
                StageEvent::Reject,
                StageStatus::Failure,
            ),
            (
                StageStatus::AwaitingApproval,
                StageEvent::Cancel,
                StageStatus::Cancelled,
            ),
        ];

        fn status() -> impl Strategy<Value = StageStatus> {
            proptest::sample::select(StageStatus::ALL.to_vec())
        }

        fn event() -> impl Strategy<Value = StageEvent> {
            proptest::sample::select(StageEvent::ALL.to_vec())
        }

        fn is_running(status: StageStatus) -> bool {
            matches!(status, StageStatus::Idle | StageStatus::InProgress)
        }

        proptest! {
            #[test]
            fn apply_follows_exactly_the_documented_table(from in status(), event in event()) {
                let documented = TABLE
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                match apply(from, event) {
                    Ok(to) => prop_assert_eq!(Some(to), documented),
                    Err(error) => {
                        prop_assert_eq!(documented, None);
                        prop_assert_eq!(error, InvalidTransition { from, event });
                    }
                }
            }

            #[test]
            fn event_sequences_never_leave_a_terminal_state(
                events in proptest::collection::vec(event(), 0..40),
            ) {
                let mut state = StageStatus::Idle;
                let mut terminal: Option<StageStatus> = None;
                for event in events {
                    if let Ok(next) = apply(state, event) {
                        state = next;
                    }
                    if let Some(done) = terminal {
                        prop_assert_eq!(state, done);
                        prop_assert!(apply(state, event).is_err());
                    } else if state.is_terminal() {
                        terminal = Some(state);
                    }
                }
            }

            #[test]
            fn terminal_states_accept_no_event(from in status(), event in event()) {
                if from.is_terminal() {
                    prop_assert!(apply(from, event).is_err());
                }
            }

            #[test]
            fn run_with_an_idle_or_running_stage_is_in_progress(
                stages in proptest::collection::vec(status(), 0..12),
            ) {
                let running = stages.iter().any(|s| is_running(*s));
                prop_assert_eq!(run_status(&stages) == RunStatus::InProgress, running);
            }

            #[test]
            fn run_awaits_approval_only_when_nothing_runs(
                stages in proptest::collection::vec(status(), 0..12),
            ) {
                let expected = !stages.iter().any(|s| is_running(*s))
                    && stages.contains(&StageStatus::AwaitingApproval);
                prop_assert_eq!(run_status(&stages) == RunStatus::AwaitingApproval, expected);
            }

            #[test]
            fn finished_run_with_a_failure_is_a_failure(
                stages in proptest::collection::vec(status(), 0..12),
            ) {
                let finished = stages.iter().all(|s| s.is_terminal());
                if finished && stages.contains(&StageStatus::Failure) {
                    prop_assert_eq!(run_status(&stages), RunStatus::Failure);
                }
            }

            #[test]
            fn finished_run_is_a_success_only_if_all_succeeded_or_skipped(
                stages in proptest::collection::vec(status(), 0..12),
            ) {
                let all_fine = stages
                    .iter()
                    .all(|s| matches!(s, StageStatus::Success | StageStatus::Skipped));
                prop_assert_eq!(run_status(&stages) == RunStatus::Success, all_fine);
            }

            #[test]
            fn run_is_terminal_exactly_when_every_stage_is(
                stages in proptest::collection::vec(status(), 0..12),
            ) {
                let all_terminal = stages.iter().all(|s| s.is_terminal());
                prop_assert_eq!(run_status(&stages).is_terminal(), all_terminal);
            }

            #[test]
            fn run_status_ignores_stage_order(
                stages in proptest::collection::vec(status(), 0..12),
            ) {
                let mut reversed = stages.clone();
                reversed.reverse();
                prop_assert_eq!(run_status(&stages), run_status(&reversed));
            }
        }
    }
}
