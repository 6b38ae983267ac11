//! `seamless serve`: signed GitHub deliveries (in GitHub's documented shapes) start runs
//! of a scratch git repository cloned over `file://`; bad signatures and redeliveries
//! start nothing; a server start resumes orphaned runs; SIGTERM stops the server
//! without cancelling what runs. [`github`]: commit statuses and auto-merge against a
//! stand-in GitHub.

use crate::support::git;
use crate::support::wait_for;
use seamless_core::state::StageStatus;

mod api;
mod failure_paths;
mod fixture;
mod fuzz;
mod github;

pub(crate) use fixture::*;

#[test]
fn a_signed_push_to_main_runs_the_pushed_commit() {
    let repo = Repo::new("cat version.txt", "");
    let server = repo.serve("serve");
    let payload = repo.push("main", &repo.first, &repo.second);
    let (status, answer) = server.deliver("push", "push-1", &payload);
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["status"], "queued", "{answer}");

    let run = repo.finished_run_of(&server, "push-1");
    assert_eq!(
        run.status.as_str(),
        "success",
        "{}",
        repo.scratch.stored_logs(&run.id)
    );
    assert_eq!(run.commit_sha, repo.second);
    assert_eq!(run.trigger, "push");
    let delivery = repo.store().delivery("push-1").unwrap().unwrap();
    assert_eq!(delivery.outcome, "started");
    assert_eq!(run.branch.as_deref(), Some("main"));
    assert_eq!(repo.stage_names(&run.id), ["prepare", "show"]);
    let logs = repo.scratch.stored_logs(&run.id);
    assert!(logs.contains("version-two"), "{logs}");
    assert!(!logs.contains("version-one"), "{logs}");
    // The changed files were listed in the repository's mirror.
    let mirror = repo.scratch.data.path().join("repos/test-org_served.git");
    assert!(mirror.join("HEAD").exists(), "no mirror at {mirror:?}");
    let log = server.log();
    assert!(log.contains("webhook queued a run"), "{log}");
    assert!(log.contains("run started"), "{log}");
    assert!(log.contains("run ended"), "{log}");
}

#[test]
fn a_push_runs_only_the_services_whose_files_changed() {
    let repo = two_services();
    let server = repo.serve("serve");
    let payload = repo.push("main", &repo.first, &repo.second);
    let (status, answer) = server.deliver("push", "only-b", &payload);
    assert_eq!(status, 202, "{answer}");

    let run = repo.finished_run_of(&server, "only-b");
    assert_eq!(run.status.as_str(), "success");
    let instances: Vec<(String, String)> = repo
        .scratch
        .stages(&run.id)
        .into_iter()
        .map(|s| (s.service, s.stage))
        .collect();
    assert_eq!(
        instances,
        [
            (String::new(), "prepare".to_owned()),
            ("b".to_owned(), "show".to_owned())
        ],
        "service a did not change"
    );
    let logs = repo.scratch.stored_logs(&run.id);
    assert!(logs.contains("b-two"), "{logs}");
}

#[test]
fn bad_and_missing_signatures_are_401_and_store_nothing() {
    let repo = Repo::new("cat version.txt", "");
    let server = repo.serve("serve");
    let body = serde_json::to_vec(&repo.push("main", &repo.first, &repo.second)).unwrap();
    let wrong = sign("not-the-secret", &body);
    let zeros = format!("sha256={}", "0".repeat(64));
    for (delivery, signature) in [
        ("bad-1", Some(wrong.as_str())),
        ("bad-2", Some(zeros.as_str())),
        ("missing", None),
    ] {
        let (status, answer) = server.post("push", delivery, &body, signature);
        assert_eq!(status, 401, "{delivery}: {answer}");
        assert!(answer["error"]["code"].is_string(), "{answer}");
    }
    // A refused delivery is answered before anything is recorded or queued.
    let store = repo.store();
    assert!(store.deliveries(100).unwrap().is_empty());
    assert!(repo.runs().is_empty());
    assert!(!server.log().contains("run started"), "{}", server.log());
}

#[test]
fn a_redelivery_starts_no_second_run() {
    let repo = Repo::new("cat version.txt", "");
    let server = repo.serve("serve");
    let payload = repo.push("main", &repo.first, &repo.second);
    let (status, answer) = server.deliver("push", "once", &payload);
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = server.deliver("push", "once", &payload);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "duplicate", "{answer}");

    let run = repo.finished_run_of(&server, "once");
    assert_eq!(run.status.as_str(), "success");
    // Redelivered again after the run ended: still nothing new.
    let (status, answer) = server.deliver("push", "once", &payload);
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("duplicate"))
    );
    let runs = repo.runs();
    assert_eq!(
        runs.len(),
        1,
        "{:?}",
        runs.iter().map(|r| &r.id).collect::<Vec<_>>()
    );
}

#[test]
fn an_opened_pull_request_gets_a_partial_run() {
    let repo = Repo::new(
        "cat version.txt",
        "[triggers.pull-request]\nuntil = \"prepare\"\n",
    );
    let origin = repo.scratch.path();
    git(origin, &["checkout", "-q", "-b", "feature"]);
    repo.scratch.write("version.txt", "version-feature\n");
    git(origin, &["commit", "-qam", "feature"]);
    let head = git(origin, &["rev-parse", "HEAD"]);
    git(origin, &["checkout", "-q", "main"]);

    let server = repo.serve("serve");
    let payload = repo.pull_request("feature", &head, &repo.second);
    let (status, answer) = server.deliver("pull_request", "pr-1", &payload);
    assert_eq!(status, 202, "{answer}");

    let run = repo.finished_run_of(&server, "pr-1");
    assert_eq!(run.status.as_str(), "success");
    assert_eq!(run.trigger, "pull-request");
    assert_eq!(run.branch.as_deref(), Some("feature"));
    assert_eq!(run.commit_sha, head);
    assert_eq!(
        repo.stage_names(&run.id),
        ["prepare"],
        "a pull request runs up to `until` only"
    );
}

#[test]
fn a_push_to_another_branch_is_accepted_but_runs_nothing() {
    let repo = Repo::new("cat version.txt", "");
    let server = repo.serve("serve");
    let payload = repo.push("feature", &repo.first, &repo.second);
    let (status, answer) = server.deliver("push", "elsewhere", &payload);
    assert_eq!(status, 202, "{answer}");
    wait_for(
        "the worker to ignore the push",
        || {
            server
                .log()
                .contains("ignored: push to feature")
                .then_some(())
        },
        || server.log(),
    );
    assert!(repo.runs().is_empty());
    let delivery = wait_for(
        "the delivery's outcome",
        || {
            let d = repo.store().delivery("elsewhere").unwrap()?;
            (d.outcome == "ignored").then_some(d)
        },
        || server.log(),
    );
    assert_eq!(delivery.run_id, None);
}

#[test]
fn a_server_start_resumes_an_orphaned_run() {
    let repo = Repo::new("sleep 4; cat version.txt", "");
    let checkout = repo.checkout.path().to_str().unwrap().to_owned();
    let mut run = repo.spawn("run", &["run", &checkout, "--host", "local"]);
    let run_id = wait_for(
        "the slow stage to be running",
        || {
            let id = repo.runs().into_iter().next()?.id;
            let show = repo.scratch.stage(&id, "show");
            assert!(!show.status.is_terminal(), "the slow stage ended too soon");
            (show.status == StageStatus::InProgress).then_some(id)
        },
        || run.output(),
    );
    run.kill9();
    assert!(
        !repo
            .store()
            .run(&run_id)
            .unwrap()
            .unwrap()
            .status
            .is_terminal(),
        "the run must be unfinished when its process dies"
    );

    let server = repo.serve("serve");
    let record = repo.finished(&run_id, || server.log());
    assert_eq!(
        record.status.as_str(),
        "success",
        "{}",
        repo.scratch.stored_logs(&run_id)
    );
    assert_eq!(
        repo.scratch.stage(&run_id, "prepare").attempts,
        1,
        "not rerun"
    );
    let logs = repo.scratch.stored_logs(&run_id);
    assert!(logs.contains("version-two"), "{logs}");
    assert!(server.log().contains("run resumed"), "{}", server.log());
}

#[test]
fn sigterm_stops_the_server_and_the_next_start_carries_its_run_on() {
    let repo = Repo::new("sleep 4; cat version.txt", "");
    let mut server = repo.serve("serve-1");
    let payload = repo.push("main", &repo.first, &repo.second);
    let (status, answer) = server.deliver("push", "slow", &payload);
    assert_eq!(status, 202, "{answer}");
    let run_id = wait_for(
        "the slow stage to be running",
        || {
            let id = repo.store().delivery("slow").unwrap()?.run_id?;
            let show = repo.scratch.stage(&id, "show");
            assert!(!show.status.is_terminal(), "the slow stage ended too soon");
            (show.status == StageStatus::InProgress).then_some(id)
        },
        || server.log(),
    );
    let exit = server.terminate();
    assert_eq!(exit.code(), Some(0), "{}", server.log());
    let record = repo.store().run(&run_id).unwrap().unwrap();
    assert!(
        !record.status.is_terminal(),
        "nothing is cancelled: {:?}",
        record.status
    );

    let next = repo.serve("serve-2");
    let record = repo.finished(&run_id, || next.log());
    assert_eq!(
        record.status.as_str(),
        "success",
        "{}",
        repo.scratch.stored_logs(&run_id)
    );
    assert_eq!(repo.runs().len(), 1);
}
