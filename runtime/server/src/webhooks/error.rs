//! Why a delivery was refused, and the JSON answer `{"error": {"code", "message"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::events::PayloadError;
use super::signature::SignatureError;
use super::trigger::QueueError;

/// Why a delivery was refused. None of the messages holds the secret or the
/// signature that was sent.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The body is larger than the configured limit.
    #[error("the payload is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body could not be read.
    #[error("the request body could not be read: {0}")]
    Body(String),
    /// The signature is missing or wrong.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A required header is absent.
    #[error("the request has no {0} header")]
    MissingHeader(&'static str),
    /// A header's value is unusable.
    #[error("the {0} header is not a short printable ASCII value")]
    InvalidHeader(&'static str),
    /// The webhook sends form-encoded payloads.
    #[error("the payload is form-encoded; set the webhook's content type to application/json")]
    FormEncoded,
    /// The payload is not what the event needs.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The run store failed.
    #[error("the run database is unavailable")]
    Store,
    /// The request could not be queued.
    #[error("{0}; GitHub may redeliver later")]
    Queue(#[from] QueueError),
}

impl WebhookError {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Signature(_) => StatusCode::UNAUTHORIZED,
            Self::FormEncoded => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Body(_) | Self::MissingHeader(_) | Self::InvalidHeader(_) | Self::Payload(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::Store => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Queue(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable error code in the JSON answer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::Body(_) => "unreadable_body",
            Self::Signature(SignatureError::Missing) => "missing_signature",
            Self::Signature(_) => "bad_signature",
            Self::MissingHeader(_) => "missing_header",
            Self::InvalidHeader(_) => "invalid_header",
            Self::FormEncoded => "unsupported_media_type",
            Self::Payload(PayloadError::Json(_)) => "malformed_json",
            Self::Payload(_) => "invalid_payload",
            Self::Store => "store_unavailable",
            Self::Queue(_) => "queue_unavailable",
        }
    }
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code(), "message": self.to_string() } });
        (self.status(), Json(body)).into_response()
    }
}
