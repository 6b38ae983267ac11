//! Memory and time caps stop misbehaving plugins; their stage fails, nothing else.

use crate::support::{Scratch, misbehave_wasm};

/// A pipeline of `misbehave` stages: (name, behaviour, extra stage lines).
pub fn misbehave_pipeline(s: &Scratch, stages: &[(&str, &str, &str)]) {
    let wasm = misbehave_wasm();
    let mut toml =
        String::from("version = 1\npipeline = \"misbehave\"\n\n[[service]]\nname = \"svc\"\n\n");
    for (name, behaviour, extra) in stages {
        toml.push_str(&format!(
            "[[stage]]\nname = \"{name}\"\nuses = \"{}\"\n{extra}\n[stage.with]\nbehaviour = \"{behaviour}\"\n\n",
            wasm.display()
        ));
    }
    s.write("seamless.toml", &toml);
    s.write("Dockerfile", "FROM seamless/busybox\n");
}

#[test]
fn plugin_past_its_memory_cap_fails_its_stage_and_an_independent_stage_completes() {
    let s = Scratch::empty();
    misbehave_pipeline(
        &s,
        &[
            ("hog", "oom", "[stage.limits]\nmemory-mib = 32"),
            ("fine", "ok", ""),
        ],
    );
    let run = s.run(&["--host", "local"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    let hog = s.stage(&id, "hog");
    assert_eq!(hog.status.as_str(), "failure");
    let err = hog.error.unwrap();
    assert!(err.contains("memory cap of 32 MiB"), "{err}");
    assert!(err.contains("seamless.toml:"), "{err}");
    assert_eq!(s.stage(&id, "fine").status.as_str(), "success");
}

#[test]
fn plugin_in_an_infinite_loop_is_stopped_at_its_timeout() {
    let s = Scratch::empty();
    misbehave_pipeline(&s, &[("spin", "spin", "[stage.limits]\ntimeout = \"1s\"")]);
    let run = s.run(&["--host", "local"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let err = s.stage(&run.run_id(), "spin").error.unwrap();
    assert!(err.contains("time limit of 1s"), "{err}");
}

#[test]
fn plugin_that_panics_fails_its_stage_not_the_runtime() {
    let s = Scratch::empty();
    misbehave_pipeline(
        &s,
        &[("boom", "panic", ""), ("after", "ok", "needs = [\"boom\"]")],
    );
    let run = s.run(&["--host", "local"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    let boom = s.stage(&id, "boom");
    assert!(boom.error.unwrap().contains("crashed"));
    assert_eq!(s.stage(&id, "after").status.as_str(), "skipped");
    assert!(s.stored_logs(&id).contains("asked to panic"));
}

#[test]
fn workspace_is_read_only_unless_write_is_granted() {
    let s = Scratch::empty();
    misbehave_pipeline(&s, &[("writer", "write-file", "")]);
    let denied = s.run(&["--host", "local"]);
    assert_eq!(denied.code, 1, "{}", denied.all());
    let err = s.stage(&denied.run_id(), "writer").error.unwrap();
    assert!(err.contains("cannot write /workspace/out.txt"), "{err}");
    assert!(!s.path().join("out.txt").exists());

    misbehave_pipeline(
        &s,
        &[(
            "writer",
            "write-file",
            "[stage.grants]\nworkspace-write = true",
        )],
    );
    let granted = s.run(&["--host", "local"]);
    assert_eq!(granted.code, 0, "{}", granted.all());
    assert_eq!(
        std::fs::read_to_string(s.path().join("out.txt")).unwrap(),
        "written by misbehave\n"
    );
}

#[test]
fn plugin_sees_no_environment_and_nothing_outside_the_workspace() {
    let s = Scratch::empty();
    misbehave_pipeline(&s, &[("probe", "probe-sandbox", "")]);
    let run = s.seamless(
        &["run", s.path().to_str().unwrap(), "--host", "local"],
        &[("SEAMLESS_E2E_VISIBLE", "1")],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let probe = s.stage(&run.run_id(), "probe");
    assert_eq!(
        probe.summary.as_deref(),
        Some("sandbox holds: no environment, nothing outside /workspace"),
        "{:?}",
        probe.error
    );
}

#[test]
fn second_run_loads_plugins_from_the_compiled_cache() {
    let s = Scratch::empty();
    misbehave_pipeline(&s, &[("fine", "ok", "")]);
    let first = s.run(&["--host", "local"]);
    assert_eq!(first.code, 0, "{}", first.all());
    let cache = s.data.path().join("cache/components");
    let entries = || std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(entries(), 1);
    let second = s.run(&["--host", "local"]);
    assert_eq!(second.code, 0, "{}", second.all());
    assert_eq!(entries(), 1);
    let logs = s.stored_logs(&second.run_id());
    assert!(logs.contains("(compiled: from cache)"), "{logs}");
    assert!(s.stored_logs(&first.run_id()).contains("(compiled: now)"));
}

#[test]
fn a_file_that_is_not_a_component_fails_its_stage_with_a_load_error() {
    let s = Scratch::empty();
    misbehave_pipeline(&s, &[("fine", "ok", "")]);
    s.write("broken.wasm", "this is not webassembly");
    let mut toml = std::fs::read_to_string(s.path().join("seamless.toml")).unwrap();
    toml.push_str("[[stage]]\nname = \"broken\"\nuses = \"broken.wasm\"\n");
    s.write("seamless.toml", &toml);
    let run = s.run(&["--host", "local"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    let err = s.stage(&id, "broken").error.unwrap();
    assert!(err.contains("cannot load plugin component"), "{err}");
    assert!(err.contains("broken.wasm"), "{err}");
    assert_eq!(s.stage(&id, "fine").status.as_str(), "success");
}

#[test]
fn a_plugin_built_for_another_contract_version_is_refused_by_name() {
    let s = Scratch::empty();
    misbehave_pipeline(&s, &[("fine", "ok", "")]);
    let future = crate::support::future_version_wasm();
    let mut toml = std::fs::read_to_string(s.path().join("seamless.toml")).unwrap();
    toml.push_str(&format!(
        "[[stage]]\nname = \"future\"\nuses = \"{}\"\n",
        future.display()
    ));
    s.write("seamless.toml", &toml);
    let run = s.run(&["--host", "local"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    let err = s.stage(&id, "future").error.unwrap();
    assert!(err.contains("targets seamless:plugin@0.9.0"), "{err}");
    assert!(err.contains("supports seamless:plugin@0.2.x"), "{err}");
    assert_eq!(s.stage(&id, "fine").status.as_str(), "success");
}
