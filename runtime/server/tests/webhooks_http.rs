//! The webhook endpoint over real TCP: an axum server on 127.0.0.1:0, a hyper client,
//! a real SQLite store and a real tokio channel as the queue.

#![allow(clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use seamless_server::webhooks::{
    Queue, TriggerRequest, WEBHOOK_PATH, WebhookConfig, WebhookState, WebhookTrigger, router, sign,
};
use seamless_store::Store;
use serde_json::Value;
use tokio::sync::mpsc;
use tower::ServiceExt;

const SECRET: &str = "s3cr3t-for-the-shop-pipeline";
const PUSH: &str = include_str!("fixtures/push.json");
const PR_OPENED: &str = include_str!("fixtures/pull_request_opened.json");
const PING: &str = include_str!("fixtures/ping.json");
const ISSUES: &str = include_str!("fixtures/issues.json");

struct Server {
    addr: SocketAddr,
    store: Arc<Store>,
    client: Client<HttpConnector, Full<Bytes>>,
    _dir: tempfile::TempDir,
}

struct Answer {
    status: StatusCode,
    json: Value,
}

async fn serve(config: WebhookConfig, queue: Arc<dyn Queue>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let app = router(WebhookState::new(config, store.clone(), queue));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Client::builder(TokioExecutor::new()).build_http();
    Server {
        addr,
        store,
        client,
        _dir: dir,
    }
}

async fn start() -> (Server, mpsc::UnboundedReceiver<TriggerRequest>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        serve(WebhookConfig::new(SECRET).unwrap(), Arc::new(tx)).await,
        rx,
    )
}

fn signature(body: &[u8]) -> String {
    sign(SECRET.as_bytes(), body).unwrap()
}

impl Server {
    /// Posts `body` as GitHub does; `signature` is the `X-Hub-Signature-256` value.
    async fn deliver(
        &self,
        event: &str,
        delivery: Option<&str>,
        body: impl Into<Bytes>,
        signature: Option<&str>,
    ) -> Answer {
        let body: Bytes = body.into();
        let mut request = Request::post(format!("http://{}{WEBHOOK_PATH}", self.addr))
            .header("content-type", "application/json")
            .header("user-agent", "GitHub-Hookshot/4e1d0c9")
            .header("x-github-event", event)
            .header("x-github-hook-id", "462901377");
        if let Some(delivery) = delivery {
            request = request.header("x-github-delivery", delivery);
        }
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        let response = self
            .client
            .request(request.body(Full::new(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {bytes:?}"));
        Answer { status, json }
    }

    /// Posts `body` signed with the pipeline's secret.
    async fn signed(&self, event: &str, delivery: &str, body: &str) -> Answer {
        let sig = signature(body.as_bytes());
        self.deliver(event, Some(delivery), body.to_string(), Some(&sig))
            .await
    }

    fn deliveries(&self) -> usize {
        self.store.deliveries(1000).unwrap().len()
    }
}

fn nothing_queued(rx: &mut mpsc::UnboundedReceiver<TriggerRequest>) {
    assert!(rx.try_recv().is_err(), "something was queued");
}

#[tokio::test]
async fn a_signed_push_queues_a_trigger_request_and_answers_at_once() {
    let (server, mut rx) = start().await;
    let started = Instant::now();
    let answer = server
        .signed("push", "72d3162e-cc78-11e3-81ab-4c9367dc0958", PUSH)
        .await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.json);
    assert_eq!(answer.json["status"], "queued");
    assert_eq!(
        answer.json["delivery"],
        "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    );

    let request = rx.try_recv().unwrap();
    assert_eq!(
        request,
        TriggerRequest {
            trigger: WebhookTrigger::Push,
            repository: "octo-org/shop".into(),
            clone_url: "https://github.com/octo-org/shop.git".into(),
            branch: "main".into(),
            commit_sha: seamless_core::commit::Commit::git(
                "9c2f1a7e0b3d4c5e6f708192a3b4c5d6e7f80912"
            )
            .unwrap(),
            base_sha: Some(
                seamless_core::commit::Commit::git("4e1d0c9b8a7f6e5d4c3b2a1908f7e6d5c4b3a291")
                    .unwrap()
            ),
            base_branch: None,
            default_branch: Some("main".into()),
            pull_request: None,
            delivery_id: "72d3162e-cc78-11e3-81ab-4c9367dc0958".into(),
            pipeline: None,
        }
    );
    nothing_queued(&mut rx);
    let stored = server
        .store
        .delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.event.as_str(), stored.outcome.as_str()),
        ("push", "queued")
    );
}

#[tokio::test]
async fn an_opened_pull_request_queues_a_pull_request_trigger() {
    let (server, mut rx) = start().await;
    let answer = server.signed("pull_request", "pr-1", PR_OPENED).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.json);
    let request = rx.try_recv().unwrap();
    assert_eq!(request.trigger, WebhookTrigger::PullRequest);
    assert_eq!(request.pull_request, Some(42));
    assert_eq!(request.branch, "feature/cart-totals");
    assert_eq!(
        request.commit_sha,
        "b7e3a9c1d2f4058e6a7b8c9d0e1f2a3b4c5d6e7f"
    );
    assert_eq!(
        request.base_sha.as_ref().map(|c| c.as_str()),
        Some("9c2f1a7e0b3d4c5e6f708192a3b4c5d6e7f80912")
    );
    assert_eq!(request.base_branch.as_deref(), Some("main"));
    assert_eq!(request.repository, "octo-org/shop");
    assert_eq!(request.delivery_id, "pr-1");
}

#[tokio::test]
async fn a_bad_signature_is_refused_and_nothing_is_stored_or_queued() {
    let (server, mut rx) = start().await;
    let wrong_secret = sign(b"not the pipeline secret", PUSH.as_bytes()).unwrap();
    let tampered = PUSH.replace("refs/heads/main", "refs/heads/prod");
    for (body, sig) in [
        (PUSH.to_string(), wrong_secret.clone()),
        (tampered, signature(PUSH.as_bytes())),
        (PUSH.to_string(), "sha256=zz".into()),
        (PUSH.to_string(), wrong_secret.replace("sha256=", "sha1=")),
    ] {
        let answer = server
            .deliver("push", Some("forged-1"), body, Some(&sig))
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.json);
        assert_eq!(answer.json["error"]["code"], "bad_signature");
        let message = answer.json["error"]["message"].as_str().unwrap();
        assert!(
            !message.contains(SECRET) && !message.contains(&sig),
            "{message}"
        );
    }
    assert_eq!(server.deliveries(), 0);
    nothing_queued(&mut rx);
    // The genuine delivery with the same id is still accepted afterwards.
    let answer = server.signed("push", "forged-1", PUSH).await;
    assert_eq!(answer.json["status"], "queued");
}

#[tokio::test]
async fn a_missing_signature_is_refused_and_nothing_is_stored_or_queued() {
    let (server, mut rx) = start().await;
    let answer = server
        .deliver("push", Some("unsigned-1"), PUSH.to_string(), None)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json["error"]["code"], "missing_signature");
    assert_eq!(server.deliveries(), 0);
    nothing_queued(&mut rx);
}

#[tokio::test]
async fn a_redelivery_is_a_duplicate_and_queues_nothing() {
    let (server, mut rx) = start().await;
    let first = server.signed("push", "d-1", PUSH).await;
    assert_eq!(first.json["status"], "queued");
    let again = server.signed("push", "d-1", PUSH).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json["status"], "duplicate");
    assert_eq!(again.json["delivery"], "d-1");
    rx.try_recv().unwrap();
    nothing_queued(&mut rx);
    assert_eq!(server.deliveries(), 1);
}

#[tokio::test]
async fn concurrent_redeliveries_queue_once() {
    let (server, mut rx) = start().await;
    let server = Arc::new(server);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move { server.signed("push", "burst", PUSH).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(
            task.await.unwrap().json["status"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(
        statuses.iter().filter(|s| *s == "queued").count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| *s == "duplicate").count(), 7);
    rx.try_recv().unwrap();
    nothing_queued(&mut rx);
}

#[tokio::test]
async fn an_oversized_body_is_413_and_nothing_is_stored() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let config = WebhookConfig::new(SECRET).unwrap().with_max_body(1024);
    let server = serve(config, Arc::new(tx)).await;
    let big = format!("{{\"padding\":\"{}\"}}", "x".repeat(4096));
    let answer = server
        .deliver(
            "push",
            Some("big-1"),
            big.clone(),
            Some(&signature(big.as_bytes())),
        )
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json["error"]["code"], "payload_too_large");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1024")
    );
    assert_eq!(server.deliveries(), 0);
    nothing_queued(&mut rx);
}

#[tokio::test]
async fn the_default_limit_admits_payloads_above_axums_own_default() {
    let (server, mut rx) = start().await;
    let mut push: Value = serde_json::from_str(PUSH).unwrap();
    push["commits"][0]["message"] = "m".repeat(3 * 1024 * 1024).into();
    let body = serde_json::to_string(&push).unwrap();
    let answer = server.signed("push", "large-1", &body).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.json);
    rx.try_recv().unwrap();
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_without_a_length_is_413() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let config = WebhookConfig::new(SECRET).unwrap().with_max_body(1024);
    let app = router(WebhookState::new(config, store.clone(), Arc::new(tx)));
    let chunks = (0..8).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 512])));
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    let request = Request::post(WEBHOOK_PATH)
        .header("x-github-event", "push")
        .header("x-github-delivery", "stream-1")
        .header("x-hub-signature-256", signature(b""))
        .body(body)
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(store.deliveries(10).unwrap().is_empty());
}

#[tokio::test]
async fn malformed_json_is_400_and_nothing_is_stored() {
    let (server, mut rx) = start().await;
    let broken = &PUSH[..PUSH.len() / 2];
    let answer = server.signed("push", "broken-1", broken).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json["error"]["code"], "malformed_json");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    assert_eq!(server.deliveries(), 0);
    nothing_queued(&mut rx);
}

#[tokio::test]
async fn a_missing_field_is_400_naming_it() {
    let (server, mut rx) = start().await;
    let mut pr: Value = serde_json::from_str(PR_OPENED).unwrap();
    pr["pull_request"]["base"]
        .as_object_mut()
        .unwrap()
        .remove("ref");
    let answer = server
        .signed("pull_request", "pr-bad", &pr.to_string())
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json["error"]["code"], "invalid_payload");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`pull_request.base.ref`"),
        "{}",
        answer.json
    );
    assert_eq!(server.deliveries(), 0);
    nothing_queued(&mut rx);
}

#[tokio::test]
async fn an_unhandled_event_is_202_ignored_with_a_reason() {
    let (server, mut rx) = start().await;
    let answer = server.signed("issues", "issue-1", ISSUES).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(answer.json["status"], "ignored");
    assert!(answer.json["reason"].as_str().unwrap().contains("issues"));
    nothing_queued(&mut rx);
    let stored = server.store.delivery("issue-1").unwrap().unwrap();
    assert_eq!(stored.outcome, "ignored");

    let mut closed: Value = serde_json::from_str(PR_OPENED).unwrap();
    closed["action"] = "closed".into();
    let answer = server
        .signed("pull_request", "pr-closed", &closed.to_string())
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(answer.json["status"], "ignored");
    nothing_queued(&mut rx);
}

#[tokio::test]
async fn a_ping_is_answered_with_pong() {
    let (server, mut rx) = start().await;
    let answer = server.signed("ping", "ping-1", PING).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json["status"], "pong");
    nothing_queued(&mut rx);
}

#[tokio::test]
async fn the_delivery_and_event_headers_are_required() {
    let (server, mut rx) = start().await;
    let sig = signature(PUSH.as_bytes());
    let answer = server
        .deliver("push", None, PUSH.to_string(), Some(&sig))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json["error"]["code"], "missing_header");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("X-GitHub-Delivery")
    );
    let answer = server
        .deliver("push", Some("has space"), PUSH.to_string(), Some(&sig))
        .await;
    assert_eq!(answer.json["error"]["code"], "invalid_header");
    assert_eq!(server.deliveries(), 0);
    nothing_queued(&mut rx);
}

#[tokio::test]
async fn a_full_queue_is_503_and_the_delivery_can_be_redelivered() {
    let (tx, mut rx) = mpsc::channel(1);
    let server = serve(WebhookConfig::new(SECRET).unwrap(), Arc::new(tx)).await;
    assert_eq!(
        server.signed("push", "q-1", PUSH).await.json["status"],
        "queued"
    );
    let answer = server.signed("push", "q-2", PUSH).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.json["error"]["code"], "queue_unavailable");
    assert!(server.store.delivery("q-2").unwrap().is_none());
    rx.recv().await.unwrap();
    assert_eq!(
        server.signed("push", "q-2", PUSH).await.json["status"],
        "queued"
    );
    assert_eq!(rx.recv().await.unwrap().delivery_id, "q-2");
}

#[tokio::test]
async fn a_form_encoded_payload_is_415() {
    let (server, mut rx) = start().await;
    let body = format!("payload={}", "%7B%7D");
    let request = Request::post(format!("http://{}{WEBHOOK_PATH}", server.addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-github-event", "push")
        .header("x-github-delivery", "form-1")
        .header("x-hub-signature-256", signature(body.as_bytes()))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = server.client.request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(server.deliveries(), 0);
    nothing_queued(&mut rx);
}
