//! The dashboard login: GitHub's OAuth flow against a stand-in (authorize, token,
//! /user, /user/orgs), the state check, the allowlist, the session cookie and CSRF.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::support::*;

/// GitHub's OAuth, standing in: `user` is who signs in next; `carol` is in org `acme`.
struct OAuth {
    addr: SocketAddr,
    user: Arc<Mutex<String>>,
}

async fn oauth() -> OAuth {
    let user = Arc::new(Mutex::new(String::from("olga")));
    let app = Router::new()
        .route(
            "/login/oauth/authorize",
            get(
                |State(user): State<Arc<Mutex<String>>>,
                 Query(q): Query<std::collections::HashMap<String, String>>| async move {
                    assert_eq!(q["client_id"], "client-1");
                    assert_eq!(q["scope"], "read:org");
                    let who = user.lock().unwrap().clone();
                    Redirect::to(&format!(
                        "{}?code=code-of-{who}&state={}",
                        q["redirect_uri"], q["state"]
                    ))
                },
            ),
        )
        .route(
            "/login/oauth/access_token",
            post(|Json(body): Json<Value>| async move {
                if body["client_secret"] != "client-secret-1" {
                    return Json(json!({"error": "incorrect_client_credentials"}));
                }
                let who = body["code"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("code-of-")
                    .to_string();
                Json(json!({"access_token": format!("gho_{who}"), "token_type": "bearer"}))
            }),
        )
        .route(
            "/user",
            get(|headers: HeaderMap| async move {
                let who = bearer(&headers);
                Json(json!({"login": who, "id": 1}))
            }),
        )
        .route(
            "/user/orgs",
            get(|headers: HeaderMap| async move {
                let orgs = if bearer(&headers) == "carol" {
                    json!([{"login": "ACME"}])
                } else {
                    json!([])
                };
                Json(orgs)
            }),
        )
        .with_state(user.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    OAuth { addr, user }
}

use axum::http::HeaderMap;

fn bearer(headers: &HeaderMap) -> String {
    headers["authorization"]
        .to_str()
        .unwrap()
        .trim_start_matches("Bearer gho_")
        .to_string()
}

fn config(oauth: &OAuth) -> LoginConfig {
    let base = format!("http://{}", oauth.addr);
    LoginConfig {
        client_id: "client-1".into(),
        client_secret: "client-secret-1".into(),
        authorize_url: format!("{base}/login/oauth/authorize"),
        token_url: format!("{base}/login/oauth/access_token"),
        api_url: base,
        public_url: "http://localhost:8080".into(),
        allow_users: BTreeSet::from(["alice".to_string()]),
        allow_orgs: BTreeSet::from(["acme".to_string()]),
        operators: BTreeSet::from(["olga".to_string()]),
        session_ttl: Duration::from_secs(3600),
    }
}

/// A raw exchange: status, headers, body.
async fn raw(
    api: &Api,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = api
        .client
        .request(req.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn set_cookie<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {headers:?}"))
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

/// Signs in as whoever the stand-in says, following the redirects by hand. Returns the
/// callback's answer and the state cookie used.
async fn sign_in(api: &Api, next: &str) -> (StatusCode, HeaderMap, String) {
    let base = format!("http://{}", api.addr);
    let (status, headers, _) = raw(
        api,
        Method::GET,
        &format!("{base}/auth/login?next={next}"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    let state_cookie = cookie_pair(set_cookie(&headers, "seamless_oauth_state"));
    let to_github = headers["location"].to_str().unwrap().to_string();
    let (status, headers, _) = raw(api, Method::GET, &to_github, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = headers["location"].to_str().unwrap();
    let query = back.split_once('?').unwrap().1;
    assert!(
        back.starts_with("http://localhost:8080/auth/callback?"),
        "{back}"
    );
    raw(
        api,
        Method::GET,
        &format!("{base}/auth/callback?{query}"),
        &[("cookie", &state_cookie)],
    )
    .await
}

#[tokio::test]
async fn an_allowlisted_operator_signs_in_and_acts_only_with_the_csrf_token() {
    let oauth = oauth().await;
    let api = start_with(Some(config(&oauth))).await;
    api.run("r1", "main");
    api.store
        .set_run_status("r1", RunStatus::AwaitingApproval)
        .unwrap();

    let (status, headers, body) = sign_in(&api, "/runs/r1").await;
    assert_eq!(status, StatusCode::FOUND, "{body}");
    assert_eq!(headers["location"], "/runs/r1");
    let session = set_cookie(&headers, "seamless_session");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    let cookie = cookie_pair(session);
    assert!(
        set_cookie(&headers, "seamless_oauth_state").contains("Max-Age=0"),
        "the state is spent"
    );

    let base = format!("http://{}", api.addr);
    let (status, _, text) = raw(
        &api,
        Method::GET,
        &format!("{base}/auth/session"),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let me: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (me["login"].as_str(), me["role"].as_str()),
        (Some("olga"), Some("operator"))
    );
    let csrf = me["csrf"].as_str().unwrap().to_string();

    let (status, _, _) = raw(
        &api,
        Method::GET,
        &format!("{base}/api/v1/runs"),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the session reads the API");
    let approve = format!("{base}/api/v1/runs/r1/approve");
    let (status, _, text) = raw(&api, Method::POST, &approve, &[("cookie", &cookie)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("X-CSRF-Token"), "{text}");
    let (status, _, _) = raw(
        &api,
        Method::POST,
        &approve,
        &[("cookie", &cookie), ("x-csrf-token", "forged")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        api.store.approval("r1").unwrap().is_none(),
        "nothing was decided"
    );
    let (status, _, text) = raw(
        &api,
        Method::POST,
        &approve,
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        api.store.approval("r1").unwrap().unwrap().decided_by,
        "olga"
    );

    let logout = format!("{base}/auth/logout");
    let (status, _, _) = raw(
        &api,
        Method::POST,
        &logout,
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = raw(
        &api,
        Method::GET,
        &format!("{base}/auth/session"),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session ended");
}

#[tokio::test]
async fn only_the_allowlist_gets_in_and_the_state_must_match() {
    let oauth = oauth().await;
    let api = start_with(Some(config(&oauth))).await;
    let base = format!("http://{}", api.addr);

    *oauth.user.lock().unwrap() = "mallory".into();
    let (status, headers, body) = sign_in(&api, "/").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.contains("mallory") && body.contains("--allow-users"),
        "{body}"
    );
    assert!(
        headers
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap().starts_with("seamless_session"))
    );

    // A member of an allowed organisation is a viewer.
    *oauth.user.lock().unwrap() = "carol".into();
    let (status, headers, _) = sign_in(&api, "https://evil.example/").await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers["location"], "/", "only local paths are followed");
    let cookie = cookie_pair(set_cookie(&headers, "seamless_session"));
    let (_, _, text) = raw(
        &api,
        Method::GET,
        &format!("{base}/auth/session"),
        &[("cookie", &cookie)],
    )
    .await;
    let me: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(me["role"], "viewer");
    api.run("r1", "main");
    let csrf = me["csrf"].as_str().unwrap();
    let (status, _, _) = raw(
        &api,
        Method::POST,
        &format!("{base}/api/v1/runs/r1/cancel"),
        &[("cookie", &cookie), ("x-csrf-token", csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer cannot act");

    // A callback whose state this browser did not start is refused.
    *oauth.user.lock().unwrap() = "alice".into();
    let (status, _, body) = raw(
        &api,
        Method::GET,
        &format!("{base}/auth/callback?code=code-of-alice&state=forged"),
        &[("cookie", "seamless_oauth_state=other.2f")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, _) = raw(
        &api,
        Method::GET,
        &format!("{base}/auth/callback?code=code-of-alice&state=x"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no state cookie at all");
}

#[tokio::test]
async fn without_login_settings_the_login_routes_say_how_to_turn_them_on() {
    let api = start().await;
    let (status, _, body) = raw(
        &api,
        Method::GET,
        &format!("http://{}/auth/login", api.addr),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("--oauth-client-id"), "{body}");
}
