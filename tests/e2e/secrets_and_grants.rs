//! Capabilities are checked against grants, and secrets never reach a log.

use crate::sandbox_limits::misbehave_pipeline;
use crate::support::Scratch;

#[test]
fn calling_an_ungranted_capability_fails_with_the_plugin_capability_and_line() {
    let s = Scratch::empty();
    misbehave_pipeline(&s, &[("sneaky", "containers", "")]);
    let run = s.run(&["--host", "local"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let err = s.stage(&run.run_id(), "sneaky").error.unwrap();
    assert!(err.contains("plugin 'misbehave'"), "{err}");
    assert!(err.contains("capability 'containers'"), "{err}");
    assert!(err.contains("containers = true"), "{err}");
    assert!(err.contains("seamless.toml:8"), "{err}");
}

#[test]
fn secret_values_never_appear_in_printed_or_stored_logs() {
    let secret = "hunter2-very-secret-value";
    let s = Scratch::empty();
    let grants = "[stage.grants]\ncontainers = true\nsecrets = [\"API_TOKEN\"]";
    misbehave_pipeline(
        &s,
        &[
            ("leak", "leak-secret", grants),
            ("fail", "fail-with-secret", grants),
        ],
    );
    let mut toml = std::fs::read_to_string(s.path().join("seamless.toml")).unwrap();
    toml = toml.replacen(
        "[[service]]",
        "[secrets.API_TOKEN]\nfrom-env = \"E2E_API_TOKEN\"\n\n[[service]]",
        1,
    );
    s.write("seamless.toml", &toml);
    let args = [
        "run",
        s.path().to_str().unwrap(),
        "--host",
        "docker",
        "--verbose",
    ];
    let run = s.seamless(&args, &[("E2E_API_TOKEN", secret)]);
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    let stored = s.stored_logs(&id);
    assert_eq!(s.stage(&id, "leak").status.as_str(), "success");
    let failed = s.stage(&id, "fail").error.unwrap();
    assert_eq!(failed, "failing with token ***");
    assert!(!run.all().contains(secret), "printed: {}", run.all());
    assert!(!stored.contains(secret), "stored: {stored}");
    // The masked lines are there: from log.write, stdout, stderr and the container.
    assert!(stored.matches("***").count() >= 4, "{stored}");
    assert!(stored.contains("token=***"), "{stored}");
}
