//! Retries: a failed attempt runs again after its backoff, up to `retries` times.

use crate::support::{Harness, command_stage, pipeline};
use seamless_core::state::{RunStatus, StageStatus};

/// Fails on its first attempt, succeeds on the next (the marker stays in the
/// repository, which the run uses in place).
const FLAKY: &str = "if [ -f tried ]; then exit 0; fi; touch tried; exit 1";

#[tokio::test]
async fn a_flaky_stage_is_retried_and_passes() {
    let h = Harness::new(&pipeline(
        &[("flaky", FLAKY)],
        &command_stage("flaky", &[], "retries = 2\nretry-backoff = \"10ms\""),
    ));
    let (outcome, _) = h.run(h.request(1)).await;
    let outcome = outcome.unwrap();
    assert_eq!(outcome.status, RunStatus::Success);
    let record = h.stage(&outcome.run_id, "app", "flaky");
    assert_eq!(record.status, StageStatus::Success);
    assert_eq!(record.attempts, 2, "one failure, one success");
    assert_eq!(h.host.starts_of("flaky"), 2);
}

#[tokio::test]
async fn retries_run_out_and_the_stage_fails_with_its_last_reason() {
    let h = Harness::new(&pipeline(
        &[("broken", "exit 7")],
        &command_stage("broken", &[], "retries = 2\nretry-backoff = \"10ms\""),
    ));
    let (outcome, _) = h.run(h.request(1)).await;
    let outcome = outcome.unwrap();
    assert_eq!(outcome.status, RunStatus::Failure);
    let record = h.stage(&outcome.run_id, "app", "broken");
    assert_eq!(record.status, StageStatus::Failure);
    assert_eq!(record.attempts, 3, "the first attempt and two retries");
    assert!(
        record
            .error
            .unwrap_or_default()
            .contains("exited with code 7"),
        "the reason of the last attempt"
    );
}

#[tokio::test]
async fn a_stage_without_retries_runs_once() {
    let h = Harness::new(&pipeline(
        &[("flaky", FLAKY)],
        &command_stage("flaky", &[], ""),
    ));
    let (outcome, _) = h.run(h.request(1)).await;
    let outcome = outcome.unwrap();
    assert_eq!(outcome.status, RunStatus::Failure);
    assert_eq!(h.stage(&outcome.run_id, "app", "flaky").attempts, 1);
}
