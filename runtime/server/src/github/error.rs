//! Why a GitHub call failed. No message holds the token.

use seamless_client::http::HttpError;

/// Why a GitHub API call (or setting up the client) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitHubError {
    /// The API base URL is unusable.
    #[error("invalid GitHub API URL '{url}': {reason}")]
    InvalidBase {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The token is empty or not a valid header value.
    #[error("the GitHub token is empty or holds characters a header cannot carry")]
    InvalidToken,
    /// The repository is not `owner/name`.
    #[error("invalid repository '{0}'; expected owner/name")]
    InvalidRepository(String),
    /// The commit is not 40 or 64 hex digits.
    #[error("invalid commit sha '{0}'; expected 40 or 64 hex digits")]
    InvalidSha(String),
    /// No answer (connecting, TLS or the exchange failed), or none in time: the
    /// shared client's error, as it said it.
    #[error(transparent)]
    Transport(HttpError),
    /// GitHub answered with an error status.
    #[error("{method} {url} answered {status}: {message}")]
    Status {
        /// The request method.
        method: &'static str,
        /// The request URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// GitHub's `message`, or the start of the body.
        message: String,
    },
}

impl From<HttpError> for GitHubError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::InvalidBase { url, reason } => Self::InvalidBase { url, reason },
            other => Self::Transport(other),
        }
    }
}

impl GitHubError {
    /// Whether trying again may succeed: no answer, a 5xx, or 429 (rate limited).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> GitHubError {
        GitHubError::Status {
            method: "POST",
            url: "http://x/".into(),
            status,
            message: String::new(),
        }
    }

    #[test]
    fn only_missing_answers_5xx_and_429_are_transient() {
        assert!(status(502).is_transient());
        assert!(status(429).is_transient());
        assert!(!status(422).is_transient());
        assert!(!status(404).is_transient());
        assert!(!GitHubError::InvalidSha("x".into()).is_transient());
        let timeout = GitHubError::from(HttpError::Timeout {
            method: "PUT",
            url: "http://x/".into(),
            seconds: 1,
        });
        assert!(timeout.is_transient());
    }
}
