//! Extractors whose rejections are answered as API errors.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts};
use serde::de::DeserializeOwned;

use super::error::{ApiError, ApiResult};

/// A JSON body; a bad one is answered 400 (or 415) as an [`ApiError`].
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// A query string; a bad one is answered 400 as an [`ApiError`].
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// A JSON body that may be absent: an empty body is `T::default()`.
pub fn optional_json<T: DeserializeOwned + Default>(body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the JSON body is invalid: {e}")))
}
