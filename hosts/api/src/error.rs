//! Errors a backend reports.

/// Why a backend call failed.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The backend cannot be reached (no Docker engine, no credentials).
    #[error("{backend} is not available: {reason}")]
    Unavailable {
        /// The backend's name.
        backend: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The thing named does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The request was invalid.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The backend refused or failed the operation.
    #[error("{backend}: {message}")]
    Backend {
        /// The backend's name.
        backend: &'static str,
        /// What the backend said.
        message: String,
    },
    /// The backend does not offer this operation (the local process host has no
    /// networks, for example).
    #[error(
        "the {backend} host does not support {what}; run on Docker (`--host docker`) for this stage"
    )]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
        /// What was asked for.
        what: String,
    },
}
