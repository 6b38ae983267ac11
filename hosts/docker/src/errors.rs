//! Turns bollard errors into [`HostError`]s that say what to do.

use bollard::errors::Error;
use seamless_host_api::HostError;

/// The backend name used in messages.
pub(crate) const BACKEND: &str = "docker";

/// Wraps a bollard error with what was being done.
pub(crate) fn backend(doing: &str, err: Error) -> HostError {
    let message = match err {
        Error::DockerResponseServerError { message, .. } => message,
        other => other.to_string(),
    };
    HostError::Backend {
        backend: BACKEND,
        message: format!("{doing}: {}", message.trim()),
    }
}

/// Whether the engine answered 404 (no such container or image).
pub(crate) fn is_not_found(err: &Error) -> bool {
    matches!(
        err,
        Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Whether the engine said a removal is already under way (409), which is as good as done.
pub(crate) fn is_conflict(err: &Error) -> bool {
    matches!(
        err,
        Error::DockerResponseServerError {
            status_code: 409,
            ..
        }
    )
}
