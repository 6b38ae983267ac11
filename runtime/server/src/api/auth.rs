//! Who is asking: API bearer tokens (created with `seamless token create`, stored as
//! SHA-256 hashes) or a dashboard session (GitHub login, [`crate::login`]) carry a
//! role, viewer or operator. Viewers read; operators also
//! approve, reject, cancel, rerun, trigger, roll back and change configuration.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub use seamless_client::token::{Role, TOKEN_PREFIX, UnknownRole, new_token, token_hash};

use super::error::ApiError;
use super::state::ApiState;
use crate::login::routes::{csrf_ok, current};

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
