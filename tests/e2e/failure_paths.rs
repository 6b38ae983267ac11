//! Failure paths (issue 19): a registry push that fails inside a run, a rollback to a
//! revision whose image is gone, and a plugin that crashes while its containers run.
//! The server's "cannot tell which files changed" fallback is in
//! `serve/failure_paths.rs`, beside the server's helpers.
//!
//! Every "nothing changed" or "nothing left" check compares with what the same query
//! sees when the thing exists, so it cannot pass vacuously.

use crate::deploys::{Deploy, assert_says, ok};
use crate::sandbox_limits::misbehave_pipeline;
use crate::support::commit_all;
use crate::support::{Run, Scratch, containers_of_run, docker, docker_cleanup, wait_for};
use seamless_store::{RunFilter, Store};

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    // Reserved for this test and never bound: nothing listens on it.
    seamless_test_support::ports::reserve_for_process()
}

/// The host of the local registry that wants basic auth.
fn auth_registry_host() -> String {
    seamless_test_support::registry::with_auth().host
}

/// The registry without auth.
fn test_registry() -> String {
    seamless_test_support::registry::plain()
}

/// Removes the local images of a repository when dropped.
struct Images(String);

impl Drop for Images {
    fn drop(&mut self) {
        let filter = format!("reference={}:*", self.0);
        let listed = docker(&["images", "-q", "--filter", &filter]);
        let ids: Vec<&str> = listed.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rmi", "-f"];
            args.extend(ids);
            docker_cleanup(&args);
        }
    }
}

/// Points the pipeline's `[registry] url` at `url` and commits it; the new commit.
fn set_registry(d: &Deploy, url: &str) -> String {
    let path = d.s.path().join("seamless.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    let (before, after) = toml.split_once("[registry]\nurl = \"").unwrap();
    let rest = after.split_once('"').unwrap().1;
    std::fs::write(&path, format!("{before}[registry]\nurl = \"{url}\"{rest}")).unwrap();
    commit_all(d.s.path(), url)
}

#[test]
fn a_failed_push_fails_the_build_skips_the_deploy_and_names_the_registry() {
    let nowhere = format!("127.0.0.1:{}", closed_port());
    // Declared first, so dropped last: after `d` has removed the deployed containers
    // that use one of these images.
    let _images: [Images; 3];
    let d = Deploy::new(
        "push",
        false,
        &format!("[registry]\nurl = \"{nowhere}/e2e\"\n"),
    );
    let pid = std::process::id();
    let working = format!("{}/e2e-fail-{pid}", test_registry());
    let auth = format!("{}/e2e-fail-{pid}", auth_registry_host());
    _images = [&format!("{nowhere}/e2e"), &auth, &working]
        .map(|registry| Images(format!("{registry}/{}", d.service)));
    d.commit("v1", true);

    // Nothing listens there; then a registry that wants credentials the run lacks.
    for (registry, why) in [
        (format!("{nowhere}/e2e"), "connection refused"),
        (auth.clone(), "no basic auth credentials"),
    ] {
        let commit = set_registry(&d, &registry);
        let run = d.run();
        assert_eq!(run.code, 1, "{}", run.all());
        let id = run.run_id();
        let build = d.s.stage(&id, "build");
        assert_eq!(build.status.as_str(), "failure", "{}", run.all());
        let error = build.error.unwrap_or_default();
        let image = format!("{registry}/{}:{commit}", d.service);
        assert_says(&error, &[&format!("pushing '{image}' failed"), why]);
        // The image was built: only the push failed.
        assert!(
            !docker(&["images", "-q", &image]).trim().is_empty(),
            "{image} was not built:\n{}",
            d.s.stored_logs(&id)
        );
        // The run's output says it too, not only the store.
        assert_says(&run.all(), &[&registry]);
        assert_eq!(d.s.stage(&id, "deploy").status.as_str(), "skipped");
        assert!(d.revisions().is_empty(), "{:?}", d.revisions());
        assert!(d.deployed_images().is_empty(), "{:?}", d.deployed_images());
        assert!(d.version().is_err(), "something serves: {:?}", d.version());
    }

    // The positive control: with a registry that takes the push, the same pipeline
    // deploys, and the same queries see the revision and the service.
    set_registry(&d, &working);
    let run = d.run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(d.revisions().len(), 1);
    assert_eq!(d.deployed_images().len(), 2, "{:?}", d.deployed_images());
    assert_eq!(d.version(), ok("v1"));
}

#[test]
fn a_rollback_to_a_revision_whose_image_is_gone_is_refused_and_changes_nothing() {
    let d = Deploy::new("goneimage", false, "");
    let v1 = d.commit("v1", true);
    let first = d.run();
    assert_eq!(first.code, 0, "{}", first.all());
    d.commit("v2", true);
    let second = d.run();
    assert_eq!(second.code, 0, "{}", second.all());
    assert_eq!(d.version(), ok("v2"));

    // v1's image: there while v1 is a revision, then removed.
    let gone = format!("{}:{v1}", d.service);
    assert!(
        !docker(&["images", "-q", &gone]).trim().is_empty(),
        "{gone} is not there before its removal"
    );
    docker(&["rmi", &gone]);
    assert!(docker(&["images", "-q", &gone]).trim().is_empty());

    let store = Store::open(d.s.data.path()).unwrap();
    let runs = || store.list_runs(&RunFilter::default()).unwrap().len();
    let containers = || {
        let label = format!("label=dev.seamless.deploy.service={}", d.service);
        docker(&["ps", "-a", "-q", "--no-trunc", "--filter", &label])
    };
    let (revisions, serving, runs_before, containers_before) =
        (d.revisions(), d.serving(), runs(), containers());
    assert_eq!((revisions.len(), runs_before), (2, 2));
    assert!(!containers_before.trim().is_empty(), "nothing deployed");

    let rollback = d.rollback(&["--to", &v1[..10]]);
    assert_ne!(rollback.code, 0, "{}", rollback.all());
    assert_says(
        &rollback.stderr,
        &[&gone, "is gone", &revisions[1].id, "build"],
    );
    assert_eq!(d.revisions(), revisions, "the revisions changed");
    assert_eq!(d.serving(), serving);
    assert_eq!(runs(), runs_before, "a rollback run was started");
    assert_eq!(
        containers(),
        containers_before,
        "the deployed containers changed"
    );
    assert_eq!(d.version(), ok("v2"));
}

/// A background `seamless run` of the run id in `.1`: if the test fails before it
/// ends, it is killed and the run's containers are removed.
struct Live(Option<std::process::Child>, String);

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
            if !self.1.is_empty() {
                for c in containers_of_run(&self.1) {
                    docker_cleanup(&["rm", "-f", &c]);
                }
            }
        }
    }
}

#[test]
fn a_plugin_that_crashes_while_its_container_runs_leaves_no_container() {
    let s = Scratch::empty();
    misbehave_pipeline(
        &s,
        &[(
            "crash",
            "crash-with-container",
            "[stage.grants]\ncontainers = true",
        )],
    );
    let mut child = Live(Some(s.spawn_run(&["--host", "docker"])), String::new());
    let store = Store::open(s.data.path()).unwrap();
    let id = wait_for(
        "the run to be stored",
        || {
            store
                .list_runs(&RunFilter::default())
                .ok()?
                .into_iter()
                .next()
        },
        String::new,
    )
    .id;
    child.1.clone_from(&id);
    // The positive control: the query sees the long-lived container while it runs.
    let running = |command: &str| {
        let label = format!("label=dev.seamless.run={id}");
        let format = "{{.ID}} {{.Command}}";
        let listed = docker(&["ps", "--no-trunc", "--filter", &label, "--format", format]);
        listed
            .lines()
            .find(|l| l.contains(command))
            .map(|l| l.split_whitespace().next().unwrap().to_owned())
    };
    let long_lived = wait_for(
        "the plugin's two containers to run",
        || running("seamless-gate").and(running("sleep 3600")),
        || s.stored_logs(&id),
    );
    let short = &long_lived[..12];
    assert!(containers_of_run(&id).iter().any(|c| c == short));
    let gate = running("seamless-gate").unwrap();
    docker(&["exec", &gate, "touch", "/tmp/seamless-gate"]);

    let run = Run::from(child.0.take().unwrap().wait_with_output().unwrap());
    assert_eq!(run.code, 1, "{}", run.all());
    let crash = s.stage(&id, "crash");
    assert_eq!(crash.status.as_str(), "failure");
    assert_says(&crash.error.unwrap_or_default(), &["crashed"]);
    let logs = s.stored_logs(&id);
    assert_says(&logs, &["asked to crash while container", &long_lived]);
    assert!(
        containers_of_run(&id).is_empty(),
        "left behind: {:?}",
        containers_of_run(&id)
    );
    let by_id = format!("id={long_lived}");
    assert!(
        docker(&["ps", "-a", "-q", "--filter", &by_id])
            .trim()
            .is_empty()
    );
}
