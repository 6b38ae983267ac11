//! Durable runs: a `seamless` process killed with SIGKILL at any point of a run is
//! carried on by `seamless resume` (completed stages are kept, the interrupted one is
//! cleaned up and runs again, an interrupted deploy is settled against what serves,
//! a waiting approval keeps waiting), and `seamless cancel` ends a run, live or
//! orphaned, without leaving containers or networks behind.

mod fixture;

use crate::support::Bg;
use crate::support::{docker, wait_for};
use fixture::*;
use seamless_core::state::{RunStatus, StageStatus};
use std::time::{Duration, Instant};

/// A unit test that waits at the [`crate::support::GATE`], so the test sees the run's
/// containers while it is live, then passes.
const GATED_OK: &str = "while [ ! -e /tmp/seamless-gate ]; do sleep 0.1; done; echo ok";

#[test]
fn run_killed_during_a_container_stage_resumes_and_reruns_only_that_stage() {
    let f = Fixture::new(&Spec {
        unit_test: "sleep 6; echo done",
        slow_start: false,
    });
    let mut run = f.start_run(&["--approve"]);
    let id = f.run_id(&run);
    wait_for(
        "unit-test to run with its container",
        || {
            (status_of(&f.stages(&id), "unit-test") == StageStatus::InProgress
                && !f.stage_containers(&id, "unit-test", true).is_empty())
            .then_some(())
        },
        || run.output() + &f.describe(&id),
    );
    f.see_run_containers_live(&id);
    let before = f.stage_containers(&id, "unit-test", true);
    run.kill9();
    assert_eq!(f.run(&id).status, RunStatus::InProgress);
    assert_eq!(f.stage(&id, "unit-test").attempts, 1);

    let resumed = f.seamless(&["resume"]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.all(), f.describe(&id));
    assert!(
        resumed.stdout.contains(&format!("resuming run {id}")),
        "{}",
        resumed.all()
    );

    let record = f.run(&id);
    assert_eq!(record.status, RunStatus::Success, "{}", f.describe(&id));
    assert_eq!(record.owner_pid, None, "the resumer released the run");
    let stages = f.stages(&id);
    for s in &stages {
        assert_eq!(s.status, StageStatus::Success, "{}", f.describe(&id));
    }
    assert_eq!(f.stage(&id, "prepare").attempts, 1, "prepare was rerun");
    assert_eq!(f.stage(&id, "unit-test").attempts, 2, "{}", f.describe(&id));
    assert_eq!(f.stage(&id, "build").attempts, 1);
    assert_eq!(f.stage(&id, "deploy").attempts, 1);
    assert_eq!(retried_stages(&f.store(), &id), ["unit-test"]);
    // The interrupted attempt's container is gone, and so is every other one.
    for c in &before {
        assert!(
            docker(&["ps", "-a", "-q", "--filter", &format!("id={c}")])
                .trim()
                .is_empty()
        );
    }
    f.assert_nothing_of_run_left(&id);
    let logs = f.scratch.stored_logs(&id);
    assert!(logs.contains("done"), "{logs}");

    let revisions = f.store().revisions(&f.service, &f.env).unwrap();
    assert_eq!(revisions.len(), 1, "{}", f.describe(&id));
    assert_eq!(revisions[0].result, "success");
    f.assert_serves_version();
}

#[test]
fn run_killed_during_a_deploy_resumes_without_deploying_twice() {
    let f = Fixture::new(&Spec {
        unit_test: GATED_OK,
        slow_start: true,
    });
    let mut run = f.start_run(&["--approve"]);
    let id = f.run_id(&run);
    f.open_gate(&id);
    wait_for(
        "the deploy to start a candidate",
        || {
            (status_of(&f.stages(&id), "deploy") == StageStatus::InProgress
                && !f.deploy_replicas().is_empty())
            .then_some(())
        },
        || run.output() + &f.describe(&id),
    );
    run.kill9();
    let store = f.store();
    let interrupted = store.unfinished_revisions(&id).unwrap();
    assert_eq!(interrupted.len(), 1, "{}", f.describe(&id));
    assert!(
        f.get("/version").is_none(),
        "nothing serves before the switch-over"
    );

    let resumed = f.seamless(&["resume", &id]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.all(), f.describe(&id));
    assert_eq!(f.run(&id).status, RunStatus::Success, "{}", f.describe(&id));
    for s in f.stages(&id) {
        assert_eq!(s.status, StageStatus::Success, "{}", f.describe(&id));
    }
    assert_eq!(f.stage(&id, "build").attempts, 1);
    assert_eq!(f.stage(&id, "deploy").attempts, 2, "{}", f.describe(&id));
    assert_eq!(retried_stages(&store, &id), ["deploy"]);

    let revisions = store.revisions(&f.service, &f.env).unwrap();
    let ok: Vec<_> = revisions
        .iter()
        .filter(|r| r.run_id == id && r.result == "success")
        .collect();
    assert_eq!(ok.len(), 1, "{}", f.describe(&id));
    assert!(
        revisions.iter().all(|r| r.result != "in-progress"),
        "{}",
        f.describe(&id)
    );
    let settled = store.revision(&interrupted[0].id).unwrap().unwrap();
    if settled.id != ok[0].id {
        assert_eq!(settled.result, "failure", "{}", f.describe(&id));
    }
    let current = store.current_revision(&f.service, &f.env).unwrap().unwrap();
    assert_eq!(current.id, ok[0].id);
    f.assert_serves_version();

    // One replica of the new revision serves; no candidate is left over.
    let replicas = f.deploy_replicas();
    assert_eq!(replicas.len(), 1, "{replicas:?}");
    assert_eq!(replicas[0].1, ok[0].id, "{replicas:?}");
    assert!(replicas[0].2, "the replica is not running: {replicas:?}");
    let proxy = format!("seamless-{}-{}-proxy", f.service, f.env);
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Running}}", &proxy]).trim(),
        "true"
    );
    f.assert_nothing_of_run_left(&id);
}

#[test]
fn run_killed_while_awaiting_approval_keeps_waiting_after_resume() {
    let f = Fixture::new(&Spec {
        unit_test: GATED_OK,
        slow_start: false,
    });
    let mut run = f.start_run(&[]);
    let id = f.run_id(&run);
    f.open_gate(&id);
    wait_for(
        "the run to wait for approval",
        || (f.run(&id).status == RunStatus::AwaitingApproval).then_some(()),
        || run.output() + &f.describe(&id),
    );
    run.kill9();
    assert_eq!(
        f.stage(&id, "approval").status,
        StageStatus::AwaitingApproval
    );

    let mut resumer = f.spawn("resume", &["resume", &id]);
    let pid = i64::from(resumer.pid());
    wait_for(
        "the resumer to claim the run",
        || (f.run(&id).owner_pid == Some(pid)).then_some(()),
        || resumer.output() + &f.describe(&id),
    );
    // It keeps waiting. The proof that it looked at the gate and chose to wait: its
    // driver loop decides approvals on every pass and beats every few passes, so a
    // heartbeat after the claim comes after such a decision.
    let claimed_beat = f.run(&id).heartbeat_at;
    wait_for(
        "the resumer's first heartbeat after its claim",
        || (f.run(&id).heartbeat_at > claimed_beat).then_some(()),
        || resumer.output() + &f.describe(&id),
    );
    assert!(resumer.running(), "{}", resumer.output());
    let record = f.run(&id);
    assert_eq!(
        record.status,
        RunStatus::AwaitingApproval,
        "{}",
        f.describe(&id)
    );
    assert_eq!(record.owner_pid, Some(pid));
    assert_eq!(
        f.stage(&id, "approval").status,
        StageStatus::AwaitingApproval
    );
    assert_eq!(f.stage(&id, "deploy").status, StageStatus::Idle);
    assert!(f.get("/version").is_none(), "deployed before the approval");

    let approve = f.seamless(&["approve", &id, "--no-resume", "--by", "tester"]);
    assert_eq!(approve.code, 0, "{}", approve.all());
    assert!(
        approve
            .stdout
            .contains(&format!("process {pid} carries the run on")),
        "{}",
        approve.all()
    );
    let resumed = resumer.wait_exit();
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.all(), f.describe(&id));

    assert_eq!(f.run(&id).status, RunStatus::Success);
    for s in f.stages(&id) {
        assert_eq!(s.status, StageStatus::Success, "{}", f.describe(&id));
    }
    assert_eq!(f.stage(&id, "build").attempts, 1, "build was rerun");
    assert_eq!(f.stage(&id, "unit-test").attempts, 1, "unit-test was rerun");
    assert_eq!(f.stage(&id, "deploy").attempts, 1);
    assert!(retried_stages(&f.store(), &id).is_empty());
    let gate = f.stage(&id, "approval");
    assert!(
        gate.summary.as_deref().unwrap_or("").contains("tester"),
        "{gate:?}"
    );
    let revisions = f.store().revisions(&f.service, &f.env).unwrap();
    assert_eq!(revisions.len(), 1, "{}", f.describe(&id));
    assert_eq!(revisions[0].result, "success");
    f.assert_serves_version();
    f.assert_nothing_of_run_left(&id);
}

/// A run (auto-approved) whose `unit-test` stage sleeps a minute, seen live with its
/// containers.
fn long_stage_running() -> (Fixture, Bg, String) {
    let f = Fixture::new(&Spec {
        unit_test: "sleep 60",
        slow_start: false,
    });
    let run = f.start_run(&["--approve"]);
    let id = f.run_id(&run);
    wait_for(
        "the long stage's container to run",
        || (!f.stage_containers(&id, "unit-test", false).is_empty()).then_some(()),
        || run.output() + &f.describe(&id),
    );
    f.see_run_containers_live(&id);
    (f, run, id)
}

/// The run was cancelled, after `prepare` and during `unit-test`: every stage from
/// there on is cancelled.
fn assert_cancelled(f: &Fixture, id: &str) {
    let record = f.run(id);
    assert_eq!(record.status, RunStatus::Cancelled, "{}", f.describe(id));
    assert!(record.finished_at.is_some());
    assert_eq!(f.stage(id, "prepare").status, StageStatus::Success);
    for stage in ["unit-test", "build", "approval", "deploy"] {
        assert_eq!(
            f.stage(id, stage).status,
            StageStatus::Cancelled,
            "{stage}: {}",
            f.describe(id)
        );
    }
}

#[test]
fn cancel_asks_the_live_owner_and_removes_the_runs_containers() {
    let (f, run, id) = long_stage_running();
    let started = Instant::now();
    let cancel = f.seamless(&["cancel", &id]);
    assert_eq!(cancel.code, 0, "{}", cancel.all());
    assert!(
        cancel.stdout.contains(&format!("run {id} cancelled")),
        "{}",
        cancel.all()
    );
    let ended = run.wait_exit();
    let took = started.elapsed();
    assert_eq!(ended.code, 1, "{}", ended.all());
    // Not a speed target: the stage would run 60 s; ending well before shows the
    // cancel stopped it rather than waited for it.
    assert!(
        took < Duration::from_secs(45),
        "cancelling took {}s: it waited for the stage to end",
        took.as_secs()
    );
    eprintln!("cancel of a live run took {:.1}s", took.as_secs_f32());

    assert_cancelled(&f, &id);
    f.assert_nothing_of_run_left(&id);
    assert!(f.deploy_replicas().is_empty());
}

#[test]
fn cancel_of_an_orphaned_run_cancels_it_and_removes_its_containers() {
    let (f, mut run, id) = long_stage_running();
    run.kill9();
    assert!(
        !f.stage_containers(&id, "unit-test", false).is_empty(),
        "the container outlives its killed runtime"
    );

    let started = Instant::now();
    let cancel = f.seamless(&["cancel", &id]);
    let took = started.elapsed();
    assert_eq!(cancel.code, 0, "{}", cancel.all());
    assert!(
        cancel.stdout.contains(&format!("run {id} cancelled")),
        "{}",
        cancel.all()
    );
    eprintln!("cancel of an orphaned run took {:.1}s", took.as_secs_f32());

    assert_cancelled(&f, &id);
    assert_eq!(f.run(&id).owner_pid, None);
    f.assert_nothing_of_run_left(&id);
    assert!(f.deploy_replicas().is_empty());

    // A cancelled run is over: resume has nothing to do with it.
    let resume = f.seamless(&["resume"]);
    assert_eq!(resume.code, 0, "{}", resume.all());
    assert!(
        resume.stdout.contains("no unfinished run"),
        "{}",
        resume.all()
    );
}
