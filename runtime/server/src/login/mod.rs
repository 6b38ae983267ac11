//! Dashboard login with GitHub OAuth (the authorization-code flow with a `state`
//! parameter bound to the browser by a short-lived cookie), an allowlist of users and
//! organisations, and sessions in HttpOnly, Secure, SameSite=Lax cookies whose hash is
//! stored. State-changing requests made with a session must echo its CSRF token in
//! `X-CSRF-Token`.
//!
//! The OAuth endpoints are configurable, so tests use a local stand-in. The user's
//! GitHub access token is used once, to learn the login and organisations, and then
//! dropped.

pub mod cookies;
pub mod github_oauth;
pub mod routes;

use std::collections::BTreeSet;

pub use routes::router;

use crate::api::auth::Role;

/// Where GitHub's OAuth lives, by default.
pub const DEFAULT_AUTHORIZE_URL: &str = "https://github.com/login/oauth/authorize";
/// GitHub's token endpoint, by default.
pub const DEFAULT_TOKEN_URL: &str = "https://github.com/login/oauth/access_token";

/// How the dashboard signs people in.
#[derive(Clone)]
pub struct LoginConfig {
    /// The OAuth app's client id.
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: String,
    /// The authorization page (`https://github.com/login/oauth/authorize`).
    pub authorize_url: String,
    /// The token endpoint (`https://github.com/login/oauth/access_token`).
    pub token_url: String,
    /// The REST API that tells the login and organisations (`https://api.github.com`).
    pub api_url: String,
    /// The server's public base URL; GitHub redirects to `{public_url}/auth/callback`.
    pub public_url: String,
    /// Users who may sign in.
    pub allow_users: BTreeSet<String>,
    /// Organisations whose members may sign in.
    pub allow_orgs: BTreeSet<String>,
    /// Users who get the operator role (others are viewers).
    pub operators: BTreeSet<String>,
    /// How long a session lasts.
    pub session_ttl: std::time::Duration,
}

impl std::fmt::Debug for LoginConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("authorize_url", &self.authorize_url)
            .field("public_url", &self.public_url)
            .field("allow_users", &self.allow_users)
            .field("allow_orgs", &self.allow_orgs)
            .finish_non_exhaustive()
    }
}

impl LoginConfig {
    /// The role of `login`, if the allowlist lets them in given their `orgs`.
    pub fn role_of(&self, login: &str, orgs: &[String]) -> Option<Role> {
        let login = login.to_ascii_lowercase();
        let allowed = self.allow_users.contains(&login)
            || self.operators.contains(&login)
            || orgs
                .iter()
                .any(|o| self.allow_orgs.contains(&o.to_ascii_lowercase()));
        allowed.then(|| {
            if self.operators.contains(&login) {
                Role::Operator
            } else {
                Role::Viewer
            }
        })
    }

    /// Whether cookies get the `Secure` attribute: always, except for a plain-http
    /// public URL on a host other than localhost (where browsers would drop them).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
            || self.public_url.starts_with("http://localhost")
            || self.public_url.starts_with("http://127.0.0.1")
            || self.public_url.starts_with("http://[::1]")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn config() -> LoginConfig {
        LoginConfig {
            client_id: "id".into(),
            client_secret: "s".into(),
            authorize_url: DEFAULT_AUTHORIZE_URL.into(),
            token_url: DEFAULT_TOKEN_URL.into(),
            api_url: "https://api.github.com".into(),
            public_url: "https://ci.example.com".into(),
            allow_users: ["alice".to_string()].into(),
            allow_orgs: ["acme".to_string()].into(),
            operators: ["olga".to_string()].into(),
            session_ttl: std::time::Duration::from_secs(60),
        }
    }

    #[test]
    fn the_allowlist_decides_who_enters_and_operators_act() {
        let c = config();
        assert_eq!(c.role_of("Alice", &[]), Some(Role::Viewer));
        assert_eq!(c.role_of("olga", &[]), Some(Role::Operator));
        assert_eq!(c.role_of("bob", &["ACME".into()]), Some(Role::Viewer));
        assert_eq!(c.role_of("mallory", &["evil".into()]), None);
        assert!(c.secure_cookies());
    }
}
