//! The approval gate in a whole run: it waits, an approval lets the deploy through, a
//! rejection or the expiry fails the gate and skips what follows.

use crate::support::{Harness, command_stage, pipeline, reached};
use seamless_core::state::{RunStatus, StageStatus};
use seamless_store::Approval;

/// `check`, then the gate, then `ship`; the gate expires after `expires`.
fn config(expires: &str) -> String {
    let gate = "[[stage]]\nname = \"approval\"\nuses = \"gate:approval\"\nneeds = [\"check\"]\n\n";
    let stages = [
        command_stage("check", &[], ""),
        gate.to_string(),
        command_stage("ship", &["approval"], ""),
    ]
    .concat();
    // A table after the arrays of tables is still top-level TOML.
    pipeline(&[("check", "true"), ("ship", "true")], &stages)
        + &format!("[approval]\nexpires = \"{expires}\"\n")
}

#[tokio::test]
async fn an_approval_recorded_while_waiting_lets_the_deploy_run() {
    let h = Harness::new(&config("7d"));
    let run_id = h
        .run_until(h.request(1), |e| {
            reached(e, "approval", StageStatus::AwaitingApproval)
        })
        .await;
    assert_eq!(h.host.starts_of("ship"), 0, "nothing passes a waiting gate");
    h.store
        .decide(
            &run_id,
            &Approval {
                approved: true,
                reason: None,
                decided_by: "alice".into(),
                at: seamless_store::now_ms(),
            },
        )
        .unwrap();
    let outcome = h.resume(&run_id).await.unwrap();
    assert_eq!(outcome.status, RunStatus::Success);
    let gate = h.stage(&run_id, "app", "approval");
    assert_eq!(gate.summary.as_deref(), Some("approved by alice"));
    assert_eq!(h.stage(&run_id, "app", "ship").status, StageStatus::Success);
}

#[tokio::test]
async fn a_rejection_fails_the_gate_and_skips_the_deploy() {
    let h = Harness::new(&config("7d"));
    let run_id = h
        .run_until(h.request(1), |e| {
            reached(e, "approval", StageStatus::AwaitingApproval)
        })
        .await;
    h.store
        .decide(
            &run_id,
            &Approval {
                approved: false,
                reason: Some("not on a Friday".into()),
                decided_by: "bob".into(),
                at: seamless_store::now_ms(),
            },
        )
        .unwrap();
    let outcome = h.resume(&run_id).await.unwrap();
    assert_eq!(outcome.status, RunStatus::Failure);
    let gate = h.stage(&run_id, "app", "approval");
    assert_eq!(gate.status, StageStatus::Failure);
    assert_eq!(
        gate.error.as_deref(),
        Some("rejected by bob: not on a Friday")
    );
    assert_eq!(h.stage(&run_id, "app", "ship").status, StageStatus::Skipped);
    assert_eq!(h.host.starts_of("ship"), 0);
}

#[tokio::test]
async fn nobody_deciding_expires_the_gate() {
    let h = Harness::new(&config("1s"));
    let (outcome, _) = h.run(h.request(1)).await;
    let outcome = outcome.unwrap();
    assert_eq!(outcome.status, RunStatus::Failure);
    let gate = h.stage(&outcome.run_id, "app", "approval");
    let why = gate.error.unwrap_or_default();
    assert!(
        why.starts_with("approval expired: nobody approved within 1s"),
        "{why}"
    );
    assert_eq!(
        h.stage(&outcome.run_id, "app", "ship").status,
        StageStatus::Skipped
    );
}
