//! Reading and writing the two cookies: the session and the OAuth state.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "seamless_session";
/// The OAuth state cookie's name (lives while the user is at GitHub).
pub const STATE_COOKIE: &str = "seamless_oauth_state";

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, `Secure` when `secure`.
pub fn set(name: &str, value: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}")
}

/// A `Set-Cookie` value that removes cookie `name`.
pub fn clear(name: &str, secure: bool) -> String {
    set(name, "", 0, secure)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn cookies_are_found_among_others_and_set_with_every_attribute() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=1; seamless_session=abc ; b=2".parse().unwrap());
        assert_eq!(get(&headers, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(get(&headers, "c"), None);
        let c = set(SESSION_COOKIE, "v", 60, true);
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=60"] {
            assert!(c.contains(attribute), "{c}");
        }
        assert!(!set("x", "v", 1, false).contains("Secure"));
        assert!(clear("x", true).contains("Max-Age=0"));
    }
}
