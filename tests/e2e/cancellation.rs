//! Interrupting a run cancels its stages and removes its containers.

use crate::support::{Scratch, docker, seamless_bin};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn interrupted_run_is_cancelled_and_leaves_no_container() {
    let service = format!("cancel-{}", std::process::id());
    let s = Scratch::empty();
    s.write("Dockerfile", "FROM seamless/busybox\n");
    s.write(
        "seamless.toml",
        &format!(
            "version = 1\npipeline = \"cancel\"\n\n[[service]]\nname = \"{service}\"\n\
             [service.commands]\nslow = \"sleep 120\"\n\n\
             [[stage]]\nname = \"slow\"\nuses = \"builtin:command\"\n\
             [stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"slow\"\n\n\
             [[stage]]\nname = \"after\"\nuses = \"builtin:command\"\nneeds = [\"slow\"]\n\
             [stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"slow\"\n"
        ),
    );
    let child = Command::new(seamless_bin())
        .args([
            "run",
            s.path().to_str().unwrap(),
            "--host",
            "docker",
            "--data-dir",
        ])
        .arg(s.data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let filter = format!("label=dev.seamless.service={service}");
    let started = Instant::now();
    while docker(&["ps", "-q", "--filter", &filter]).trim().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "container never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
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
