//! The example pipeline on Docker and on the local host.

use crate::support::{GATE, Scratch, containers_of_run, docker, docker_cleanup, release_gated_run};
use seamless_store::StageRecord;

fn statuses(s: &Scratch, run_id: &str) -> Vec<(String, String)> {
    s.stages(run_id)
        .into_iter()
        .map(|r: StageRecord| (r.stage, r.status.as_str().to_owned()))
        .collect()
}

/// The stages of the example's pipeline (the embedded default), in order, each
/// `success` unless `changed` gives its status.
fn expected(s: &Scratch, changed: &[(&str, &str)]) -> Vec<(String, String)> {
    let config = seamless_core::config::load(s.path()).unwrap();
    for (name, _) in changed {
        assert!(
            config.stages.iter().any(|st| st.name == *name),
            "no stage {name} in the default pipeline"
        );
    }
    config
        .stages
        .iter()
        .map(|st| {
            let status = changed
                .iter()
                .find(|(n, _)| *n == st.name)
                .map_or("success", |c| c.1);
            (st.name.clone(), status.to_owned())
        })
        .collect()
}

#[test]
fn good_pipeline_succeeds_on_docker_and_tags_the_image_with_the_commit() {
    let s = Scratch::example("hello");
    // The unit test waits at a gate, so the test sees the run's containers while the
    // run is live: the control for "no container remains" at the end.
    let test_sh = std::fs::read_to_string(s.path().join("test.sh")).unwrap();
    s.write(
        "test.sh",
        &test_sh.replacen("#!/bin/sh\n", &format!("#!/bin/sh\n{GATE}\n"), 1),
    );
    let run = release_gated_run(s.data.path(), s.spawn_run(&["--host", "docker"]));
    assert_eq!(run.code, 0, "{}", run.all());
    let id = run.run_id();
    // The embedded default pipeline; hello has no deploy targets, so the deploys and
    // the approval gate in front of them do not apply.
    assert_eq!(
        statuses(&s, &id),
        expected(
            &s,
            &[
                ("deploy-staging", "skipped"),
                ("approval", "skipped"),
                ("deploy-production", "skipped"),
            ]
        )
    );
    assert!(
        s.stage(&id, "deploy-staging")
            .summary
            .unwrap_or_default()
            .contains("has no 'staging' target")
    );
    let build = s.stage(&id, "build");
    let summary = build.summary.unwrap();
    let tag = summary.trim_start_matches("built ").to_owned();
    assert!(tag.starts_with("hello:"), "{summary}");
    let inspect = docker(&["image", "inspect", "--format", "{{.Id}}", &tag]);
    assert!(inspect.starts_with("sha256:"), "image {tag} missing");
    let logs = s.stored_logs(&id);
    assert!(logs.contains("test: 1 passed"), "{logs}");
    assert!(containers_of_run(&id).is_empty());
    docker_cleanup(&["image", "rm", "-f", &tag]);
}

#[test]
fn failing_unit_test_fails_the_run_skips_dependents_and_leaves_no_container() {
    let s = Scratch::example("hello");
    s.write(
        "test.sh",
        &format!("#!/bin/sh\n{GATE}\necho 'FAIL: greeting is wrong'\nexit 1\n"),
    );
    let run = release_gated_run(s.data.path(), s.spawn_run(&["--host", "docker"]));
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    assert_eq!(
        statuses(&s, &id),
        expected(
            &s,
            &[
                ("unit-test", "failure"),
                ("build", "skipped"),
                ("integration-test", "skipped"),
                ("deploy-staging", "skipped"),
                ("approval", "skipped"),
                ("deploy-production", "skipped"),
            ]
        )
    );
    assert!(
        s.stage(&id, "build")
            .summary
            .unwrap_or_default()
            .contains("'unit-test' did not succeed")
    );
    let failed = s.stage(&id, "unit-test");
    assert!(failed.error.unwrap().contains("exited with code 1"));
    assert!(s.stored_logs(&id).contains("FAIL: greeting is wrong"));
    assert!(containers_of_run(&id).is_empty(), "containers left behind");
}

#[test]
fn same_pipeline_passes_on_the_local_host() {
    let s = Scratch::example("hello");
    let run = s.run(&["--host", "local", "--verbose"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let id = run.run_id();
    assert!(
        statuses(&s, &id)
            .iter()
            .all(|(_, st)| st == "success" || st == "skipped")
    );
    assert_eq!(s.stage(&id, "build").status.as_str(), "success");
    assert!(
        run.stdout.contains("lint: 3 scripts clean"),
        "{}",
        run.all()
    );
    assert!(s.stored_logs(&id).contains("test: 1 passed"));
}

#[test]
fn stage_filter_runs_the_named_stage_and_what_it_needs_only() {
    let s = Scratch::example("hello");
    let run = s.run(&["--host", "local", "--stage", "unit-test"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let names: Vec<String> = statuses(&s, &run.run_id())
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    // The stage, what it needs, and the run-end notification.
    assert_eq!(names, ["prepare", "unit-test", "notify"]);
}

#[test]
fn runtime_falls_back_to_the_local_host_when_no_docker_engine_answers() {
    let s = Scratch::example("hello");
    let args = ["run", s.path().to_str().unwrap()];
    let run = s.seamless(&args, &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("on the local host"), "{}", run.all());
}
