//! `POST /webhooks/github`: read, verify, deduplicate, queue, answer.
//!
//! Order matters: the body is read under the size limit, then the signature is checked
//! before anything else is looked at, and the payload is parsed before the delivery is
//! recorded. So a refused delivery (4xx) leaves the store as it was and queues nothing.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Value, json};

use super::WebhookState;
use super::error::WebhookError;
use super::events::{Parsed, parse};
use super::signature::{SIGNATURE_HEADER, verify};

/// GitHub's unique id of a delivery (the same on a redelivery).
pub const DELIVERY_HEADER: &str = "x-github-delivery";
/// The event name.
pub const EVENT_HEADER: &str = "x-github-event";

/// The `outcome` recorded for a delivery that queued a run.
pub const OUTCOME_QUEUED: &str = "queued";
/// The `outcome` recorded for a delivery that was ignored.
pub const OUTCOME_IGNORED: &str = "ignored";
/// The `outcome` of a queued delivery whose run could not start.
pub const OUTCOME_FAILED: &str = "failed";
/// The `outcome` of a queued delivery once its run exists.
pub const OUTCOME_STARTED: &str = "started";
/// The `outcome` recorded for a `ping`.
pub const OUTCOME_PONG: &str = "pong";

const MAX_HEADER_LEN: usize = 128;

/// Handles one delivery. Answers:
/// - 202 `{"status":"queued","delivery"}`: a run was queued;
/// - 202 `{"status":"ignored","reason","delivery"}`: nothing to do (logged);
/// - 200 `{"status":"pong","delivery"}` for `ping`;
/// - 200 `{"status":"duplicate","delivery"}`: this delivery was already received;
/// - 4xx/5xx `{"error":{"code","message"}}`, see [`WebhookError`].
pub async fn receive(
    State(state): State<WebhookState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), WebhookError> {
    let result = handle(&state, &headers, body).await;
    if let Err(e) = &result {
        let delivery = headers
            .get(DELIVERY_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        match e.status() {
            s if s.is_server_error() => tracing::error!(delivery, error = %e, "webhook refused"),
            _ => tracing::warn!(delivery, error = %e, "webhook refused"),
        }
    }
    result
}

async fn handle(
    state: &WebhookState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), WebhookError> {
    let body = read_body(headers, body, state.config.max_body()).await?;
    let pipeline = signer(state, headers, &body)?;
    let delivery = header_value(headers, DELIVERY_HEADER, "X-GitHub-Delivery")?;
    let event = header_value(headers, EVENT_HEADER, "X-GitHub-Event")?;
    if headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    }) {
        return Err(WebhookError::FormEncoded);
    }

    let parsed = parse(&event, &delivery, &body)?;
    let outcome = match &parsed {
        Parsed::Ping => OUTCOME_PONG,
        Parsed::Trigger(_) => OUTCOME_QUEUED,
        Parsed::Ignored(_) => OUTCOME_IGNORED,
    };
    if !record(state, &delivery, &event, outcome).await? {
        tracing::info!(delivery, event, "webhook redelivery; nothing new started");
        return Ok(answer(StatusCode::OK, "duplicate", &delivery, None));
    }

    match parsed {
        Parsed::Ping => {
            tracing::info!(delivery, "webhook ping");
            Ok(answer(StatusCode::OK, "pong", &delivery, None))
        }
        Parsed::Ignored(reason) => {
            tracing::info!(delivery, event, reason, "webhook ignored");
            Ok(answer(
                StatusCode::ACCEPTED,
                "ignored",
                &delivery,
                Some(reason),
            ))
        }
        Parsed::Trigger(mut request) => {
            request.pipeline = pipeline;
            let summary = format!(
                "{} {}@{} ({})",
                event, request.repository, request.branch, request.commit_sha
            );
            if let Err(e) = state.queue.enqueue(*request) {
                // Forget the delivery so that GitHub's redelivery is handled afresh.
                forget(state, &delivery).await;
                return Err(e.into());
            }
            tracing::info!(delivery, request = summary, "webhook queued a run");
            Ok(answer(StatusCode::ACCEPTED, "queued", &delivery, None))
        }
    }
}

/// Verifies the signature: with the server's secret (`None`: its default pipeline),
/// else with each pipeline's (that pipeline's name). Every check is constant-time.
fn signer(
    state: &WebhookState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<String>, WebhookError> {
    let signature = headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes());
    let first = verify(state.config.secret(), body, signature);
    let Some(pipelines) = &state.pipelines else {
        return first.map(|()| None).map_err(Into::into);
    };
    if first.is_ok() {
        return Ok(None);
    }
    for (name, secret) in pipelines.secrets() {
        if verify(secret.as_bytes(), body, signature).is_ok() {
            return Ok(Some(name));
        }
    }
    Err(first.err().map_or(WebhookError::Store, Into::into))
}

fn answer(
    status: StatusCode,
    what: &str,
    delivery: &str,
    reason: Option<String>,
) -> (StatusCode, Json<Value>) {
    let mut body = json!({ "status": what, "delivery": delivery });
    if let Some(reason) = reason {
        body["reason"] = reason.into();
    }
    (status, Json(body))
}

/// Reads the whole body, refusing more than `limit` bytes (announced or sent).
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, WebhookError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(WebhookError::PayloadTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(WebhookError::PayloadTooLarge { limit })
        }
        Err(e) => Err(WebhookError::Body(e.to_string())),
    }
}

/// A required header, as a short printable ASCII string.
fn header_value(
    headers: &HeaderMap,
    name: &'static str,
    shown: &'static str,
) -> Result<String, WebhookError> {
    let value = headers
        .get(name)
        .ok_or(WebhookError::MissingHeader(shown))?;
    let value = value
        .to_str()
        .ok()
        .filter(|v| !v.is_empty() && v.len() <= MAX_HEADER_LEN)
        .filter(|v| v.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or(WebhookError::InvalidHeader(shown))?;
    Ok(value.to_string())
}

/// Records the delivery; `false` if it was already recorded.
async fn record(
    state: &WebhookState,
    delivery: &str,
    event: &str,
    outcome: &'static str,
) -> Result<bool, WebhookError> {
    let store = state.store.clone();
    let (delivery, event) = (delivery.to_string(), event.to_string());
    let joined =
        tokio::task::spawn_blocking(move || store.record_delivery(&delivery, &event, outcome))
            .await;
    match joined {
        Ok(Ok(new)) => Ok(new),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot record a webhook delivery");
            Err(WebhookError::Store)
        }
        Err(e) => {
            tracing::error!(error = %e, "recording a webhook delivery panicked");
            Err(WebhookError::Store)
        }
    }
}

async fn forget(state: &WebhookState, delivery: &str) {
    let store = state.store.clone();
    let id = delivery.to_string();
    match tokio::task::spawn_blocking(move || store.forget_delivery(&id)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::error!(delivery, error = %e, "cannot forget an unqueued webhook delivery")
        }
        Err(e) => tracing::error!(delivery, error = %e, "forgetting a webhook delivery panicked"),
    }
}
