//! The REST API and its event stream over real TCP: the server's router on
//! 127.0.0.1:0, a hyper client, a real SQLite store whose runs are written as the
//! scheduler writes them.

#![allow(clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use seamless_core::state::{RunStatus, StageEvent};
use seamless_host_api::ContainerHost;
use seamless_server::api::auth::new_token;
use seamless_server::api::{ApiState, router};
use seamless_server::live::Hub;
use seamless_server::registry::Pipelines;
use seamless_server::{HostResolver, Pipeline, Runtime};
use seamless_store::{NewLogLine, NewRun, StageKey, Store};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const SECRET: &str = "webhook-secret-never-answered";

struct LocalOnly(Arc<dyn ContainerHost>);

#[async_trait]
impl HostResolver for LocalOnly {
    async fn host(&self, _name: &str) -> Result<Arc<dyn ContainerHost>, String> {
        Ok(self.0.clone())
    }
}

struct Api {
    addr: SocketAddr,
    store: Arc<Store>,
    client: Client<HttpConnector, Full<Bytes>>,
    viewer: String,
    operator: String,
    stop: CancellationToken,
    repo: tempfile::TempDir,
    _data: tempfile::TempDir,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn token(store: &Store, name: &str, role: &str) -> String {
    let (token, hash) = new_token().unwrap();
    store
        .create_token(&format!("id-{name}"), name, role, &hash)
        .unwrap();
    token
}

const TOML: &str = "version = 1\npipeline = \"shop\"\n\n[secrets]\ndb = { from-env = \"DB_PASSWORD\" }\n\n[[service]]\nname = \"web\"\n[service.env]\nAPI_KEY = \"value-not-shown\"\n";

async fn start() -> Api {
    let data = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(repo.path().join("seamless.toml"), TOML).unwrap();
    let store = Arc::new(Store::open(data.path()).unwrap());
    let host: Arc<dyn ContainerHost> = Arc::new(seamless_host_local::LocalHost::new());
    let runtime = Runtime {
        data_dir: data.path().to_path_buf(),
        store: store.clone(),
        engine: Arc::new(seamless_engine::PluginEngine::new(data.path().join("cache")).unwrap()),
        host: host.clone(),
        hosts: Arc::new(LocalOnly(host)),
    };
    let config = seamless_core::config::load(repo.path()).unwrap();
    let pipelines = Arc::new(Pipelines::new());
    store
        .put_pipeline("shop", &config.file.display().to_string(), Some(SECRET))
        .unwrap();
    pipelines.insert(Pipeline::new(config, TOML.into()));
    let hub = Hub::new(store.clone());
    let stop = CancellationToken::new();
    tokio::spawn(hub.clone().run(stop.clone()));
    let app = router(ApiState {
        runtime,
        pipelines,
        hub,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Api {
        addr,
        viewer: token(&store, "vera", "viewer"),
        operator: token(&store, "otto", "operator"),
        store,
        client: Client::builder(TokioExecutor::new()).build_http(),
        stop,
        repo,
        _data: data,
    }
}

impl Api {
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response<Incoming> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        self.client
            .request(req.body(Full::new(body)).unwrap())
            .await
            .unwrap()
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, String) {
        let res = self.send(method, path, token, body).await;
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let (status, text) = self.call(Method::GET, path, Some(token), None).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let (status, text) = self.call(Method::POST, path, Some(token), Some(body)).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A run of `web` with stages build and approval; build in progress.
    fn run(&self, id: &str, branch: &str) -> StageKey {
        self.store
            .create_run(
                &NewRun {
                    id: id.into(),
                    pipeline: "shop".into(),
                    trigger: "push".into(),
                    commit_sha: "c0ffee".into(),
                    workspace: "/w".into(),
                    host: "local".into(),
                    branch: Some(branch.into()),
                    request: String::new(),
                },
                &[
                    ("web".into(), "build".into()),
                    ("web".into(), "approval".into()),
                ],
            )
            .unwrap();
        let key = StageKey {
            run_id: id.into(),
            service: "web".into(),
            stage: "build".into(),
        };
        self.store.transition(&key, StageEvent::Start).unwrap();
        key
    }

    fn log(&self, key: &StageKey, line: &str) {
        self.store
            .append_logs(&[NewLogLine {
                key: key.clone(),
                source: "stdout".into(),
                line: line.into(),
                at: seamless_store::now_ms(),
            }])
            .unwrap();
    }
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an API error: {v}"))
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused() {
    let api = start().await;
    api.run("r1", "main");
    let (status, body) = api.call(Method::GET, "/api/v1/runs", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error_code(&body), "unauthorized");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("seamless token create")
    );

    let (status, _) = api.get("/api/v1/runs", "seamless_not-a-real-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api
        .call(Method::POST, "/api/v1/runs/r1/approve", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(api.store.approval("r1").unwrap().is_none());

    api.store.revoke_token("id-vera").unwrap();
    let (status, _) = api.get("/api/v1/runs", &api.viewer).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked token");

    let (status, me) = api.get("/api/v1/me", &api.operator).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me, json!({"name": "otto", "role": "operator"}));
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_approve_and_an_operator_can_once() {
    let api = start().await;
    api.run("r1", "main");
    api.store
        .set_run_status("r1", RunStatus::AwaitingApproval)
        .unwrap();

    let (status, body) = api
        .post("/api/v1/runs/r1/approve", &api.viewer, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "forbidden");
    assert!(
        api.store.approval("r1").unwrap().is_none(),
        "nothing recorded"
    );
    let (status, _) = api
        .post("/api/v1/runs/r1/cancel", &api.viewer, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!api.store.cancel_requested("r1").unwrap());

    let (status, body) = api
        .post(
            "/api/v1/runs/r1/approve",
            &api.operator,
            json!({"reason": "looks good"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "r1");
    let approval = api.store.approval("r1").unwrap().unwrap();
    assert!(approval.approved);
    assert_eq!(approval.decided_by, "otto");

    let (status, body) = api
        .post("/api/v1/runs/r1/reject", &api.operator, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already approved by otto")
    );

    let (status, detail) = api.get("/api/v1/runs/r1", &api.viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["approval"]["decided_by"], "otto");
    assert_eq!(detail["run"]["status"], "awaiting-approval");
    assert_eq!(detail["stages"][0]["stage"], "build");
    assert_eq!(detail["stages"][0]["status"], "in-progress");
    assert!(detail["stages"][0]["duration_ms"].is_i64());
    assert_eq!(detail["stages"][1]["status"], "idle");

    api.store.finish_run("r1", RunStatus::Success).unwrap();
    let (status, _) = api
        .post("/api/v1/runs/r1/cancel", &api.operator, json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an ended run cannot be cancelled"
    );
    let (status, body) = api
        .post("/api/v1/runs/nope/approve", &api.operator, json!({}))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, body) = api
        .call(
            Method::POST,
            "/api/v1/runs/r1/approve",
            Some(&api.operator),
            Some(json!({"reason": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn runs_are_filtered_and_paginated() {
    let api = start().await;
    for i in 0..5 {
        api.run(
            &format!("r{i}"),
            if i % 2 == 0 { "main" } else { "feature" },
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    api.store.finish_run("r4", RunStatus::Failure).unwrap();
    let ids = |v: &Value| -> Vec<String> {
        v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, page) = api.get("/api/v1/runs?limit=2", &api.viewer).await;
    assert_eq!(ids(&page), ["r4", "r3"]);
    assert_eq!(page["next"], "r3");
    let (_, page) = api.get("/api/v1/runs?limit=2&before=r3", &api.viewer).await;
    assert_eq!(ids(&page), ["r2", "r1"]);
    let (_, page) = api.get("/api/v1/runs?limit=2&before=r1", &api.viewer).await;
    assert_eq!(ids(&page), ["r0"]);
    assert!(page["next"].is_null());
    let (_, page) = api
        .get("/api/v1/runs?branch=main&status=in-progress", &api.viewer)
        .await;
    assert_eq!(ids(&page), ["r2", "r0"]);
    let (_, page) = api
        .get(
            "/api/v1/runs?status=failure&service=web&trigger=push&pipeline=shop",
            &api.viewer,
        )
        .await;
    assert_eq!(ids(&page), ["r4"]);
    let (_, page) = api.get("/api/v1/runs?service=other", &api.viewer).await;
    assert!(ids(&page).is_empty());

    for bad in [
        "status=done",
        "limit=0",
        "limit=9999",
        "limit=x",
        "before=ghost",
    ] {
        let (status, body) = api.get(&format!("/api/v1/runs?{bad}"), &api.viewer).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{bad}: {status} {body}"
        );
        assert!(body["error"]["message"].is_string(), "{bad}: {body}");
    }
    let (status, body) = api.get("/api/v1/nothing-here", &api.viewer).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

#[tokio::test]
async fn logs_are_read_page_by_page() {
    let api = start().await;
    let key = api.run("r1", "main");
    for i in 0..7 {
        api.log(&key, &format!("line {i}"));
    }
    let (status, page) = api
        .get(
            "/api/v1/runs/r1/logs?service=web&stage=build&limit=3",
            &api.viewer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let lines = |v: &Value| -> Vec<String> {
        v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["line"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(lines(&page), ["line 0", "line 1", "line 2"]);
    assert_eq!(page["more"], true);
    let after = page["after"].as_i64().unwrap();
    let (_, page) = api
        .get(
            &format!("/api/v1/runs/r1/logs?after={after}&limit=10"),
            &api.viewer,
        )
        .await;
    assert_eq!(lines(&page).len(), 4);
    assert_eq!(page["more"], false);
    let (_, page) = api
        .get("/api/v1/runs/r1/logs?stage=approval", &api.viewer)
        .await;
    assert!(lines(&page).is_empty());
    let (status, _) = api.get("/api/v1/runs/r1/logs?after=-1", &api.viewer).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Reads server-sent events until `n` have arrived; returns (id, event, data).
async fn sse(res: Response<Incoming>, n: usize) -> Vec<(String, String, Value)> {
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut body = res.into_body();
    let mut text = String::new();
    let mut events = Vec::new();
    while events.len() < n {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events arrived: {events:?}", events.len()))
            .unwrap()
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
        while let Some((block, rest)) = text.split_once("\n\n") {
            let (mut id, mut name, mut data) = (String::new(), String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.into();
                }
                if let Some(v) = line.strip_prefix("event: ") {
                    name = v.into();
                }
                if let Some(v) = line.strip_prefix("data: ") {
                    data = v.into();
                }
            }
            if !name.is_empty() {
                events.push((id, name, serde_json::from_str(&data).unwrap()));
            }
            text = rest.to_string();
        }
    }
    events
}

fn summary(events: &[(String, String, Value)]) -> Vec<String> {
    events
        .iter()
        .map(|(_, name, d)| match name.as_str() {
            "log" => format!("log {}", d["line"].as_str().unwrap()),
            "stage" => format!(
                "stage {} {}",
                d["stage"].as_str().unwrap(),
                d["status"].as_str().unwrap()
            ),
            _ => format!("run {}", d["status"].as_str().unwrap()),
        })
        .collect()
}

#[tokio::test]
async fn the_event_stream_replays_then_follows_and_resumes_after_the_last_id() {
    let api = start().await;
    let key = api.run("r1", "main");
    api.log(&key, "first");
    let other = api.run("r2", "main");

    // A subscription to one run starts at its beginning, then follows it live.
    let res = api
        .send(
            Method::GET,
            "/api/v1/events?run=r1",
            Some(&api.viewer),
            None,
        )
        .await;
    let reader = tokio::spawn(sse(res, 6));
    tokio::time::sleep(Duration::from_millis(300)).await;
    api.log(&other, "not this run's");
    api.log(&key, "second");
    api.store.transition(&key, StageEvent::Succeed).unwrap();
    api.store.finish_run("r1", RunStatus::Success).unwrap();
    let events = reader.await.unwrap();
    assert_eq!(
        summary(&events),
        [
            "run in-progress",
            "stage build in-progress",
            "log first",
            "log second",
            "stage build success",
            "run success"
        ]
    );
    let build_done = &events[4].2;
    assert!(build_done["duration_ms"].is_i64(), "{build_done}");

    // Reconnecting after the third event gives exactly the rest.
    let last_id = &events[2].0;
    let res = api
        .client
        .request(
            Request::get(format!("http://{}/api/v1/events?run=r1", api.addr))
                .header("authorization", format!("Bearer {}", api.viewer))
                .header("last-event-id", last_id.as_str())
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    let again = sse(res, 3).await;
    assert_eq!(summary(&again), summary(&events[3..]));
    assert_eq!(
        again.iter().map(|e| &e.0).collect::<Vec<_>>(),
        events[3..].iter().map(|e| &e.0).collect::<Vec<_>>()
    );

    // Following everything starts now and sees every run.
    let res = api
        .send(
            Method::GET,
            "/api/v1/events?no_logs=true",
            Some(&api.viewer),
            None,
        )
        .await;
    let reader = tokio::spawn(sse(res, 2));
    tokio::time::sleep(Duration::from_millis(300)).await;
    api.log(&other, "left out");
    api.store.transition(&other, StageEvent::Fail).unwrap();
    api.store.finish_run("r2", RunStatus::Failure).unwrap();
    assert_eq!(
        summary(&reader.await.unwrap()),
        ["stage build failure", "run failure"]
    );

    let (status, body) = api.get("/api/v1/events?after=garbage", &api.viewer).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (status, _) = api.get("/api/v1/events?run=ghost", &api.viewer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pipelines_show_no_secret_and_changes_need_an_operator_and_a_valid_config() {
    let api = start().await;
    let (status, text) = api
        .call(Method::GET, "/api/v1/pipelines", Some(&api.viewer), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !text.contains(SECRET)
            && !text.contains("value-not-shown")
            && !text.contains("DB_PASSWORD"),
        "{text}"
    );
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list[0]["name"], "shop");
    assert_eq!(list[0]["webhook_secret_set"], true);
    assert_eq!(list[0]["secrets"], json!(["db"]));
    assert_eq!(list[0]["services"][0]["env"], json!(["API_KEY"]));
    let (status, svc) = api
        .get("/api/v1/pipelines/shop/services/web", &api.viewer)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(svc["service"]["name"], "web");
    assert_eq!(svc["revisions"], json!([]));
    let (status, _) = api
        .get("/api/v1/pipelines/shop/services/nope", &api.viewer)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let path = other.path().join("seamless.toml");
    std::fs::write(
        &path,
        "version = 1\npipeline = \"blog\"\n\n[[service]]\nname = \"Bad Name\"\n",
    )
    .unwrap();
    let body = json!({"config_path": path.display().to_string(), "webhook_secret": "0123456789abcdef0123"});
    let (status, _) = api
        .post("/api/v1/pipelines", &api.viewer, body.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, err) = api
        .post("/api/v1/pipelines", &api.operator, body.clone())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("seamless.toml:5:"),
        "{err}"
    );

    std::fs::write(
        &path,
        "version = 1\npipeline = \"blog\"\n\n[[service]]\nname = \"posts\"\n",
    )
    .unwrap();
    let (status, created) = api
        .post("/api/v1/pipelines", &api.operator, body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "blog");
    assert!(!created.to_string().contains("0123456789abcdef0123"));
    let (status, _) = api.post("/api/v1/pipelines", &api.operator, body).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = api
        .call(
            Method::DELETE,
            "/api/v1/pipelines/blog",
            Some(&api.operator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.get("/api/v1/pipelines/blog", &api.viewer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(api.store.pipeline("blog").unwrap().is_none());
    let _ = &api.repo;
}

#[tokio::test]
async fn the_openapi_document_is_public_and_lists_the_routes() {
    let api = start().await;
    let (status, text) = api
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/runs",
        "/api/v1/runs/{id}",
        "/api/v1/runs/{id}/approve",
        "/api/v1/events",
        "/api/v1/pipelines",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}
