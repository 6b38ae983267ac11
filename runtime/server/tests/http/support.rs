//! A server with a pipeline, two tokens (viewer `vera`, operator `otto`) and helpers.

pub use std::net::SocketAddr;
pub use std::sync::Arc;
pub use std::time::Duration;

pub use async_trait::async_trait;
pub use axum::body::Bytes;
pub use http_body_util::{BodyExt, Full};
pub use hyper::body::Incoming;
pub use hyper::{Method, Request, Response, StatusCode};
pub use hyper_util::client::legacy::Client;
pub use hyper_util::client::legacy::connect::HttpConnector;
pub use hyper_util::rt::TokioExecutor;
pub use seamless_core::state::{RunStatus, StageEvent};
pub use seamless_host_api::ContainerHost;
pub use seamless_server::api::ApiState;
pub use seamless_server::api::auth::new_token;
pub use seamless_server::dispatch::Dispatcher;
pub use seamless_server::live::Hub;
pub use seamless_server::login::LoginConfig;
pub use seamless_server::login::routes::LoginState;
pub use seamless_server::registry::Pipelines;
pub use seamless_server::webhooks::{TriggerRequest, WebhookConfig, WebhookState};
pub use seamless_server::{HostResolver, Pipeline, Runtime};
pub use seamless_store::{NewLogLine, NewRun, StageKey, Store};
pub use serde_json::{Value, json};
pub use tokio_util::sync::CancellationToken;

pub const SECRET: &str = "webhook-secret-never-answered";

pub struct LocalOnly(Arc<dyn ContainerHost>);

#[async_trait]
impl HostResolver for LocalOnly {
    async fn host(&self, _name: &str) -> Result<Arc<dyn ContainerHost>, String> {
        Ok(self.0.clone())
    }
}

pub struct Api {
    pub addr: SocketAddr,
    pub store: Arc<Store>,
    pub runs: Arc<Dispatcher>,
    pub client: Client<HttpConnector, Full<Bytes>>,
    pub viewer: String,
    pub operator: String,
    pub stop: CancellationToken,
    pub repo: tempfile::TempDir,
    pub _data: tempfile::TempDir,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub fn token(store: &Store, name: &str, role: &str) -> String {
    let (token, hash) = new_token().unwrap();
    store
        .create_token(&format!("id-{name}"), name, role, &hash)
        .unwrap();
    token
}

pub const TOML: &str = "version = 1\npipeline = \"shop\"\n\n[secrets]\ndb = { from-env = \"DB_PASSWORD\" }\n\n[[service]]\nname = \"web\"\n[service.env]\nAPI_KEY = \"value-not-shown\"\n";

pub async fn start() -> Api {
    start_with(None).await
}

/// [`start`] with the dashboard login configured.
pub async fn start_with(login: Option<LoginConfig>) -> Api {
    start_serving(Serving {
        login,
        ..Serving::default()
    })
    .await
}

/// How [`start_serving`] sets the server up.
pub struct Serving {
    pub login: Option<LoginConfig>,
    /// The pipeline's `seamless.toml` (named `shop`).
    pub toml: String,
    /// Whether the pipeline's directory is a git checkout (with one commit).
    pub git: bool,
    /// `serve --parallel` and `--max-runs`.
    pub max_parallel: usize,
    pub max_runs: usize,
}

impl Default for Serving {
    fn default() -> Self {
        Self {
            login: None,
            toml: TOML.into(),
            git: false,
            max_parallel: 4,
            max_runs: 4,
        }
    }
}

/// A server set up as `how` says.
pub async fn start_serving(how: Serving) -> Api {
    let login = how.login;
    let data = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(repo.path().join("seamless.toml"), &how.toml).unwrap();
    if how.git {
        seamless_test_support::git::init_and_commit(repo.path(), "one");
    }
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
    pipelines.insert(Pipeline::new(config, how.toml));
    let hub = Hub::new(store.clone());
    let stop = CancellationToken::new();
    tokio::spawn(hub.clone().run(stop.clone()));
    let metrics =
        seamless_server::api::metrics::Metrics::new(store.clone(), hub.clone(), None).unwrap();
    tokio::spawn(metrics.clone().watch_stages(stop.clone()));
    let runs = Dispatcher::new(runtime.clone(), how.max_parallel, how.max_runs);
    let api = ApiState {
        runtime,
        runs: runs.clone(),
        pipelines,
        hub,
        metrics,
    };
    let (queue, _requests) = tokio::sync::mpsc::unbounded_channel::<TriggerRequest>();
    let webhooks = WebhookState::new(
        WebhookConfig::new(SECRET).unwrap(),
        store.clone(),
        Arc::new(queue),
    );
    let login = LoginState {
        config: login.map(Arc::new),
        store: store.clone(),
    };
    let app = seamless_server::app::router(webhooks, api, login);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Api {
        addr,
        viewer: token(&store, "vera", "viewer"),
        operator: token(&store, "otto", "operator"),
        store,
        runs,
        client: Client::builder(TokioExecutor::new()).build_http(),
        stop,
        repo,
        _data: data,
    }
}

impl Api {
    pub async fn send(
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

    pub async fn call(
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

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let (status, text) = self.call(Method::GET, path, Some(token), None).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let (status, text) = self.call(Method::POST, path, Some(token), Some(body)).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A run of `web` with stages build and approval; build in progress.
    pub fn run(&self, id: &str, branch: &str) -> StageKey {
        self.store
            .create_run(
                &NewRun {
                    id: id.into(),
                    pipeline: "shop".into(),
                    trigger: "push".into(),
                    commit_sha: seamless_core::commit::Commit::local(0xc0ffee),
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

    pub fn log(&self, key: &StageKey, line: &str) {
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

pub fn error_code(v: &Value) -> &str {
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an API error: {v}"))
}
