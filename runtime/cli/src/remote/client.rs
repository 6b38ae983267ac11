//! The API client: JSON requests with the bearer token, errors with the server's
//! message.

use anyhow::{Context, Result, anyhow, bail};
use hyper::Method;
use hyper::header::{ACCEPT, AUTHORIZATION, HeaderName, HeaderValue, USER_AGENT};
pub use seamless_client::http::percent_encode as escape;
use seamless_client::http::{Endpoint, Streaming, Transport};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// A server and the token to use with it.
pub struct Remote {
    transport: Transport,
    headers: Vec<(HeaderName, HeaderValue)>,
    base: String,
}

impl Remote {
    /// A client of the server at `url` using `token`.
    pub fn new(url: &str, token: &str) -> Result<Self> {
        let endpoint = Endpoint::parse(url.trim_end_matches('/'))
            .map_err(|e| anyhow!("--server '{url}' is not usable: {e}"))?;
        let transport = Transport::new(endpoint, Duration::from_secs(30))
            .map_err(|e| anyhow!("--server '{url}' is not usable: {e}"))?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .context("the token holds characters a header cannot carry")?;
        auth.set_sensitive(true);
        Ok(Self {
            transport,
            headers: vec![
                (AUTHORIZATION, auth),
                (ACCEPT, HeaderValue::from_static("application/json")),
                (
                    USER_AGENT,
                    HeaderValue::from_static(concat!("seamless-cli/", env!("CARGO_PKG_VERSION"))),
                ),
            ],
            base: url.trim_end_matches('/').to_string(),
        })
    }

    /// `GET path` as JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(Method::GET, path, None).await
    }

    /// `POST path` with a JSON body, answered with JSON.
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `GET path`, answered with its status and the server's error code (for an
    /// error answer), without failing on an error status.
    pub async fn probe(&self, path: &str) -> Result<Probe> {
        let answer = self
            .transport
            .send(Method::GET, path, &self.headers, Vec::new())
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        Ok(Probe {
            status: answer.status,
            code: body["error"]["code"].as_str().map(str::to_string),
            error: server_error(
                &format!("GET {}{path}", self.base),
                answer.status,
                &answer.body,
            ),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T> {
        let what = format!("{method} {}{path}", self.base);
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let answer = self
            .transport
            .send(method, path, &self.headers, body)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        if !(200..300).contains(&answer.status) {
            bail!("{}", server_error(&what, answer.status, &answer.body));
        }
        serde_json::from_slice(&answer.body)
            .with_context(|| format!("{what}: the answer is not the expected JSON"))
    }

    /// Opens `GET path` as a stream (server-sent events).
    pub async fn stream(&self, path: &str) -> Result<Streaming> {
        let mut headers = self.headers.clone();
        headers.retain(|(k, _)| *k != ACCEPT);
        headers.push((ACCEPT, HeaderValue::from_static("text/event-stream")));
        let mut stream = self
            .transport
            .open(Method::GET, path, &headers, Vec::new())
            .await
            .map_err(|e| anyhow!("{e}"))?;
        if stream.status != 200 {
            let mut body = Vec::new();
            while let Some(Ok(chunk)) = stream.chunk().await {
                body.extend_from_slice(&chunk);
            }
            bail!(
                "{}",
                server_error(&format!("GET {}{path}", self.base), stream.status, &body)
            );
        }
        Ok(stream)
    }

    /// The pipeline `name`, or the server's only pipeline.
    pub async fn pipeline(&self, name: Option<&str>) -> Result<String> {
        if let Some(name) = name {
            return Ok(name.to_string());
        }
        let pipelines: Vec<Value> = self.get("/api/v1/pipelines").await?;
        let names: Vec<&str> = pipelines
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        match names.as_slice() {
            [one] => Ok((*one).to_string()),
            [] => bail!("the server has no pipeline"),
            many => bail!(
                "the server has several pipelines ({}); name one with --pipeline",
                many.join(", ")
            ),
        }
    }
}

/// The status of a [`Remote::probe`], with the server's error code and message.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The HTTP status.
    pub status: u16,
    /// The error's code, for an error answer.
    pub code: Option<String>,
    /// The error, worded for a person (meaningful for an error answer only).
    pub error: String,
}

/// The server's `{"error": {"message"}}`, or the status.
fn server_error(what: &str, status: u16, body: &[u8]) -> String {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect());
    format!("{what} answered {status}: {message}")
}
