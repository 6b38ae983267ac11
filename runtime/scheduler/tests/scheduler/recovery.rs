//! Resuming a run whose process died: finished stages stay finished, the
//! interrupted one is cleaned up and runs again.

use crate::support::{Harness, command_stage, pipeline};
use seamless_core::state::{RunStatus, StageStatus};
use seamless_host_api::{LABEL_RUN, LABEL_STAGE};
use seamless_scheduler::RunEvent;

#[tokio::test]
async fn a_resumed_run_keeps_finished_stages_and_reruns_the_interrupted_one() {
    // `slow` hangs on its first attempt (the runtime "dies" meanwhile) and passes on
    // the second. The test releases the hang right after the "crash", so that the
    // leftover process (the local host cannot always reach it: issue 12) ends soon.
    let slow = "if [ -f resumed ]; then exit 0; fi; touch resumed; echo slow-started; \
                i=0; while [ ! -f release ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done";
    let h = Harness::new(&pipeline(
        &[("first", "true"), ("slow", slow)],
        &[
            command_stage("first", &[], ""),
            command_stage("slow", &["first"], ""),
        ]
        .concat(),
    ));
    // The "crash" comes once the first attempt's process has really started.
    let run_id = h
        .run_until(h.request(1), |e| {
            matches!(e, RunEvent::Log { stage, line, .. }
                if stage == "slow" && line.text.contains("slow-started"))
        })
        .await;
    assert_eq!(
        h.stage(&run_id, "app", "slow").status,
        StageStatus::InProgress
    );

    std::fs::write(h.repo.path().join("release"), "").unwrap();
    let outcome = h.resume(&run_id).await.unwrap();
    assert_eq!(outcome.status, RunStatus::Success);
    let first = h.stage(&run_id, "app", "first");
    assert_eq!(first.attempts, 1, "a finished stage does not run again");
    assert_eq!(h.host.starts_of("first"), 1);
    assert_eq!(h.stage(&run_id, "app", "slow").attempts, 2);
    let removed = h.host.removed.lock().unwrap().clone();
    assert!(
        removed.iter().any(|l| l.get(LABEL_RUN) == Some(&run_id)
            && l.get(LABEL_STAGE).map(String::as_str) == Some("slow")),
        "the interrupted stage's leftovers were removed by label: {removed:?}"
    );
}

#[tokio::test]
async fn a_finished_run_cannot_be_resumed() {
    let h = Harness::new(&pipeline(&[("a", "true")], &command_stage("a", &[], "")));
    let (outcome, _) = h.run(h.request(1)).await;
    let run_id = outcome.unwrap().run_id;
    let err = h.resume(&run_id).await.unwrap_err().to_string();
    assert!(err.contains("already ended"), "{err}");
}
