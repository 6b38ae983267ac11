//! The dashboard in real headless Chromium (Debian's chromium and chromedriver, driven
//! over WebDriver with fantoccini), against `seamless serve` on Docker:
//! 1. sign in through a stand-in GitHub OAuth server;
//! 2. open a run in progress and see its stages change without a reload;
//! 3. click approve and see the deploy finish;
//! 4. open the service page, click rollback, and see the new revision serve.

mod browser;
mod oauth;

use crate::deploys::Deploy;
use crate::serve::http;
use crate::support::{Reserved, reserve_port, seamless_bin, wait_for};
use browser::Browser;
use serde_json::{Value, json};
use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const SECRET_VAR: &str = "SEAMLESS_DASHBOARD_TEST_SECRET";
const OAUTH_SECRET_VAR: &str = "SEAMLESS_DASHBOARD_TEST_OAUTH";

/// `seamless serve` for the deploy fixture, with the GitHub login on.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
    token: String,
    /// Holds `port` for this server: it is named up front in `--public-url`.
    _port: Reserved,
}

impl Server {
    fn start(d: &Deploy, oauth: &oauth::OAuth) -> Self {
        let reserved = reserve_port();
        let port = reserved.port();
        let log = d.s.data.path().join("serve.log");
        let oauth_base = format!("http://127.0.0.1:{}", oauth.port);
        let child = Command::new(seamless_bin())
            .arg("serve")
            .arg(d.s.path())
            .args(["--listen", &format!("127.0.0.1:{port}"), "--host", "docker"])
            .args(["--webhook-secret-env", SECRET_VAR])
            .args(["--public-url", &format!("http://localhost:{port}")])
            .args([
                "--oauth-client-id",
                oauth::CLIENT_ID,
                "--oauth-client-secret-env",
                OAUTH_SECRET_VAR,
            ])
            .args([
                "--oauth-authorize-url",
                &format!("{oauth_base}/login/oauth/authorize"),
            ])
            .args([
                "--oauth-token-url",
                &format!("{oauth_base}/login/oauth/access_token"),
            ])
            .args(["--github-api", &oauth_base, "--operators", oauth::LOGIN])
            .arg("--data-dir")
            .arg(d.s.data.path())
            .env(SECRET_VAR, "dashboard-test-webhook-secret")
            .env(OAUTH_SECRET_VAR, oauth::CLIENT_SECRET)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let token = crate::support::create_token(d.s.data.path(), "dashboard-test", "operator");
        let mut server = Self {
            child,
            port,
            log,
            token,
            _port: reserved,
        };
        let read_log = |path: &PathBuf| std::fs::read_to_string(path).unwrap_or_default();
        wait_for(
            "the server to answer",
            || {
                let exited = server.child.try_wait().unwrap();
                assert!(
                    exited.is_none(),
                    "the server exited:\n{}",
                    read_log(&server.log)
                );
                matches!(http(port, "GET", "/healthz", &[], b""), Ok((200, _))).then_some(())
            },
            || read_log(&server.log),
        );
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An API call with the operator token: (status, JSON).
    fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let auth = format!("Bearer {}", self.token);
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        let (status, text) = http(self.port, method, path, &headers, body.as_bytes()).unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn trigger(&self) -> String {
        let (status, body) = self.api("POST", "/api/v1/pipelines/deploys/runs", Some(json!({})));
        assert_eq!(status, 202, "{body}\n{}", self.log());
        body["run_id"].as_str().unwrap().to_string()
    }

    fn run_status(&self, run: &str) -> String {
        let (_, detail) = self.api("GET", &format!("/api/v1/runs/{run}"), None);
        detail["run"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn wait_status(&self, run: &str, status: &str) {
        wait_for(
            &format!("run {run} to be {status}"),
            || {
                let now = self.run_status(run);
                assert!(
                    now == status || !matches!(now.as_str(), "success" | "failure" | "cancelled"),
                    "run {run} ended {now}\n{}",
                    self.log()
                );
                (now == status).then_some(())
            },
            || self.log(),
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_watch_a_run_live_approve_it_and_roll_back_from_the_dashboard() {
    let d = Deploy::new("dash", true, "");
    d.slow_build(6);
    d.commit("v1", true);
    let oauth = oauth::OAuth::start();
    let server = Server::start(&d, &oauth);

    // A first version in production, through the API.
    let first = server.trigger();
    server.wait_status(&first, "awaiting-approval");
    let (status, body) = server.api(
        "POST",
        &format!("/api/v1/runs/{first}/approve"),
        Some(json!({})),
    );
    assert_eq!(status, 200, "{body}");
    server.wait_status(&first, "success");
    assert_eq!(d.version(), Ok((200, "v1".into())));

    // A second one, watched in the browser while its build runs.
    d.commit("v2", true);
    let second = server.trigger();
    let base = format!("http://localhost:{}", server.port);
    let log = server.log.clone();
    let browser = Browser::start(move || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("server log (last lines):\n{}", tail.join("\n"))
    })
    .await;
    let b = &browser.client;
    browser
        .open(&format!("{base}/runs/{second}"), "[data-testid=login]")
        .await;
    browser.click("[data-testid=login]").await;
    // The header shows who signed in once the login round trip is over.
    browser.wait_text("[data-testid=user]", oauth::LOGIN).await;
    assert!(
        b.current_url()
            .await
            .unwrap()
            .as_str()
            .ends_with(&format!("/runs/{second}"))
    );
    b.execute("window.__notReloaded = true;", vec![])
        .await
        .unwrap();

    let build = format!("[data-testid=stage-{}-build]", d.service);
    let first_seen = browser.attr_of(&build, "data-status").await;
    assert!(
        matches!(first_seen.as_str(), "idle" | "in-progress"),
        "the build should still be running when the page opens: {first_seen}"
    );
    browser.wait_attr(&build, "data-status", "success").await;
    let gate = format!("[data-testid=stage-{}-approval]", d.service);
    browser
        .wait_attr(&gate, "data-status", "awaiting-approval")
        .await;

    // Approve: the deploy runs and finishes, live.
    browser.click("[data-testid=approve]").await;
    let deploy = format!("[data-testid=stage-{}-deploy]", d.service);
    browser.wait_attr(&deploy, "data-status", "success").await;
    browser
        .wait_attr("[data-testid=run-status]", "data-status", "success")
        .await;
    browser.fits("run").await;
    let kept = b
        .execute("return window.__notReloaded === true;", vec![])
        .await
        .unwrap();
    assert_eq!(kept, Value::Bool(true), "the page was reloaded");
    assert_eq!(d.version(), Ok((200, "v2".into())));
    let approval = d.store.approval(&second).unwrap().unwrap();
    assert_eq!(approval.decided_by, oauth::LOGIN);

    // Roll back to the first version from the service page.
    let revisions = d.store.revisions(&d.service, &d.env).unwrap();
    let back_to = revisions
        .iter()
        .find(|r| r.run_id == first)
        .unwrap()
        .id
        .clone();
    let rollback = format!("[data-testid=rollback-{back_to}]");
    browser
        .open(
            &format!("{base}/pipelines/deploys/services/{}", d.service),
            &rollback,
        )
        .await;
    browser.click(&rollback).await;
    browser
        .click(&format!("[data-testid=rollback-confirm-{back_to}]"))
        .await;
    let newest = wait_for(
        "the rollback's revision",
        || {
            let all = d.store.revisions(&d.service, &d.env).unwrap();
            let r = all.into_iter().next()?;
            (r.result == "success" && r.run_id != second && r.run_id != first).then_some(r)
        },
        || server.log(),
    );
    browser
        .find(&format!("[data-testid=revision-{}]", newest.id))
        .await;
    browser
        .find(&format!("[data-testid=current-{}]", newest.id))
        .await;
    assert_eq!(d.version(), Ok((200, "v1".into())));
    browser.fits("service").await;
    let latest = format!("[data-testid=latest-deploys-{}-manual]", d.service);
    browser.open(&format!("{base}/"), &latest).await;
    browser.fits("overview").await;
    browser.close().await;
}
