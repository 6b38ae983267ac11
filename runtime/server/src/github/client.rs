//! The two GitHub REST calls the server makes: create a commit status, merge a pull
//! request.

use std::sync::Arc;
use std::time::Duration;

use hyper::Method;
use hyper::header::{ACCEPT, AUTHORIZATION, HeaderName, HeaderValue, USER_AGENT};
use seamless_core::config::MergeMethod;
use serde::Serialize;

use super::error::GitHubError;
use seamless_client::http::{Endpoint, Transport};

/// GitHub's public API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The longest commit status description GitHub accepts, in characters.
pub const MAX_DESCRIPTION: usize = 140;

/// How long one call may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A GitHub token. `Debug` does not show it.
#[derive(Clone)]
pub struct Token(Arc<str>);

impl Token {
    /// Wraps `token` (surrounding whitespace removed).
    pub fn new(token: &str) -> Self {
        Self(Arc::from(token.trim()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The state of a commit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusState {
    /// The run is under way (or waits for approval).
    Pending,
    /// The run passed.
    Success,
    /// A stage failed.
    Failure,
    /// The run was cancelled or could not be carried out.
    Error,
}

impl StatusState {
    /// GitHub's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Error => "error",
        }
    }
}

/// The body of `POST /repos/{owner}/{repo}/statuses/{sha}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitStatus {
    /// The state.
    pub state: StatusState,
    /// A short description; [`CommitStatus::new`] cuts it to [`MAX_DESCRIPTION`].
    pub description: String,
    /// Which check this is, such as `seamless/shop`.
    pub context: String,
    /// Where the run can be seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
}

impl CommitStatus {
    /// A status whose description is cut to [`MAX_DESCRIPTION`] characters.
    pub fn new(
        state: StatusState,
        description: &str,
        context: &str,
        target_url: Option<String>,
    ) -> Self {
        Self {
            state,
            description: description.chars().take(MAX_DESCRIPTION).collect(),
            context: context.to_string(),
            target_url,
        }
    }
}

#[derive(Serialize)]
struct MergeBody<'a> {
    sha: &'a str,
    merge_method: &'a str,
}

/// A GitHub REST client: an API base URL and a token. `Debug` does not show the token.
#[derive(Clone)]
pub struct GitHubClient {
    transport: Transport,
    headers: Arc<[(HeaderName, HeaderValue)]>,
}

impl std::fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubClient")
            .field("api", &self.api_url())
            .field("token", &"<redacted>")
            .finish()
    }
}

impl GitHubClient {
    /// A client of the API at `api_url` (such as [`DEFAULT_API_URL`], or
    /// `https://HOST/api/v3` for GitHub Enterprise) that authenticates with `token`.
    pub fn new(api_url: &str, token: Token) -> Result<Self, GitHubError> {
        let transport = Transport::new(Endpoint::parse(api_url)?, TIMEOUT)?;
        if token.0.is_empty() {
            return Err(GitHubError::InvalidToken);
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.0))
            .map_err(|_| GitHubError::InvalidToken)?;
        authorization.set_sensitive(true);
        let headers = [
            (AUTHORIZATION, authorization),
            (
                ACCEPT,
                HeaderValue::from_static("application/vnd.github+json"),
            ),
            (
                HeaderName::from_static("x-github-api-version"),
                HeaderValue::from_static("2022-11-28"),
            ),
            (
                USER_AGENT,
                HeaderValue::from_static(concat!("seamless/", env!("CARGO_PKG_VERSION"))),
            ),
        ];
        Ok(Self {
            transport,
            headers: Arc::from(headers),
        })
    }

    /// The API base URL, as requests use it.
    pub fn api_url(&self) -> String {
        self.transport.endpoint().url("")
    }

    /// Sets a status on commit `sha` of `repository` (`owner/name`).
    pub async fn create_status(
        &self,
        repository: &str,
        sha: &str,
        status: &CommitStatus,
    ) -> Result<(), GitHubError> {
        let path = format!(
            "/repos/{}/statuses/{}",
            repo_path(repository)?,
            sha_of(sha)?
        );
        self.call(Method::POST, &path, status).await
    }

    /// Merges pull request `number` of `repository` if its head is still `sha`.
    pub async fn merge(
        &self,
        repository: &str,
        number: u64,
        sha: &str,
        method: MergeMethod,
    ) -> Result<(), GitHubError> {
        let path = format!("/repos/{}/pulls/{number}/merge", repo_path(repository)?);
        let body = MergeBody {
            sha: sha_of(sha)?,
            merge_method: method.as_str(),
        };
        self.call(Method::PUT, &path, &body).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: &impl Serialize,
    ) -> Result<(), GitHubError> {
        let name = if method == Method::PUT { "PUT" } else { "POST" };
        // Serializing these plain structs cannot fail; an empty body would be refused.
        let body = serde_json::to_vec(body).unwrap_or_default();
        let answer = self
            .transport
            .send(method, path, &self.headers, body)
            .await?;
        if (200..300).contains(&answer.status) {
            return Ok(());
        }
        Err(GitHubError::Status {
            method: name,
            url: self.transport.endpoint().url(path),
            status: answer.status,
            message: message_of(&answer.body),
        })
    }
}

/// `owner/name`, checked so that it cannot change the request's path.
fn repo_path(repository: &str) -> Result<&str, GitHubError> {
    let valid_part = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match repository.split_once('/') {
        Some((owner, name)) if valid_part(owner) && valid_part(name) => Ok(repository),
        _ => Err(GitHubError::InvalidRepository(repository.to_string())),
    }
}

fn sha_of(sha: &str) -> Result<&str, GitHubError> {
    if matches!(sha.len(), 40 | 64) && sha.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(sha)
    } else {
        Err(GitHubError::InvalidSha(sha.to_string()))
    }
}

/// GitHub's `message` from an error answer, or the start of the body.
fn message_of(body: &[u8]) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let message = message.trim();
    if message.chars().count() > 300 {
        format!("{}…", message.chars().take(300).collect::<String>())
    } else {
        message.to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn repositories_and_shas_cannot_change_the_path() {
        assert_eq!(
            repo_path("test-org/served.rs").unwrap(),
            "test-org/served.rs"
        );
        for bad in ["o", "o/", "/r", "o/r/x", "../r", "o/..", "o/r?x", "o r/x"] {
            assert!(repo_path(bad).is_err(), "{bad}");
        }
        assert!(sha_of(&"a".repeat(40)).is_ok());
        assert!(sha_of(&"b".repeat(64)).is_ok());
        assert!(sha_of("abc").is_err());
        assert!(sha_of(&"g".repeat(40)).is_err());
    }

    #[test]
    fn descriptions_are_cut_to_what_github_accepts() {
        let long = "é".repeat(200);
        let status = CommitStatus::new(StatusState::Failure, &long, "seamless/p", None);
        assert_eq!(status.description.chars().count(), MAX_DESCRIPTION);
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(json["state"], "failure");
        assert!(json.get("target_url").is_none(), "{json}");
    }

    #[test]
    fn the_token_is_never_shown() {
        let client = GitHubClient::new("http://127.0.0.1:1", Token::new("ghp_secret123")).unwrap();
        let shown = format!("{client:?} {:?}", Token::new("ghp_secret123"));
        assert!(!shown.contains("ghp_secret123"), "{shown}");
        assert_eq!(
            GitHubClient::new(DEFAULT_API_URL, Token::new("  ")).unwrap_err(),
            GitHubError::InvalidToken
        );
        assert_eq!(
            GitHubClient::new(DEFAULT_API_URL, Token::new("a\nb")).unwrap_err(),
            GitHubError::InvalidToken
        );
    }

    #[test]
    fn error_answers_give_githubs_message() {
        assert_eq!(
            message_of(br#"{"message":"Validation Failed","documentation_url":"x"}"#),
            "Validation Failed"
        );
        assert_eq!(message_of(b"upstream down\n"), "upstream down");
    }
}
