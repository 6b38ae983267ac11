//! The shop example (`examples/shop`): three Python services through the whole
//! pipeline on Docker: build, push, Compose integration test, deploy to staging and
//! production. Also pull requests, monorepo path filters, and the notify stage.
//!
//! The tests that use the shop deploy (or could deploy) to fixed ports and fixed
//! environment names, so `.config/nextest.toml` puts them in the `shop` test group,
//! one at a time. They push to the registry named by `SEAMLESS_TEST_REGISTRY`.

mod fixture;

use crate::support::{GATE, Run, Scratch, docker, release_gated_run};
use fixture::*;
use seamless_store::Store;
use serde_json::Value;

// Notify.

#[test]
fn notify_posts_the_run_result_as_json_to_a_granted_webhook() {
    let receiver = Receiver::start();
    let port = receiver.port;
    let s = Scratch::empty();
    notify_pipeline(&s, port, &[("notify", "run-end", "success,failure")], true);
    let run = run_on_docker(&s, &[]);
    let hooks = receiver.finish();
    assert_eq!(run.code, 0, "{}", run.all());
    let id = run.run_id();
    let notify = stage(&s, &id, "", "notify");
    assert_eq!(notify.status.as_str(), "success", "{}", table(&s, &id));
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    let hook = &hooks[0];
    assert_eq!(
        (hook.method.as_str(), hook.path.as_str()),
        ("POST", "/hook")
    );
    assert!(
        hook.content_type.starts_with("application/json"),
        "{hook:?}"
    );
    assert!(
        hook.body.contains("\"status\":\"success\""),
        "{}",
        hook.body
    );
    let body: Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(body["run_id"], id.as_str(), "{body}");
    assert_eq!(body["event"], "success", "{body}");
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["pipeline"], "ping", "{body}");
}

#[test]
fn notify_without_the_http_grant_fails_naming_the_capability_and_sends_nothing() {
    let receiver = Receiver::start();
    let port = receiver.port;
    let s = Scratch::empty();
    notify_pipeline(&s, port, &[("notify", "run-end", "success,failure")], false);
    let run = run_on_docker(&s, &[]);
    let hooks = receiver.finish();
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    let notify = stage(&s, &id, "", "notify");
    assert_eq!(notify.status.as_str(), "failure", "{}", table(&s, &id));
    let err = notify.error.unwrap_or_default();
    assert!(err.contains(&format!("http '127.0.0.1:{port}'")), "{err}");
    assert!(
        err.contains(&format!("http = [\"127.0.0.1:{port}\"]")),
        "{err}"
    );
    assert!(err.contains("[stage.grants]"), "{err}");
    assert!(hooks.is_empty(), "the receiver got {hooks:?}");
}

#[test]
fn notify_at_run_start_posts_a_start_event_before_the_end() {
    let receiver = Receiver::start();
    let port = receiver.port;
    let s = Scratch::empty();
    notify_pipeline(
        &s,
        port,
        &[
            ("announce", "run-start", "start"),
            ("notify", "run-end", "success,failure"),
        ],
        true,
    );
    let run = run_on_docker(&s, &[]);
    let hooks = receiver.finish();
    assert_eq!(run.code, 0, "{}", run.all());
    let id = run.run_id();
    assert_eq!(stage(&s, &id, "", "announce").status.as_str(), "success");
    let events: Vec<(String, String)> = hooks
        .iter()
        .map(|h| {
            let body: Value = serde_json::from_str(&h.body).unwrap();
            assert_eq!(body["run_id"], id.as_str(), "{body}");
            (
                body["event"].as_str().unwrap_or_default().to_owned(),
                body["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("start".to_owned(), "in-progress".to_owned()),
            ("success".to_owned(), "success".to_owned()),
        ],
        "{hooks:?}"
    );
}

// ---------------------------------------------------------------------------------
// The shop.
// ---------------------------------------------------------------------------------

/// How many tests `<service>/test_app.py` of the copy defines.
fn unit_tests_in(s: &Scratch, service: &str) -> u32 {
    let text = std::fs::read_to_string(s.path().join(service).join("test_app.py")).unwrap();
    let n = text
        .lines()
        .filter(|l| l.trim_start().starts_with("def test_"))
        .count();
    u32::try_from(n).unwrap()
}

/// The stage names of the shop's pipeline a push runs, per service.
const PUSH_STAGES: [&str; 6] = [
    "code-quality",
    "unit-test",
    "build",
    "deploy-staging",
    "approval",
    "deploy-production",
];

/// The stage names a pull request runs, per service (up to the build that the
/// integration test needs).
const PULL_REQUEST_STAGES: [&str; 3] = ["code-quality", "unit-test", "build"];

/// The shop's stages that run once per run (the integration test covers every
/// service at once).
const RUN_STAGES: [&str; 3] = ["prepare", "integration-test", "notify"];

/// Makes every service's unit test wait at the [`GATE`], so that
/// [`run_gated`] sees the run's containers while it is live: the positive control
/// for [`leftovers_of_run`] at the end. Call before [`Shop::init_repo`].
fn gate_unit_tests(s: &Scratch) {
    let toml = std::fs::read_to_string(s.path().join("seamless.toml")).unwrap();
    let gated = toml.replace("unit-test = \"", &format!("unit-test = \"{GATE}; "));
    assert_eq!(
        gated.matches(GATE).count(),
        SERVICES.len(),
        "seamless.toml no longer has one `unit-test = \"...\"` command per service"
    );
    s.write("seamless.toml", &gated);
}

/// `seamless run --host docker <extra>` of a shop whose unit tests wait at the gate
/// ([`gate_unit_tests`]); checks that the run's containers are seen while it is live,
/// and releases them.
fn run_gated(s: &Scratch, extra: &[&str]) -> Run {
    let mut args = vec!["--host", "docker"];
    args.extend_from_slice(extra);
    release_gated_run(s.data.path(), s.spawn_run(&args))
}

/// Containers and networks still labelled with `run_id`.
fn leftovers_of_run(run_id: &str) -> String {
    let label = format!("label=dev.seamless.run={run_id}");
    let containers = docker(&["ps", "-a", "--format", "{{.Names}}", "--filter", &label]);
    let networks = docker(&["network", "ls", "--format", "{{.Name}}", "--filter", &label]);
    format!("{containers}{networks}").trim().to_owned()
}

#[test]
fn shop_push_builds_tests_and_deploys_every_service_to_production() {
    let shop = Shop::new();
    // Whatever an earlier, aborted run left on the shop's ports goes first.
    remove_shop_deploys();
    let _cleanup = shop.cleanup(true);
    let s = &shop.s;
    gate_unit_tests(s);
    let commit = shop.init_repo();
    let run = run_gated(s, &["--trigger", "push", "--approve"]);
    let id = run.run_id();
    assert_eq!(run.code, 0, "{}\n{}", run.all(), table(s, &id));

    // Every stage of every service ran, and succeeded.
    assert_eq!(
        instances(s, &id),
        expected_instances(&SERVICES, &PUSH_STAGES, &RUN_STAGES),
        "{}",
        table(s, &id)
    );
    for r in s.stages(&id) {
        assert_eq!(
            r.status.as_str(),
            "success",
            "{}/{}: {:?}\n{}",
            r.service,
            r.stage,
            r.error,
            table(s, &id)
        );
    }
    // The unit tests' JUnit reports gave the counts.
    for svc in SERVICES {
        let tests = stage(s, &id, svc, "unit-test").tests;
        let tests = tests.unwrap_or_else(|| panic!("{svc}/unit-test has no test counts"));
        assert_eq!(
            (tests.passed, tests.failed, tests.skipped),
            (unit_tests_in(s, svc), 0, 0),
            "{svc}/unit-test"
        );
    }
    assert_eq!(
        stage(s, &id, "payments", "unit-test").tests.unwrap().passed,
        14
    );

    // The images were pushed to the registry, tagged with the commit.
    let registry_host = test_registry();
    let repo_path = shop
        .registry
        .strip_prefix(&format!("{registry_host}/"))
        .unwrap();
    for svc in SERVICES {
        let tags = get_json(&registry_host, &format!("/v2/{repo_path}/{svc}/tags/list"));
        assert!(
            tags["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == commit.as_str())),
            "{svc}: {tags}"
        );
    }

    // Production and staging serve the commit on their stable ports.
    for (i, svc) in SERVICES.iter().enumerate() {
        for (env, port) in [("production", 8081 + i), ("staging", 18081 + i)] {
            let health = get_json(&format!("127.0.0.1:{port}"), "/health");
            assert_eq!(health["status"], "ok", "{svc} {env}: {health}");
            assert_eq!(health["service"], *svc, "{svc} {env}: {health}");
            assert_eq!(health["version"], commit.as_str(), "{svc} {env}: {health}");
        }
    }

    // An order through the production gateway: it reaches production payments and
    // notifications by name on the environment network.
    let (status, body) = http(
        "POST",
        "127.0.0.1:8081",
        "/orders",
        Some(r#"{"item": "teapot", "amount": 2400, "email": "ada@example.com"}"#),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let order: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(order["status"], "confirmed", "{order}");
    let charge = order["charge"].as_str().unwrap().to_owned();
    assert!(charge.starts_with("ch-"), "{order}");
    let notification = order["notification"].as_str().unwrap().to_owned();
    assert!(notification.starts_with("n-"), "{order}");
    let charges = get_json("127.0.0.1:8082", "/charges").to_string();
    assert!(charges.contains(&charge), "production payments: {charges}");
    let notes = get_json("127.0.0.1:8083", "/notifications").to_string();
    assert!(
        notes.contains(&notification),
        "production notifications: {notes}"
    );
    // Staging is another environment: the order did not go there.
    let staging = get_json("127.0.0.1:18082", "/charges").to_string();
    assert!(!staging.contains(&charge), "staging payments: {staging}");

    // Each deploy was recorded as a revision of that commit.
    let store = Store::open(s.data.path()).unwrap();
    for svc in SERVICES {
        for env in ENVIRONMENTS {
            let revisions = store.revisions(svc, env).unwrap();
            assert_eq!(revisions.len(), 1, "{svc} {env}: {revisions:?}");
            let r = &revisions[0];
            assert_eq!(r.result, "success", "{r:?}");
            assert_eq!(r.commit_sha, commit, "{r:?}");
            assert_eq!(r.run_id, id, "{r:?}");
            assert!(
                r.image.starts_with(&format!("{}/{svc}", shop.registry)),
                "{r:?}"
            );
        }
    }
    let listed = s.seamless(&["deployments", "payments", "--env", "production"], &[]);
    assert_eq!(listed.code, 0, "{}", listed.all());
    assert!(listed.stdout.contains(&commit[..12]), "{}", listed.all());
    // The run's own containers and networks (integration tests, stages) are gone.
    assert_eq!(leftovers_of_run(&id), "", "left behind by run {id}");
}

#[test]
fn shop_failing_integration_test_fails_the_run_and_leaves_nothing_behind() {
    let shop = Shop::new();
    let _cleanup = shop.cleanup(false);
    let s = &shop.s;
    let test = s.path().join("integration/test_shop.py");
    let text = std::fs::read_to_string(&test).unwrap();
    let right = r#"self.assertEqual(order["status"], "confirmed")"#;
    assert!(text.contains(right), "integration/test_shop.py changed");
    s.write(
        "integration/test_shop.py",
        &text.replacen(right, r#"self.assertEqual(order["status"], "shipped")"#, 1),
    );
    gate_unit_tests(s);
    shop.init_repo();
    let run = run_gated(s, &["--trigger", "pull-request"]);
    let id = run.run_id();
    assert_eq!(run.code, 1, "{}\n{}", run.all(), table(s, &id));
    // The one, run-scoped integration test failed, with its test counts.
    let it = stage(s, &id, "", "integration-test");
    assert_eq!(it.status.as_str(), "failure", "{}", table(s, &id));
    let err = it.error.unwrap_or_default();
    assert!(err.contains("test service `tests`"), "{err}");
    let counts = it.tests.expect("the JUnit report's counts are kept");
    assert_eq!(counts.failed, 1, "{counts:?}");
    for svc in SERVICES {
        // What ran before it passed.
        for before in ["code-quality", "unit-test", "build"] {
            assert_eq!(
                stage(s, &id, svc, before).status.as_str(),
                "success",
                "{}",
                table(s, &id)
            );
        }
    }
    let logs = s.stored_logs(&id);
    assert!(
        logs.contains("AssertionError: 'confirmed' != 'shipped'"),
        "the assertion's failure is logged:\n{logs}"
    );
    assert_eq!(leftovers_of_run(&id), "", "left behind by run {id}");
}

#[test]
fn shop_pull_request_stops_after_the_integration_test_and_deploys_nothing() {
    let shop = Shop::new();
    let _cleanup = shop.cleanup(false);
    let s = &shop.s;
    gate_unit_tests(s);
    shop.init_repo();
    let run = run_gated(s, &["--trigger", "pull-request"]);
    let id = run.run_id();
    assert_eq!(run.code, 0, "{}\n{}", run.all(), table(s, &id));
    assert_eq!(
        instances(s, &id),
        expected_instances(&SERVICES, &PULL_REQUEST_STAGES, &RUN_STAGES),
        "{}",
        table(s, &id)
    );
    for r in s.stages(&id) {
        assert_eq!(r.status.as_str(), "success", "{}", table(s, &id));
    }
    let store = Store::open(s.data.path()).unwrap();
    for svc in SERVICES {
        let revisions = store.service_revisions(svc).unwrap();
        assert!(revisions.is_empty(), "{svc} was deployed: {revisions:?}");
    }
    let label = format!("label=dev.seamless.deploy.run={id}");
    assert_eq!(docker(&["ps", "-a", "-q", "--filter", &label]), "");
    assert_eq!(leftovers_of_run(&id), "", "left behind by run {id}");
}

#[test]
fn path_filter_runs_only_the_services_whose_files_changed() {
    let shop = Shop::new();
    let _cleanup = shop.cleanup(false);
    let s = &shop.s;
    let a = shop.init_repo();
    let app = std::fs::read_to_string(s.path().join("payments/app.py")).unwrap();
    s.write(
        "payments/app.py",
        &format!("{app}# a change to payments only\n"),
    );
    let b = commit_all(s.path(), "payments: a comment");

    let args = [
        "--trigger",
        "pull-request",
        "--stage",
        "unit-test",
        "--base",
    ];
    let mut only_payments = args.to_vec();
    only_payments.push(&a);
    let run = run_on_docker(s, &only_payments);
    let id = run.run_id();
    assert_eq!(run.code, 0, "{}\n{}", run.all(), table(s, &id));
    assert_eq!(
        instances(s, &id),
        expected_instances(&["payments"], &["unit-test"], &["prepare", "notify"]),
        "{}",
        table(s, &id)
    );
    assert!(
        run.stdout
            .contains("unchanged, not run: gateway, notifications"),
        "{}",
        run.all()
    );
    assert_eq!(
        stage(s, &id, "payments", "unit-test").status.as_str(),
        "success"
    );

    // A change to seamless.toml runs every service.
    let toml = std::fs::read_to_string(s.path().join("seamless.toml")).unwrap();
    s.write(
        "seamless.toml",
        &format!("{toml}# a change to the pipeline\n"),
    );
    let c = commit_all(s.path(), "pipeline: a comment");
    let mut every = args.to_vec();
    every.push(&b);
    let run = run_on_docker(s, &every);
    let id = run.run_id();
    assert_eq!(run.code, 0, "{}\n{}", run.all(), table(s, &id));
    assert_eq!(
        instances(s, &id),
        expected_instances(&SERVICES, &["unit-test"], &["prepare", "notify"]),
        "{}",
        table(s, &id)
    );
    assert!(!run.stdout.contains("not run"), "{}", run.all());

    // Nothing changed since C: nothing runs.
    let mut none = args.to_vec();
    none.push(&c);
    let run = run_on_docker(s, &none);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("nothing to run"), "{}", run.all());
    assert!(!run.stdout.contains("seamless: run "), "{}", run.all());
}
