//! `/auth/login`, `/auth/callback`, `/auth/session` and `/auth/logout`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use seamless_store::{SessionRecord, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::LoginConfig;
use super::cookies::{self, SESSION_COOKIE, STATE_COOKIE};
use super::github_oauth::identify;
use crate::api::error::ApiError;
use seamless_client::http::percent_encode as encode;

/// How long the user has to come back from GitHub.
const STATE_TTL_SECS: u64 = 600;

/// What the login routes share.
#[derive(Clone)]
pub struct LoginState {
    /// The OAuth settings; `None` when dashboard login is not configured.
    pub config: Option<Arc<LoginConfig>>,
    /// Where sessions are kept.
    pub store: Arc<Store>,
}

/// The login routes.
pub fn router(state: LoginState) -> Router {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/session", get(session))
        .route("/auth/logout", post(logout))
        .with_state(state)
}

/// SHA-256 (hex) of a cookie value, as sessions are stored.
pub fn session_hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn random_hex() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal("no randomness", e))?;
    Ok(hex::encode(bytes))
}

fn configured(state: &LoginState) -> Result<Arc<LoginConfig>, ApiError> {
    state.config.clone().ok_or_else(|| {
        ApiError::not_found(
            "dashboard login is not configured: start `seamless serve` with --oauth-client-id \
             and --oauth-client-secret-env (and --allow-users or --allow-orgs)",
        )
    })
}

/// Only a path on this server: starts with one `/`, no scheme or host.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && p.len() < 512 =>
        {
            p.to_string()
        }
        _ => "/".into(),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

fn redirect(to: &str, cookies: &[String]) -> Response {
    let mut response = (StatusCode::FOUND, [(LOCATION, to.to_string())]).into_response();
    for c in cookies {
        if let Ok(v) = c.parse() {
            response.headers_mut().append(SET_COOKIE, v);
        }
    }
    response
}

/// Sends the browser to GitHub with a fresh `state`, remembered in a cookie.
async fn login(
    State(state): State<LoginState>,
    Query(q): Query<LoginQuery>,
) -> Result<Response, ApiError> {
    let config = configured(&state)?;
    let nonce = random_hex()?;
    let next = local_path(q.next.as_deref());
    let cookie_value = format!("{nonce}.{}", hex::encode(next.as_bytes()));
    let url = format!(
        "{}?client_id={}&redirect_uri={}&state={nonce}&scope=read%3Aorg&allow_signup=false",
        config.authorize_url,
        encode(&config.client_id),
        encode(&format!("{}/auth/callback", config.public_url)),
    );
    let cookie = cookies::set(
        STATE_COOKIE,
        &cookie_value,
        STATE_TTL_SECS,
        config.secure_cookies(),
    );
    Ok(redirect(&url, &[cookie]))
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// GitHub sends the browser back here: checks `state`, learns who it is, applies the
/// allowlist and starts a session.
async fn callback(
    State(state): State<LoginState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let config = configured(&state)?;
    if let Some(error) = q.error {
        return Err(ApiError::forbidden(format!(
            "GitHub did not sign you in: {error}"
        )));
    }
    let remembered = cookies::get(&headers, STATE_COOKIE).unwrap_or_default();
    let (nonce, next) = remembered.split_once('.').unwrap_or(("", ""));
    let given = q.state.unwrap_or_default();
    let matches = !nonce.is_empty()
        && nonce.len() == given.len()
        && constant_time_eq(nonce.as_bytes(), given.as_bytes());
    if !matches {
        return Err(ApiError::bad_request(
            "the login's state does not match this browser's; start again at /auth/login",
        ));
    }
    let next = hex::decode(next)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let next = local_path(next.as_deref());
    let code = q
        .code
        .filter(|c| !c.is_empty() && c.len() < 256)
        .ok_or_else(|| ApiError::bad_request("GitHub sent no code"))?;
    let user = identify(&config, &code).await.map_err(|e| {
        tracing::warn!(error = %e, "a GitHub login failed");
        ApiError::forbidden(e.to_string())
    })?;
    let Some(role) = config.role_of(&user.login, &user.orgs) else {
        tracing::warn!(login = %user.login, "a GitHub user outside the allowlist tried to sign in");
        return Err(ApiError::forbidden(format!(
            "'{}' may not use this dashboard; ask an administrator to add you to --allow-users or --allow-orgs",
            user.login
        )));
    };
    let value = random_hex()?;
    let ttl = config.session_ttl;
    state.store.create_session(
        &session_hash(&value),
        &SessionRecord {
            login: user.login.clone(),
            role: role.as_str().to_string(),
            csrf: random_hex()?,
            expires_at: seamless_store::now_ms()
                + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
        },
    )?;
    tracing::info!(login = %user.login, role = %role, "signed in to the dashboard");
    let secure = config.secure_cookies();
    Ok(redirect(
        &next,
        &[
            cookies::set(SESSION_COOKIE, &value, ttl.as_secs(), secure),
            cookies::clear(STATE_COOKIE, secure),
        ],
    ))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Who is signed in.
#[derive(Debug, Serialize)]
struct SessionView {
    login: String,
    role: String,
    csrf: String,
}

/// The session's user, role and CSRF token; 401 without a session.
async fn session(
    State(state): State<LoginState>,
    headers: HeaderMap,
) -> Result<Json<SessionView>, ApiError> {
    let s = current(&state.store, &headers)?
        .ok_or_else(|| ApiError::unauthorized("not signed in; sign in at /auth/login"))?;
    Ok(Json(SessionView {
        login: s.login,
        role: s.role,
        csrf: s.csrf,
    }))
}

/// The request's live session, if any.
pub fn current(store: &Store, headers: &HeaderMap) -> Result<Option<SessionRecord>, ApiError> {
    match cookies::get(headers, SESSION_COOKIE) {
        Some(v) if !v.is_empty() => Ok(store.session(&session_hash(&v))?),
        _ => Ok(None),
    }
}

/// Whether `headers` carry the session's CSRF token in `X-CSRF-Token`.
pub fn csrf_ok(session: &SessionRecord, headers: &HeaderMap) -> bool {
    headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| constant_time_eq(t.as_bytes(), session.csrf.as_bytes()))
}

/// Ends the session (needs its CSRF token).
async fn logout(State(state): State<LoginState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let secure = state.config.as_ref().is_none_or(|c| c.secure_cookies());
    if let Some(s) = current(&state.store, &headers)? {
        if !csrf_ok(&s, &headers) {
            return Err(ApiError::forbidden("missing or wrong X-CSRF-Token"));
        }
        if let Some(v) = cookies::get(&headers, SESSION_COOKIE) {
            state.store.delete_session(&session_hash(&v))?;
        }
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = cookies::clear(SESSION_COOKIE, secure).parse() {
        response.headers_mut().insert(SET_COOKIE, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(local_path(Some("/runs/abc")), "/runs/abc");
        for bad in ["https://evil.example", "//evil.example", "/\\evil", "runs"] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
        assert_eq!(encode("http://a b/c"), "http%3A%2F%2Fa%20b%2Fc");
    }
}
