//! What a new user meets first: a pipeline that builds nothing needs no Dockerfile, and
//! a stage that fails says why in its log, not only in its summary.

use crate::support::Scratch;

/// A pipeline of one command stage in a stock image: nothing is built.
const NO_BUILD: &str = "version = 1\npipeline = \"lint\"\n\n[[service]]\nname = \"svc\"\n\
                        [service.commands]\ncheck = \"true\"\n\n\
                        [[stage]]\nname = \"check\"\nuses = \"builtin:command\"\n\
                        [stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"check\"\n";

#[test]
fn a_pipeline_that_builds_nothing_validates_without_a_dockerfile() {
    let s = Scratch::empty();
    s.write("seamless.toml", NO_BUILD);
    let out = s.seamless(&["validate", s.path().to_str().unwrap()], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("ok: pipeline 'lint'"), "{}", out.all());
}

#[test]
fn a_failed_prepare_says_why_in_the_run_log() {
    let s = Scratch::empty();
    let toml = "version = 1\npipeline = \"src\"\n\n[[service]]\nname = \"app\"\n\
                [service.commands]\ncheck = \"true\"\n\n\
                [[stage]]\nname = \"prepare\"\nuses = \"builtin:prepare\"\nscope = \"run\"\n\
                [stage.grants]\nworkspace-write = true\n\n\
                [[stage]]\nname = \"check\"\nuses = \"builtin:command\"\nneeds = [\"prepare\"]\n\
                [stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"check\"\n";
    s.write("seamless.toml", toml);
    let missing = s.path().join("no-such-repository");
    let url = format!("file://{}", missing.display());
    // With --commit the run starts without asking the repository for its HEAD, so
    // the clone in `prepare` is what fails.
    let commit = "1111111111111111111111111111111111111111";
    let run = s.run(&["--host", "local", "--source", &url, "--commit", commit]);
    assert_ne!(run.code, 0, "{}", run.all());
    let id = run.run_id();
    let reason = s.stage(&id, "prepare").error.unwrap_or_default();
    assert!(!reason.is_empty(), "prepare failed without a reason");

    let logs = s.seamless(&["logs", &id], &[]);
    assert_eq!(logs.code, 0, "{}", logs.all());
    let first = reason.lines().next().unwrap_or_default();
    let line = format!("prepare | failed: {first}");
    assert!(
        logs.stdout.contains(&line),
        "`seamless logs` lacks {line:?}:\n{}",
        logs.all()
    );
}
