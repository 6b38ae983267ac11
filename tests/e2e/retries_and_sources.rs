//! Stage retries, and runs whose source is a git repository rather than the directory
//! holding seamless.toml.

use crate::support::Scratch;
use crate::support::git;

/// One service with one command stage, on the local host (no containers needed).
fn one_stage(s: &Scratch, command: &str, retries: u32) {
    s.write("Dockerfile", "FROM seamless/busybox\n");
    s.write(
        "seamless.toml",
        &format!(
            "version = 1\npipeline = \"retry\"\n\n[[service]]\nname = \"app\"\n\
             [service.commands]\nflaky = \"{command}\"\n\n[[stage]]\nname = \"flaky\"\n\
             uses = \"builtin:command\"\nretries = {retries}\nretry-backoff = \"100ms\"\n\
             [stage.grants]\ncontainers = true\nworkspace-write = true\n\
             [stage.with]\ncommand = \"flaky\"\n"
        ),
    );
}

#[test]
fn a_failed_attempt_is_retried_and_the_second_one_counts() {
    let s = Scratch::empty();
    // Fails the first time (it leaves a marker), passes the second.
    one_stage(
        &s,
        "test -f .tried || { touch .tried; echo first-attempt-fails; exit 1; }",
        2,
    );
    let run = s.run(&["--host", "local"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let id = run.run_id();
    let stage = s.stage(&id, "flaky");
    assert_eq!(stage.status.as_str(), "success");
    assert_eq!(stage.attempts, 2, "one retry");
    let events = seamless_store::Store::open(s.data.path())
        .unwrap()
        .events(&id)
        .unwrap();
    let retried: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(retried, ["start", "retry", "start", "succeed"]);
    let logs = s.stored_logs(&id);
    assert!(logs.contains("first-attempt-fails"), "{logs}");
    assert!(
        logs.contains("attempt 2"),
        "the second attempt is announced:\n{logs}"
    );
}

#[test]
fn a_stage_that_keeps_failing_fails_after_its_last_retry() {
    let s = Scratch::empty();
    one_stage(&s, "echo always; exit 3", 2);
    let run = s.run(&["--host", "local"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    let stage = s.stage(&id, "flaky");
    assert_eq!(stage.status.as_str(), "failure");
    assert_eq!(stage.attempts, 3, "the first attempt and two retries");
    assert!(
        stage
            .error
            .unwrap_or_default()
            .contains("exited with code 3"),
        "the last attempt's reason is kept"
    );
}

#[test]
fn a_run_checks_a_git_source_out_at_the_commit_it_is_given() {
    // The repository: two commits; the run asks for the first.
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q", "-b", "main"]);
    let s = Scratch::empty();
    let toml = "version = 1\npipeline = \"src\"\n\n[[service]]\nname = \"app\"\n\
                [service.commands]\nshow = \"cat version.txt\"\n\n\
                [[stage]]\nname = \"prepare\"\nuses = \"builtin:prepare\"\nscope = \"run\"\n\
                [stage.grants]\nworkspace-write = true\n\n\
                [[stage]]\nname = \"show\"\nuses = \"builtin:command\"\nneeds = [\"prepare\"]\n\
                [stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"show\"\n";
    for (file, text) in [
        ("seamless.toml", toml),
        ("Dockerfile", "FROM seamless/busybox\n"),
        ("version.txt", "version-one\n"),
    ] {
        std::fs::write(repo.path().join(file), text).unwrap();
        s.write(file, text);
    }
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-qm", "one"]);
    let first = git(repo.path(), &["rev-parse", "HEAD"]);
    std::fs::write(repo.path().join("version.txt"), "version-two\n").unwrap();
    git(repo.path(), &["commit", "-qam", "two"]);

    let url = format!("file://{}", repo.path().display());
    let run = s.run(&[
        "--host",
        "local",
        "--source",
        &url,
        "--commit",
        &first,
        "--verbose",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let id = run.run_id();
    let prepare = s.stage(&id, "prepare");
    assert!(
        prepare.summary.unwrap_or_default().contains(&first[..12]),
        "prepare names the commit it checked out"
    );
    let logs = s.stored_logs(&id);
    assert!(logs.contains("version-one"), "{logs}");
    assert!(!logs.contains("version-two"), "{logs}");
    // The run's workspace is its own, under the data directory.
    let record = seamless_store::Store::open(s.data.path())
        .unwrap()
        .run(&id)
        .unwrap()
        .unwrap();
    assert!(record.workspace.contains(&id), "{}", record.workspace);
    assert_eq!(record.commit_sha, first);
}
