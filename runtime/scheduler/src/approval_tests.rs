//! The gate's decision against a real store: a recorded decision, the expiry, and the
//! two together; and the wait's start surviving a resume.

#![allow(clippy::unwrap_used)]

use crate::approval::{Decision, check_decision};
use crate::recovery::awaiting_since;
use seamless_core::config::When;
use seamless_core::plan::{RunPlan, StageInstance};
use seamless_core::state::{StageEvent, StageStatus};
use seamless_store::{Approval, NewRun, StageKey, Store, now_ms};
use std::time::Duration;

const RUN: &str = "r1";
const HOUR: Duration = Duration::from_secs(3_600);

/// A store with run `r1` whose `approval` gate waits.
fn waiting_gate() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let run = NewRun {
        id: RUN.into(),
        pipeline: "p".into(),
        trigger: "manual".into(),
        commit_sha: seamless_core::commit::Commit::local(0),
        workspace: dir.path().display().to_string(),
        host: "local".into(),
        branch: None,
        request: "{}".into(),
    };
    store
        .create_run(&run, &[("app".into(), "approval".into())])
        .unwrap();
    let key = StageKey {
        run_id: RUN.into(),
        service: "app".into(),
        stage: "approval".into(),
    };
    store.transition(&key, StageEvent::AwaitApproval).unwrap();
    (dir, store)
}

fn decide(store: &Store, approved: bool, reason: Option<&str>) {
    let approval = Approval {
        approved,
        reason: reason.map(str::to_owned),
        decided_by: "alice".into(),
        at: now_ms(),
    };
    store.decide(RUN, &approval).unwrap();
}

#[test]
fn nobody_deciding_is_pending_until_the_expiry_then_a_rejection_naming_it() {
    let (_dir, store) = waiting_gate();
    let now = now_ms();
    assert_eq!(
        check_decision(&store, RUN, now, HOUR).unwrap(),
        Decision::Pending
    );
    let an_hour_ago = now - 3_600_000;
    match check_decision(&store, RUN, an_hour_ago, HOUR).unwrap() {
        Decision::Rejected(why) => {
            assert!(
                why.starts_with("approval expired: nobody approved within 1h"),
                "{why}"
            );
            assert!(why.contains("`[approval] expires`"), "{why}");
        }
        other => panic!("expected the expiry, got {other:?}"),
    }
}

#[test]
fn a_recorded_approval_wins_over_an_expiry_that_passed_meanwhile() {
    // The approval reached the store, then the wait ran out before the driver's next
    // tick looked: the person's decision counts.
    let (_dir, store) = waiting_gate();
    decide(&store, true, None);
    let long_ago = now_ms() - 2 * 3_600_000;
    assert_eq!(
        check_decision(&store, RUN, long_ago, HOUR).unwrap(),
        Decision::Approved("alice".into())
    );
}

#[test]
fn a_rejection_says_who_and_why() {
    let (_dir, store) = waiting_gate();
    decide(&store, false, Some("freeze"));
    assert_eq!(
        check_decision(&store, RUN, now_ms(), HOUR).unwrap(),
        Decision::Rejected("rejected by alice: freeze".into())
    );
}

#[test]
fn after_a_resume_the_wait_counts_from_when_the_gate_began() {
    let (_dir, store) = waiting_gate();
    let began = store
        .events(RUN)
        .unwrap()
        .into_iter()
        .find(|e| e.to == StageStatus::AwaitingApproval.as_str())
        .unwrap()
        .at;
    let plan = RunPlan {
        instances: vec![StageInstance {
            service: "app".into(),
            stage: "approval".into(),
            needs: Vec::new(),
            not_applicable: None,
            when: When::Success,
        }],
    };
    let since = awaiting_since(&store, RUN, &plan, &[StageStatus::AwaitingApproval]).unwrap();
    assert_eq!(since, vec![Some(began)], "not the time of the resume");
    assert_eq!(
        awaiting_since(&store, RUN, &plan, &[StageStatus::Idle]).unwrap(),
        vec![None],
        "only a waiting gate has a start"
    );
}
