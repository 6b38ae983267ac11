//! The client and the reporter against a local stand-in for GitHub that records every
//! call and answers as scripted.

#![allow(clippy::unwrap_used)]

use seamless_core::commit::Commit;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use seamless_core::config::MergeMethod;
use serde_json::{Value, json};

use super::*;

const TOKEN: &str = "ghs_test-token-123";
const REPO: &str = "test-org/served";

fn sha() -> String {
    "c0ffee".repeat(7)[..40].to_string()
}

/// One recorded request.
#[derive(Debug, Clone)]
struct Call {
    method: String,
    path: String,
    headers: HeaderMap,
    body: Value,
}

impl Call {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

#[derive(Clone, Default)]
struct StandIn {
    calls: Arc<Mutex<Vec<Call>>>,
    /// Statuses to answer with, first to last, before answering 201.
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl StandIn {
    /// Serves on 127.0.0.1:0; answers `script` in turn, then 201.
    async fn start(script: &[u16]) -> (Self, String) {
        let stand_in = Self {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            ..Self::default()
        };
        let app = Router::new().fallback(record).with_state(stand_in.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (stand_in, base)
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The calls, once there are `n` (or after 10 s).
    async fn wait_for(&self, n: usize) -> Vec<Call> {
        for _ in 0..200 {
            if self.calls().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.calls()
    }
}

async fn record(
    State(stand_in): State<StandIn>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, axum::Json<Value>) {
    stand_in.calls.lock().unwrap().push(Call {
        method: method.to_string(),
        path: uri.path().to_string(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let status = stand_in.script.lock().unwrap().pop_front().unwrap_or(201);
    let status = StatusCode::from_u16(status).unwrap();
    let answer = if status.is_success() {
        json!({"state": "ok"})
    } else {
        json!({"message": format!("scripted {}", status.as_u16())})
    };
    (status, axum::Json(answer))
}

fn client(base: &str) -> GitHubClient {
    GitHubClient::new(base, Token::new(TOKEN)).unwrap()
}

fn reporter(base: &str) -> StatusReporter {
    StatusReporter::new(client(base), "served", Some("https://ci.example.com/")).with_retry(Retry {
        attempts: 3,
        backoff: Duration::from_millis(10),
    })
}

fn commit(pull_request: Option<u64>) -> CommitRef {
    CommitRef {
        repository: REPO.into(),
        sha: Commit::git(&sha()).unwrap(),
        pull_request,
    }
}

#[tokio::test]
async fn a_status_is_posted_with_the_token_and_githubs_headers() {
    let (stand_in, base) = StandIn::start(&[]).await;
    let status = CommitStatus::new(
        StatusState::Pending,
        "run r1 running",
        "seamless/served",
        Some("https://ci.example.com/runs/r1".into()),
    );
    client(&base)
        .create_status(REPO, &sha(), &status)
        .await
        .unwrap();
    let calls = stand_in.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.method, "POST");
    assert_eq!(call.path, format!("/repos/{REPO}/statuses/{}", sha()));
    assert_eq!(call.header("authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(call.header("accept"), "application/vnd.github+json");
    assert_eq!(call.header("x-github-api-version"), "2022-11-28");
    assert!(call.header("user-agent").starts_with("seamless/"));
    assert_eq!(call.header("content-type"), "application/json");
    assert_eq!(
        call.body,
        json!({
            "state": "pending",
            "description": "run r1 running",
            "context": "seamless/served",
            "target_url": "https://ci.example.com/runs/r1",
        })
    );
}

#[tokio::test]
async fn a_merge_is_a_put_with_the_head_sha_and_method_below_the_base_path() {
    let (stand_in, base) = StandIn::start(&[]).await;
    client(&format!("{base}/api/v3/"))
        .merge(REPO, 7, &sha(), MergeMethod::Squash)
        .await
        .unwrap();
    let call = &stand_in.calls()[0];
    assert_eq!(call.method, "PUT");
    assert_eq!(call.path, format!("/api/v3/repos/{REPO}/pulls/7/merge"));
    assert_eq!(call.body, json!({"sha": sha(), "merge_method": "squash"}));
}

#[tokio::test]
async fn an_error_answer_is_a_typed_error_with_githubs_message() {
    let (_stand_in, base) = StandIn::start(&[422]).await;
    let status = CommitStatus::new(StatusState::Success, "ok", "seamless/served", None);
    let err = client(&base)
        .create_status(REPO, &sha(), &status)
        .await
        .unwrap_err();
    match &err {
        GitHubError::Status {
            method,
            status,
            message,
            ..
        } => assert_eq!(
            (*method, *status, message.as_str()),
            ("POST", 422, "scripted 422")
        ),
        other => panic!("{other:?}"),
    }
    assert!(!err.is_transient());
    assert!(!err.to_string().contains(TOKEN), "{err}");
}

#[tokio::test]
async fn https_is_spoken_to_an_https_base() {
    let (stand_in, base) = StandIn::start(&[]).await;
    let https = base.replace("http://", "https://");
    let status = CommitStatus::new(StatusState::Success, "ok", "seamless/served", None);
    let err = client(&https)
        .create_status(REPO, &sha(), &status)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GitHubError::Transport(seamless_client::http::HttpError::Unreachable { message, .. }) if message.contains("TLS")),
        "{err:?}"
    );
    assert!(stand_in.calls().is_empty(), "no plain request was sent");
}

/// The `state` of each status call, in order.
fn states(calls: &[Call]) -> Vec<&str> {
    calls
        .iter()
        .map(|c| c.body["state"].as_str().unwrap_or("<no state>"))
        .collect()
}

#[tokio::test]
async fn a_5xx_is_retried_until_it_succeeds_and_updates_keep_their_order() {
    let (stand_in, base) = StandIn::start(&[502, 503]).await;
    let report = reporter(&base).report(commit(Some(7)), None);
    report.running("r1");
    report.ended(Some("r1"), Ending::Passed);
    report.settled().await;
    let calls = stand_in.calls();
    let states = states(&calls);
    assert_eq!(
        states,
        ["pending", "pending", "pending", "success"],
        "two 5xx, then pending, then success"
    );
    assert_eq!(calls[3].body["description"], "run r1 passed");
    assert_eq!(
        calls[3].body["target_url"],
        "https://ci.example.com/runs/r1"
    );
    assert_eq!(calls.len(), 4, "no merge without auto-merge: {calls:?}");
}

#[tokio::test]
async fn a_call_that_keeps_failing_is_dropped_and_the_next_update_still_goes() {
    let (stand_in, base) = StandIn::start(&[500, 500, 500, 404]).await;
    let report = reporter(&base).report(commit(None), None);
    report.running("r2");
    report.ended(
        Some("r2"),
        Ending::Failed {
            at: Some("show (app)".into()),
        },
    );
    report.ended(Some("r2"), Ending::Cancelled);
    let calls = stand_in.wait_for(5).await;
    let states = states(&calls);
    // Three tries of pending (500s), one of failure (a 404 is not retried), then error.
    assert_eq!(
        states,
        ["pending", "pending", "pending", "failure", "error"]
    );
    assert_eq!(calls[3].body["description"], "run r2 failed at show (app)");
}

#[tokio::test]
async fn a_passing_pull_request_is_merged_after_its_success_status() {
    let (stand_in, base) = StandIn::start(&[]).await;
    let report = reporter(&base).report(commit(Some(7)), Some(MergeMethod::Rebase));
    report.running("r3");
    report.ended(Some("r3"), Ending::Passed);
    drop(report);
    let calls = stand_in.wait_for(3).await;
    let shape: Vec<(&str, &str)> = calls
        .iter()
        .map(|c| (c.method.as_str(), c.body["state"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(
        shape,
        [("POST", "pending"), ("POST", "success"), ("PUT", "-")]
    );
    assert_eq!(calls[2].path, format!("/repos/{REPO}/pulls/7/merge"));
    assert_eq!(
        calls[2].body,
        json!({"sha": sha(), "merge_method": "rebase"})
    );
    assert_eq!(calls[2].header("authorization"), format!("Bearer {TOKEN}"));
}

#[tokio::test]
async fn failed_runs_pushes_and_empty_runs_are_not_merged() {
    let (stand_in, base) = StandIn::start(&[]).await;
    let reporter = reporter(&base);
    let merge = Some(MergeMethod::Merge);
    let failed = reporter.report(commit(Some(7)), merge);
    failed.ended(Some("r4"), Ending::Failed { at: None });
    let push = reporter.report(commit(None), merge);
    push.ended(Some("r5"), Ending::Passed);
    let empty = reporter.report(commit(Some(8)), merge);
    empty.ended(None, Ending::NothingToRun("no service changed".into()));
    // Every decision, merge or not, is made once the reports have settled.
    for report in [failed, push, empty] {
        report.settled().await;
    }
    let calls = stand_in.calls();
    assert!(calls.iter().all(|c| c.method == "POST"), "{calls:?}");
    assert_eq!(calls.len(), 3);
    let empty = calls
        .iter()
        .find(|c| c.body["description"] == "nothing to run: no service changed")
        .unwrap();
    assert_eq!(empty.body["state"], "success");
    assert!(empty.body.get("target_url").is_none(), "no run, no link");
}
