//! The driver: bounded parallelism and what a failure does to the rest of the DAG.

use crate::support::{Harness, command_stage, pipeline};
use seamless_core::state::{RunStatus, StageStatus};
use std::sync::atomic::Ordering;

/// Each command marks that it started, then waits (up to 5 s, so a broken scheduler
/// fails the test instead of hanging it) until `n` commands have started.
fn rendezvous(n: usize) -> String {
    format!(
        "touch started.$$; i=0; while [ $(ls started.* | wc -l) -lt {n} ] && [ $i -lt 100 ]; \
         do sleep 0.05; i=$((i+1)); done"
    )
}

#[tokio::test]
async fn independent_stages_run_as_many_at_once_as_allowed_and_no_more() {
    let wait_for_two = rendezvous(2);
    let commands: Vec<(&str, &str)> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| (*n, wait_for_two.as_str()))
        .collect();
    let stages: String = ["a", "b", "c", "d"]
        .iter()
        .map(|n| command_stage(n, &[], ""))
        .collect();
    let h = Harness::new(&pipeline(&commands, &stages));
    let (outcome, _) = h.run(h.request(2)).await;
    assert_eq!(outcome.unwrap().status, RunStatus::Success);
    assert_eq!(h.host.peak.load(Ordering::SeqCst), 2, "max-parallel 2");
}

#[tokio::test]
async fn one_at_a_time_never_overlaps() {
    let commands = [("a", "true"), ("b", "true"), ("c", "true")];
    let stages: String = ["a", "b", "c"]
        .iter()
        .map(|n| command_stage(n, &[], ""))
        .collect();
    let h = Harness::new(&pipeline(&commands, &stages));
    let (outcome, _) = h.run(h.request(1)).await;
    assert_eq!(outcome.unwrap().status, RunStatus::Success);
    assert_eq!(h.host.peak.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failure_skips_its_dependents_and_lets_independent_stages_finish() {
    let commands = [
        ("lint", "echo lint failed >&2; exit 3"),
        ("test", "true"),
        ("package", "true"),
        ("docs", "true"),
    ];
    let stages = [
        command_stage("lint", &[], ""),
        command_stage("test", &[], ""),
        command_stage("package", &["lint", "test"], ""),
        command_stage("docs", &["test"], ""),
    ]
    .concat();
    let h = Harness::new(&pipeline(&commands, &stages));
    let (outcome, _) = h.run(h.request(4)).await;
    let outcome = outcome.unwrap();
    assert_eq!(outcome.status, RunStatus::Failure);
    let id = &outcome.run_id;
    let lint = h.stage(id, "app", "lint");
    assert_eq!(lint.status, StageStatus::Failure);
    let why = lint.error.unwrap_or_default();
    assert!(why.contains("exited with code 3"), "{why}");
    assert_eq!(h.stage(id, "app", "test").status, StageStatus::Success);
    assert_eq!(h.stage(id, "app", "docs").status, StageStatus::Success);
    assert_eq!(h.stage(id, "app", "package").status, StageStatus::Skipped);
    assert_eq!(
        h.host.starts_of("package"),
        0,
        "a skipped stage starts nothing"
    );
}

#[tokio::test]
async fn every_container_of_the_run_is_swept_when_it_ends() {
    let h = Harness::new(&pipeline(&[("a", "true")], &command_stage("a", &[], "")));
    let (outcome, _) = h.run(h.request(1)).await;
    let run_id = outcome.unwrap().run_id;
    let removed = h.host.removed.lock().unwrap().clone();
    assert!(
        removed
            .iter()
            .any(|l| l.get(seamless_host_api::LABEL_RUN) == Some(&run_id) && l.len() == 1),
        "the run's sweep by its run label: {removed:?}"
    );
}
