//! Tests of the live feed, log pages, log retention, pipelines and run pages.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use seamless_core::state::{RunStatus, StageEvent};

use crate::records::{NewLogLine, NewRun, StageKey};
use crate::{LogQuery, RunFilter, Store};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

fn run(store: &Store, id: &str) -> StageKey {
    store
        .create_run(
            &NewRun {
                id: id.into(),
                pipeline: "p".into(),
                trigger: "push".into(),
                commit_sha: seamless_core::commit::Commit::local(0xabc),
                workspace: "/w".into(),
                host: "local".into(),
                branch: None,
                request: String::new(),
            },
            &[("web".into(), "build".into())],
        )
        .unwrap();
    StageKey {
        run_id: id.into(),
        service: "web".into(),
        stage: "build".into(),
    }
}

fn log(key: &StageKey, line: &str) -> NewLogLine {
    NewLogLine {
        key: key.clone(),
        source: "stdout".into(),
        line: line.into(),
        at: 1,
    }
}

#[test]
fn every_status_change_enters_the_feed_in_order() {
    let (_d, store) = store();
    let key = run(&store, "r1");
    store.transition(&key, StageEvent::Start).unwrap();
    store
        .set_run_status("r1", RunStatus::AwaitingApproval)
        .unwrap();
    // Setting the same status again is no change.
    store
        .set_run_status("r1", RunStatus::AwaitingApproval)
        .unwrap();
    store.transition(&key, StageEvent::Succeed).unwrap();
    store.finish_run("r1", RunStatus::Success).unwrap();

    let feed = store.feed_since(0, None, 0).unwrap();
    let seen: Vec<(Option<&str>, &str)> = feed
        .iter()
        .map(|e| (e.stage.as_deref(), e.status.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (None, "in-progress"),
            (Some("build"), "in-progress"),
            (None, "awaiting-approval"),
            (Some("build"), "success"),
            (None, "success"),
        ]
    );
    assert!(feed.windows(2).all(|w| w[0].id < w[1].id));
    let build = &feed[3];
    assert!(build.started_at.is_some() && build.finished_at.is_some());

    // Reading after an id gives exactly what followed it.
    let rest = store.feed_since(feed[1].id, None, 0).unwrap();
    assert_eq!(rest, feed[2..]);
    let other = run(&store, "r2");
    store.transition(&other, StageEvent::Start).unwrap();
    assert_eq!(store.feed_since(0, Some("r2"), 0).unwrap().len(), 2);
    assert_eq!(store.feed_since(0, Some("r1"), 2).unwrap(), feed[..2]);
    assert_eq!(store.feed_head().unwrap().0, feed[4].id + 2);
}

#[test]
fn the_change_hook_hears_statuses_and_logs() {
    let (_d, store) = store();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    store.set_change_hook(Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    }));
    let key = run(&store, "r1");
    store.transition(&key, StageEvent::Start).unwrap();
    store
        .append_logs(&[log(&key, "a"), log(&key, "b")])
        .unwrap();
    store.finish_run("r1", RunStatus::Failure).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[test]
fn log_pages_follow_ids_and_filters() {
    let (_d, store) = store();
    let key = run(&store, "r1");
    let other = run(&store, "r2");
    let lines: Vec<_> = (0..5).map(|i| log(&key, &format!("line {i}"))).collect();
    store.append_logs(&lines).unwrap();
    store.append_logs(&[log(&other, "elsewhere")]).unwrap();

    let first = store
        .log_entries(&LogQuery {
            run_id: Some("r1".into()),
            limit: 2,
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(
        first.iter().map(|l| l.line.as_str()).collect::<Vec<_>>(),
        ["line 0", "line 1"]
    );
    let next = store
        .log_entries(&LogQuery {
            run_id: Some("r1".into()),
            service: Some("web".into()),
            stage: Some("build".into()),
            after: first[1].id,
            limit: 10,
        })
        .unwrap();
    assert_eq!(next.len(), 3);
    assert_eq!(next[0].line, "line 2");
    let all = store.log_entries(&LogQuery::default()).unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[5].run_id, "r2");
}

#[test]
fn retention_drops_the_logs_of_old_finished_runs_only() {
    let (_d, store) = store();
    let old = run(&store, "old");
    let live = run(&store, "live");
    store
        .append_logs(&[log(&old, "x"), log(&live, "y")])
        .unwrap();
    store.finish_run("old", RunStatus::Success).unwrap();
    let cutoff = crate::now_ms() + 1000;
    assert_eq!(store.prune_logs(cutoff).unwrap(), 1);
    assert!(store.logs("old").unwrap().is_empty());
    assert_eq!(
        store.logs("live").unwrap().len(),
        1,
        "unfinished runs keep theirs"
    );
    assert!(store.logs_pruned_at("old").unwrap().is_some());
    assert_eq!(store.logs_pruned_at("live").unwrap(), None);
    assert!(store.run("old").unwrap().is_some(), "the run itself stays");
}

#[test]
fn pipelines_are_registered_changed_and_removed() {
    let (_d, store) = store();
    store
        .put_pipeline("shop", "/a/seamless.toml", Some("s1"))
        .unwrap();
    store
        .put_pipeline("shop", "/b/seamless.toml", None)
        .unwrap();
    store
        .put_pipeline("alpha", "/c/seamless.toml", Some("s2"))
        .unwrap();
    let names: Vec<_> = store
        .pipelines()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["alpha", "shop"]);
    let shop = store.pipeline("shop").unwrap().unwrap();
    assert_eq!(shop.config_path, "/b/seamless.toml");
    assert_eq!(shop.webhook_secret, None);
    assert!(store.delete_pipeline("shop").unwrap());
    assert!(!store.delete_pipeline("shop").unwrap());
    assert!(store.pipeline("shop").unwrap().is_none());
}

#[test]
fn run_pages_continue_after_the_last_run_seen() {
    let (_d, store) = store();
    for i in 0..5 {
        run(&store, &format!("r{i}"));
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let page = |before: Option<&str>| -> Vec<String> {
        store
            .list_runs(&RunFilter {
                limit: 2,
                before: before.map(str::to_string),
                pipeline: Some("p".into()),
                ..RunFilter::default()
            })
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(page(None), ["r4", "r3"]);
    assert_eq!(page(Some("r3")), ["r2", "r1"]);
    assert_eq!(page(Some("r1")), ["r0"]);
    assert!(page(Some("r0")).is_empty());
}
