//! Who is asking: API bearer tokens (created with `seamless token create`, stored as
//! SHA-256 hashes) or a dashboard session (GitHub login, [`crate::login`]) carry a
//! role, viewer or operator. Viewers read; operators also
//! approve, reject, cancel, rerun, trigger, roll back and change configuration.

use std::fmt;
use std::str::FromStr;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::error::ApiError;
use super::state::ApiState;
use crate::login::routes::{csrf_ok, current};

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything (no secrets exist in answers).
    Viewer,
    /// Also approves, rejects, cancels, reruns, triggers, rolls back and changes
    /// configuration.
    Operator,
}

impl Role {
    /// Its name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is neither `viewer` nor `operator`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role '{0}': use viewer or operator")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Self::Viewer),
            "operator" => Ok(Self::Operator),
            other => Err(UnknownRole(other.to_string())),
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's name or the user's login, recorded with their decisions.
    pub name: String,
    /// What they may do.
    pub role: Role,
}

impl Principal {
    /// Refuses with 403 unless the caller is an operator.
    pub fn require_operator(&self, action: &str) -> Result<(), ApiError> {
        match self.role {
            Role::Operator => Ok(()),
            Role::Viewer => Err(ApiError::forbidden(format!(
                "{action} needs the operator role; '{}' is a viewer \
                 (create an operator token with `seamless token create NAME --role operator`)",
                self.name
            ))),
        }
    }
}

/// The prefix of every API token, so secret scanners can recognise them.
pub const TOKEN_PREFIX: &str = "seamless_";

/// A new random token (32 bytes from the OS, hex) and its hash.
pub fn new_token() -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The SHA-256 (hex) under which a token is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Authenticates every API request: a valid `Authorization: Bearer` token puts its
/// [`Principal`] into the request's extensions; anything else is answered 401.
pub async fn authenticate(
    State(state): State<ApiState>,
    mut request: Request,
    next: Next,
) -> Response {
    match principal(&state, &request) {
        Ok(p) => {
            request.extensions_mut().insert(p);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

fn principal(state: &ApiState, request: &Request) -> Result<Principal, ApiError> {
    const HOW: &str = "send `Authorization: Bearer TOKEN` with a token from `seamless token create`, \
                       or sign in to the dashboard at /auth/login";
    let Some(value) = request.headers().get(AUTHORIZATION) else {
        return session_principal(state, request)?
            .ok_or_else(|| ApiError::unauthorized(format!("no credentials: {HOW}")));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized(format!(
                "the Authorization header is not a bearer token: {HOW}"
            ))
        })?;
    let record = state
        .runtime
        .store
        .use_token(&token_hash(token))?
        .ok_or_else(|| ApiError::unauthorized("the token is unknown or revoked"))?;
    let role = record
        .role
        .parse()
        .map_err(|e| ApiError::internal("a stored token has an unknown role", e))?;
    Ok(Principal {
        name: record.name,
        role,
    })
}

/// The dashboard user of the request's session cookie. Requests that change anything
/// must carry the session's CSRF token in `X-CSRF-Token` (a cross-site form or script
/// cannot read it).
fn session_principal(state: &ApiState, request: &Request) -> Result<Option<Principal>, ApiError> {
    let Some(session) = current(&state.runtime.store, request.headers())? else {
        return Ok(None);
    };
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !csrf_ok(&session, request.headers()) {
        return Err(ApiError::forbidden(
            "missing or wrong X-CSRF-Token: requests made with a dashboard session must echo \
             the csrf value of GET /auth/session",
        ));
    }
    let role = session
        .role
        .parse()
        .map_err(|e| ApiError::internal("a stored session has an unknown role", e))?;
    Ok(Some(Principal {
        name: session.login,
        role,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let (a, hash) = new_token().unwrap();
        let (b, _) = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(hash, token_hash(&a));
        assert_ne!(hash, a);
    }

    #[test]
    fn roles_parse_and_only_operators_act() {
        assert_eq!("viewer".parse::<Role>().unwrap(), Role::Viewer);
        assert!("admin".parse::<Role>().is_err());
        let viewer = Principal {
            name: "ci".into(),
            role: Role::Viewer,
        };
        let err = viewer.require_operator("approving").unwrap_err();
        assert_eq!(err.status, axum::http::StatusCode::FORBIDDEN);
        assert!(err.message.contains("operator"), "{}", err.message);
    }
}
