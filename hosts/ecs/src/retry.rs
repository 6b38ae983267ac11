//! What an AWS error means for the ECS host: throttling and server errors are tried
//! again after a jittered, growing wait; everything else fails at once, with a
//! message that names the IAM action or the `[hosts.ecs]` key to fix.

use std::time::Duration;

use seamless_host_api::HostError;

use crate::BACKEND;
use crate::action::Action;

/// How many times one call is tried in all.
pub const MAX_ATTEMPTS: u32 = 6;
/// The first wait before a retry.
const BASE: Duration = Duration::from_millis(200);
/// The longest wait before a retry.
const CAP: Duration = Duration::from_secs(10);

/// What kind of failure an AWS error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Throttled, or the service failed: worth another try.
    Transient,
    /// The runtime's role may not do this.
    Denied,
    /// The credentials are missing, invalid or expired.
    Credentials,
    /// A resource the configuration names does not exist: the `[hosts.ecs]` key.
    Missing(&'static str),
    /// Anything else: the request was wrong.
    Other,
}

/// Reads an AWS error `code` (`ProvideErrorMetadata::code`) and HTTP status.
pub fn classify(code: Option<&str>, status: Option<u16>) -> Failure {
    match code.unwrap_or_default() {
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "ServerException"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "InternalFailure"
        | "InternalServerError"
        | "LimitExceededException" => Failure::Transient,
        "AccessDeniedException"
        | "AccessDenied"
        | "UnauthorizedOperation"
        | "AccessDeniedForDependencyException" => Failure::Denied,
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredTokenException"
        | "ExpiredToken"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch" => Failure::Credentials,
        "ClusterNotFoundException" => Failure::Missing("cluster"),
        "FileSystemNotFound" => Failure::Missing("file-system"),
        "ResourceNotFoundException" => Failure::Missing("log-group"),
        _ if status.is_some_and(|s| s >= 500 || s == 429) => Failure::Transient,
        _ => Failure::Other,
    }
}

/// The wait before retry number `attempt` (1 for the first retry): "full jitter", a
/// random share (`jitter`, from 0 to 1) of an exponentially growing, capped wait, so
/// callers throttled together do not retry together.
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let exponential = BASE.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
    exponential.min(CAP).mul_f64(jitter.clamp(0.0, 1.0))
}

/// The error for a failed `action`, once it is not (or no longer) retried.
pub fn error(action: Action, code: Option<&str>, status: Option<u16>, message: &str) -> HostError {
    let said = match code {
        Some(code) => format!("{code}: {message}"),
        None => message.to_owned(),
    };
    let message = match classify(code, status) {
        Failure::Denied => format!(
            "{action} was denied ({said}); allow {action} to the role Seamless runs as \
             (hosts/ecs/iam-policy.json lists every permission it needs)"
        ),
        Failure::Credentials => format!(
            "{action} failed: no valid AWS credentials ({said}); set AWS_PROFILE, or \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run Seamless with an IAM role"
        ),
        Failure::Missing(key) => format!(
            "{action} failed ({said}); check `{key}` under [hosts.ecs] or its \
             SEAMLESS_ECS_ environment override: it names something that does not exist in \
             this account and region"
        ),
        Failure::Transient => format!("{action} kept failing after {MAX_ATTEMPTS} tries ({said})"),
        Failure::Other => format!("{action} failed ({said})"),
    };
    HostError::Backend {
        backend: BACKEND,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_server_errors_are_retried_and_the_rest_are_not() {
        for code in [
            "ThrottlingException",
            "TooManyRequestsException",
            "ServerException",
        ] {
            assert_eq!(
                classify(Some(code), Some(400)),
                Failure::Transient,
                "{code}"
            );
        }
        assert_eq!(classify(None, Some(503)), Failure::Transient);
        assert_eq!(classify(Some("Odd"), Some(429)), Failure::Transient);
        assert_eq!(
            classify(Some("AccessDeniedException"), Some(400)),
            Failure::Denied
        );
        assert_eq!(
            classify(Some("ExpiredTokenException"), Some(400)),
            Failure::Credentials
        );
        assert_eq!(
            classify(Some("ClusterNotFoundException"), Some(400)),
            Failure::Missing("cluster")
        );
        assert_eq!(
            classify(Some("InvalidParameterException"), Some(400)),
            Failure::Other
        );
        assert_eq!(classify(None, Some(404)), Failure::Other);
    }

    #[test]
    fn the_wait_grows_is_capped_and_is_jittered() {
        assert_eq!(backoff(1, 1.0), Duration::from_millis(200));
        assert_eq!(backoff(2, 1.0), Duration::from_millis(400));
        assert_eq!(backoff(4, 1.0), Duration::from_millis(1600));
        assert_eq!(backoff(30, 1.0), CAP);
        assert_eq!(backoff(3, 0.5), Duration::from_millis(400));
        assert_eq!(backoff(3, 0.0), Duration::ZERO);
        assert_eq!(backoff(3, 7.0), Duration::from_millis(800));
    }

    /// The message of `action` failing with `code` (HTTP 400) and `text`.
    fn said(action: Action, code: &str, text: &str) -> String {
        error(action, Some(code), Some(400), text).to_string()
    }

    #[test]
    fn each_failure_names_what_to_fix() {
        let denied = said(
            Action::RunTask,
            "AccessDeniedException",
            "User: x is not authorized",
        );
        assert!(
            denied.starts_with("ecs: ecs:RunTask was denied (AccessDeniedException: User: x"),
            "{denied}"
        );
        assert!(denied.contains("iam-policy.json"), "{denied}");
        let missing = said(
            Action::RunTask,
            "ClusterNotFoundException",
            "Cluster not found.",
        );
        assert!(missing.contains("`cluster` under [hosts.ecs]"), "{missing}");
        let credentials = said(Action::DescribeTasks, "ExpiredTokenException", "expired");
        assert!(credentials.contains("AWS_PROFILE"), "{credentials}");
        let throttled = said(
            Action::DescribeTasks,
            "ThrottlingException",
            "Rate exceeded",
        );
        assert!(
            throttled.contains("kept failing after 6 tries"),
            "{throttled}"
        );
    }
}
