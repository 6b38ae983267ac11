//! Tests of run ownership, approvals, revisions and listings.

#![allow(clippy::unwrap_used)]

use seamless_core::state::{RunStatus, StageEvent};

use crate::records::{Approval, NewRun, Revision, StageKey, TestCounts};
use crate::{RunFilter, Store, StoreError, now_ms};

fn new_run(id: &str, trigger: &str, branch: Option<&str>) -> NewRun {
    NewRun {
        id: id.into(),
        pipeline: "p".into(),
        trigger: trigger.into(),
        commit_sha: seamless_core::commit::Commit::local(0xabc),
        workspace: "/w".into(),
        host: "docker".into(),
        branch: branch.map(str::to_string),
        request: "{\"k\":1}".into(),
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

fn stages(service: &str) -> Vec<(String, String)> {
    vec![(service.into(), "build".into())]
}

#[test]
fn a_run_is_owned_by_its_creator_and_claimable_once_the_owner_is_gone() {
    let (_d, store) = store();
    store
        .create_run(&new_run("r1", "push", Some("main")), &stages("web"))
        .unwrap();
    let run = store.run("r1").unwrap().unwrap();
    assert_eq!(run.owner_pid, Some(i64::from(std::process::id())));
    assert_eq!(run.request, "{\"k\":1}");
    assert_eq!(run.branch.as_deref(), Some("main"));
    assert!(store.owner_alive(&run), "this test process is alive");
    assert!(store.orphaned_runs().unwrap().is_empty());
    // Another process cannot claim it while this one lives.
    assert!(!store.claim_run("r1", 1).unwrap());

    // A PID that does not exist owns nothing.
    store
        .conn()
        .execute("UPDATE runs SET owner_pid = 999999999", [])
        .unwrap();
    let orphans = store.orphaned_runs().unwrap();
    assert_eq!(orphans.len(), 1);
    assert!(store.claim_run("r1", std::process::id()).unwrap());
    assert!(store.orphaned_runs().unwrap().is_empty());

    // A finished run is never claimed.
    store.finish_run("r1", RunStatus::Success).unwrap();
    store.release_run("r1").unwrap();
    assert!(!store.claim_run("r1", std::process::id()).unwrap());
}

#[test]
fn approval_takes_one_decision() {
    let (_d, store) = store();
    store
        .create_run(&new_run("r1", "push", None), &stages("web"))
        .unwrap();
    assert_eq!(store.approval("r1").unwrap(), None);
    let approve = Approval {
        approved: true,
        reason: None,
        decided_by: "ann".into(),
        at: now_ms(),
    };
    store.decide("r1", &approve).unwrap();
    store.decide("r1", &approve).unwrap();
    let reject = Approval {
        approved: false,
        reason: Some("no".into()),
        decided_by: "bob".into(),
        at: now_ms(),
    };
    let error = store.decide("r1", &reject).unwrap_err();
    assert!(
        matches!(error, StoreError::AlreadyDecided { .. }),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "run 'r1' was already approved by ann; a run takes one decision"
    );
    assert!(store.approval("r1").unwrap().unwrap().approved);
}

fn revision(id: &str, started_at: i64) -> Revision {
    Revision {
        id: id.into(),
        service: "web".into(),
        environment: "production".into(),
        image: format!("web:{id}"),
        digest: None,
        commit_sha: seamless_core::commit::Commit::git(&format!("{id:0<40}")).unwrap(),
        run_id: "r1".into(),
        started_at,
        finished_at: None,
        result: Revision::IN_PROGRESS.into(),
        reason: None,
        endpoint: "http://127.0.0.1:8080".into(),
    }
}

#[test]
fn the_current_revision_is_the_newest_success() {
    let (_d, store) = store();
    store.start_revision(&revision("a", 1)).unwrap();
    store
        .finish_revision("a", Revision::SUCCESS, None, None)
        .unwrap();
    store.start_revision(&revision("b", 2)).unwrap();
    assert_eq!(store.unfinished_revisions("r1").unwrap().len(), 1);
    let failed = store
        .finish_revision("b", Revision::FAILURE, Some("unhealthy"), None)
        .unwrap();
    assert_eq!(failed.reason.as_deref(), Some("unhealthy"));
    assert!(failed.finished_at.is_some());
    assert_eq!(
        store
            .current_revision("web", "production")
            .unwrap()
            .unwrap()
            .id,
        "a"
    );
    let ids: Vec<String> = store
        .revisions("web", "production")
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["b", "a"]);
    // A revision ends once.
    assert!(
        store
            .finish_revision("b", Revision::SUCCESS, None, None)
            .is_err()
    );
    assert!(store.current_revision("web", "staging").unwrap().is_none());
}

#[test]
fn runs_are_listed_newest_first_with_filters() {
    let (_d, store) = store();
    store
        .create_run(&new_run("r1", "push", Some("main")), &stages("web"))
        .unwrap();
    store
        .create_run(&new_run("r2", "pull-request", Some("fix")), &stages("api"))
        .unwrap();
    store.finish_run("r1", RunStatus::Failure).unwrap();
    let ids = |filter: RunFilter| -> Vec<String> {
        store
            .list_runs(&filter)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(ids(RunFilter::default()), ["r2", "r1"]);
    let by_service = RunFilter {
        service: Some("web".into()),
        ..RunFilter::default()
    };
    assert_eq!(ids(by_service), ["r1"]);
    let by_status = RunFilter {
        status: Some(RunStatus::InProgress),
        ..RunFilter::default()
    };
    assert_eq!(ids(by_status), ["r2"]);
    let by_trigger_and_branch = RunFilter {
        trigger: Some("push".into()),
        branch: Some("main".into()),
        ..RunFilter::default()
    };
    assert_eq!(ids(by_trigger_and_branch), ["r1"]);
}

#[test]
fn attempts_and_test_counts_are_recorded_per_stage() {
    let (_d, store) = store();
    store
        .create_run(&new_run("r1", "push", None), &stages("web"))
        .unwrap();
    let key = StageKey {
        run_id: "r1".into(),
        service: "web".into(),
        stage: "build".into(),
    };
    assert_eq!(store.begin_attempt(&key).unwrap(), 1);
    store.transition(&key, StageEvent::Start).unwrap();
    store.transition(&key, StageEvent::Retry).unwrap();
    assert_eq!(store.begin_attempt(&key).unwrap(), 2);
    let counts = TestCounts {
        passed: 3,
        failed: 1,
        skipped: 2,
    };
    store.set_tests(&key, counts).unwrap();
    let stage = &store.stages("r1").unwrap()[0];
    assert_eq!(stage.attempts, 2);
    assert_eq!(stage.tests, Some(counts));
}

#[test]
fn processes_sharing_the_database_do_not_get_busy_errors() {
    // Each thread opens its own connection, as separate `seamless` processes do, and
    // reads-then-writes (a transition) while the others write.
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let store = Store::open(&path).unwrap();
                for n in 0..20 {
                    let id = format!("r{t}-{n}");
                    store
                        .create_run(&new_run(&id, "push", None), &stages("web"))
                        .unwrap();
                    let key = StageKey {
                        run_id: id.clone(),
                        service: "web".into(),
                        stage: "build".into(),
                    };
                    store.transition(&key, StageEvent::Start).unwrap();
                    store.transition(&key, StageEvent::Succeed).unwrap();
                    store.finish_run(&id, RunStatus::Success).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let all = Store::open(dir.path())
        .unwrap()
        .list_runs(&RunFilter {
            limit: 1000,
            ..RunFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), 120);
}
