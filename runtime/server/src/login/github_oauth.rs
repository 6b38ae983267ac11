//! The GitHub side of the login: the code is exchanged for an access token, which
//! tells the user's login and organisations, and is then dropped.

use std::time::Duration;

use hyper::Method;
use hyper::header::{ACCEPT, AUTHORIZATION, HeaderName, HeaderValue, USER_AGENT};
use serde::Deserialize;

use super::LoginConfig;
use seamless_client::http::{Endpoint, Transport};

/// Why GitHub did not tell who signed in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// An endpoint URL is unusable.
    #[error("the OAuth configuration is unusable: {0}")]
    Config(String),
    /// A call failed.
    #[error("GitHub could not be asked: {0}")]
    Call(String),
    /// GitHub refused the code.
    #[error("GitHub refused the login: {0}")]
    Refused(String),
}

/// Who signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubUser {
    /// The login.
    pub login: String,
    /// The organisations they belong to (as the token may see them).
    pub orgs: Vec<String>,
}

const TIMEOUT: Duration = Duration::from_secs(15);

fn transport(url: &str) -> Result<Transport, OAuthError> {
    let endpoint = Endpoint::parse(url).map_err(|e| OAuthError::Config(e.to_string()))?;
    Transport::new(endpoint, TIMEOUT).map_err(|e| OAuthError::Config(e.to_string()))
}

fn headers(token: Option<&str>) -> Result<Vec<(HeaderName, HeaderValue)>, OAuthError> {
    let mut h = vec![
        (ACCEPT, HeaderValue::from_static("application/json")),
        (
            USER_AGENT,
            HeaderValue::from_static(concat!("seamless/", env!("CARGO_PKG_VERSION"))),
        ),
    ];
    if let Some(t) = token {
        let mut v = HeaderValue::from_str(&format!("Bearer {t}"))
            .map_err(|_| OAuthError::Refused("the access token is not a header value".into()))?;
        v.set_sensitive(true);
        h.push((AUTHORIZATION, v));
    }
    Ok(h)
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct UserAnswer {
    login: String,
}

#[derive(Deserialize)]
struct OrgAnswer {
    login: String,
}

/// Exchanges `code` for a token, then asks who the user is and, when organisations
/// are allowlisted, which ones they belong to.
pub async fn identify(config: &LoginConfig, code: &str) -> Result<GitHubUser, OAuthError> {
    let token_endpoint = transport(&config.token_url)?;
    let body = serde_json::json!({
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "code": code,
        "redirect_uri": format!("{}/auth/callback", config.public_url),
    });
    let answer = token_endpoint
        .send(
            Method::POST,
            "",
            &headers(None)?,
            body.to_string().into_bytes(),
        )
        .await
        .map_err(|e| OAuthError::Call(e.to_string()))?;
    let token: TokenAnswer = serde_json::from_slice(&answer.body).map_err(|e| {
        OAuthError::Refused(format!(
            "the token endpoint answered {}: {e}",
            answer.status
        ))
    })?;
    let access = match token {
        TokenAnswer {
            access_token: Some(t),
            ..
        } if !t.is_empty() => t,
        TokenAnswer {
            error,
            error_description,
            ..
        } => {
            return Err(OAuthError::Refused(
                error_description
                    .or(error)
                    .unwrap_or_else(|| "no access token".into()),
            ));
        }
    };
    let api = transport(&config.api_url)?;
    let auth = headers(Some(&access))?;
    let answer = api
        .send(Method::GET, "/user", &auth, Vec::new())
        .await
        .map_err(|e| OAuthError::Call(e.to_string()))?;
    if answer.status != 200 {
        return Err(OAuthError::Refused(format!(
            "GET /user answered {}",
            answer.status
        )));
    }
    let user: UserAnswer = serde_json::from_slice(&answer.body)
        .map_err(|e| OAuthError::Refused(format!("GET /user: {e}")))?;
    let mut orgs = Vec::new();
    if !config.allow_orgs.is_empty() {
        let answer = api
            .send(Method::GET, "/user/orgs", &auth, Vec::new())
            .await
            .map_err(|e| OAuthError::Call(e.to_string()))?;
        if answer.status == 200 {
            let list: Vec<OrgAnswer> = serde_json::from_slice(&answer.body)
                .map_err(|e| OAuthError::Refused(format!("GET /user/orgs: {e}")))?;
            orgs = list.into_iter().map(|o| o.login).collect();
        }
    }
    Ok(GitHubUser {
        login: user.login,
        orgs,
    })
}
