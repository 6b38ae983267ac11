//! One AWS call, tried again on throttling and server errors (see [`crate::retry`]).
//! The SDK's own retries are off ([`crate::clients`]), so this is the one policy,
//! and every failure names its [`Action`].

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_ecs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use seamless_host_api::HostError;

use crate::action::Action;
use crate::retry::{self, Failure, MAX_ATTEMPTS};

/// What a failed call said: the AWS error code, HTTP status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// The action that failed.
    pub action: Action,
    /// The AWS error code, such as `ThrottlingException`.
    pub code: Option<String>,
    /// The HTTP status, when a response came back.
    pub status: Option<u16>,
    /// What AWS (or the connection) said.
    pub message: String,
}

impl CallError {
    /// Reads an SDK error.
    pub fn new<E, R>(action: Action, error: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HasStatus,
    {
        let status = error.raw_response().map(HasStatus::status_code);
        let message = match error.message() {
            Some(m) => m.to_owned(),
            None => DisplayErrorContext(error).to_string(),
        };
        let code = error.code().map(str::to_owned);
        Self {
            action,
            code,
            status,
            message,
        }
    }

    /// How the failure is handled. No response at all (a timeout, a refused
    /// connection) is transient like a 5xx.
    pub fn failure(&self) -> Failure {
        if self.code.is_none() && self.status.is_none() {
            return Failure::Transient;
        }
        retry::classify(self.code.as_deref(), self.status)
    }

    /// Whether AWS said the thing asked about does not exist (any `*NotFound*` code).
    pub fn is_not_found(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| c.contains("NotFound") || c == "ResourceNotFoundException")
    }

    /// The error the stage sees.
    pub fn into_host_error(self) -> HostError {
        retry::error(
            self.action,
            self.code.as_deref(),
            self.status,
            &self.message,
        )
    }
}

impl From<CallError> for HostError {
    fn from(e: CallError) -> Self {
        e.into_host_error()
    }
}

/// The HTTP status of a raw response.
pub trait HasStatus {
    /// The status code.
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_ecs::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Requests sent per action (retries included), since the process started.
static SENT: [AtomicU64; Action::ALL.len()] = [const { AtomicU64::new(0) }; Action::ALL.len()];

/// How many requests of each action this process has sent (retries included), for
/// the benchmark and for anyone who wonders what a run costs in API calls.
pub fn sent() -> Vec<(Action, u64)> {
    Action::ALL
        .iter()
        .zip(SENT.iter())
        .map(|(action, n)| (*action, n.load(Ordering::Relaxed)))
        .collect()
}

fn count(action: Action) {
    if let Some(i) = Action::ALL.iter().position(|a| *a == action) {
        SENT[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// Calls `op` until it succeeds, fails for good, or has been tried
/// [`MAX_ATTEMPTS`] times, waiting [`retry::backoff`] between tries.
pub async fn call<O, E, Fut>(action: Action, op: impl FnMut() -> Fut) -> Result<O, CallError>
where
    Fut: Future<Output = Result<O, SdkError<E, aws_sdk_ecs::config::http::HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    call_with(action, op, |attempt| retry::backoff(attempt, jitter())).await
}

/// [`call`] with the wait before retry number `n` given by `wait(n)`.
pub async fn call_with<O, E, Fut>(
    action: Action,
    mut op: impl FnMut() -> Fut,
    wait: impl Fn(u32) -> Duration,
) -> Result<O, CallError>
where
    Fut: Future<Output = Result<O, SdkError<E, aws_sdk_ecs::config::http::HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut attempt = 1;
    loop {
        count(action);
        match op().await {
            Ok(out) => return Ok(out),
            Err(e) => {
                let error = CallError::new(action, &e);
                if error.failure() != Failure::Transient || attempt >= MAX_ATTEMPTS {
                    return Err(error);
                }
                tracing::debug!(%action, attempt, code = ?error.code, "AWS call failed; trying again");
                tokio::time::sleep(wait(attempt)).await;
                attempt += 1;
            }
        }
    }
}

/// A random share from 0 to 1.
fn jitter() -> f64 {
    let bits = getrandom::u64().unwrap_or(u64::MAX / 2);
    (bits >> 11) as f64 / (1u64 << 53) as f64
}
