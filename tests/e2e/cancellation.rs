//! Interrupting a run cancels its stages and removes its containers.

use crate::support::{Scratch, docker, wait_for};
use seamless_test_support::stages::command_stage;
use std::process::Command;

#[test]
fn interrupted_run_is_cancelled_and_leaves_no_container() {
    let service = format!("cancel-{}", std::process::id());
    let s = Scratch::empty();
    s.write("Dockerfile", "FROM seamless/busybox\n");
    s.write(
        "seamless.toml",
        &format!(
            "version = 1\npipeline = \"cancel\"\n\n[[service]]\nname = \"{service}\"\n\
             [service.commands]\nslow = \"sleep 120\"\n\n{}\n{}",
            command_stage("slow", &[], "slow"),
            command_stage("after", &["slow"], "slow"),
        ),
    );
    let child = s.spawn_run(&["--host", "docker"]);
    let filter = format!("label=dev.seamless.service={service}");
    wait_for(
        "the slow stage's container to start",
        || (!docker(&["ps", "-q", "--filter", &filter]).trim().is_empty()).then_some(()),
        String::new,
    );
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let run = crate::support::Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    assert_eq!(s.stage(&id, "slow").status.as_str(), "cancelled");
    assert_eq!(s.stage(&id, "after").status.as_str(), "cancelled");
    assert!(
        docker(&["ps", "-a", "-q", "--filter", &filter])
            .trim()
            .is_empty(),
        "containers left behind"
    );
}
