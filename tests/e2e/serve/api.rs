//! The REST API of a running `seamless serve`: tokens made with `seamless token
//! create` (a viewer reads but cannot act; no token gets 401), a run triggered at the
//! checkout's newest commit or at an older one, and a rerun of an ended run.

use super::{Repo, Server, http};
use crate::support::seamless_bin;
use serde_json::{Value, json};
use std::process::Command;

/// `seamless token create NAME --role ROLE` against the repository's data directory.
fn create_token(repo: &Repo, name: &str, role: &str) -> String {
    let out = Command::new(seamless_bin())
        .args(["token", "create", name, "--role", role, "--data-dir"])
        .arg(repo.scratch.data.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("seamless_"), "{token}");
    token
}

fn call(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let (status, text) = http(server.port, method, path, &headers, body.as_bytes())
        .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", server.log()));
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[test]
fn tokens_from_the_cli_trigger_and_rerun_runs_through_the_api() {
    let repo = Repo::new("cat version.txt", "");
    let server = repo.serve("api");
    let viewer = create_token(&repo, "dashboard", "viewer");
    let operator = create_token(&repo, "release-bot", "operator");

    let (status, body) = call(&server, "GET", "/api/v1/runs", None, None);
    assert_eq!(status, 401, "{body}");
    let trigger = "/api/v1/pipelines/served/runs";
    let (status, body) = call(&server, "POST", trigger, Some(&viewer), Some(json!({})));
    assert_eq!(status, 403, "{body}");
    assert!(repo.runs().is_empty(), "a refused trigger starts nothing");

    // The checkout's newest commit.
    let (status, body) = call(&server, "POST", trigger, Some(&operator), Some(json!({})));
    assert_eq!(status, 202, "{body}\n{}", server.log());
    let newest = body["run_id"].as_str().unwrap().to_string();
    let run = repo.finished(&newest, || server.log());
    assert_eq!(
        run.status.as_str(),
        "success",
        "{}",
        repo.scratch.stored_logs(&newest)
    );
    assert_eq!(
        (run.commit_sha.as_str(), run.trigger.as_str()),
        (repo.second.as_str(), "manual")
    );
    assert_eq!(run.branch.as_deref(), Some("main"));
    assert!(repo.scratch.stored_logs(&newest).contains("version-two"));

    // An older commit, read back through the API.
    let (status, body) = call(
        &server,
        "POST",
        trigger,
        Some(&operator),
        Some(json!({"commit": repo.first, "stages": ["show"]})),
    );
    assert_eq!(status, 202, "{body}");
    let older = body["run_id"].as_str().unwrap().to_string();
    repo.finished(&older, || server.log());
    let (status, detail) = call(
        &server,
        "GET",
        &format!("/api/v1/runs/{older}"),
        Some(&viewer),
        None,
    );
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["run"]["status"], "success");
    assert_eq!(detail["run"]["commit"], repo.first.as_str());
    let stages: Vec<&str> = detail["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["prepare", "show"]);
    let (_, logs) = call(
        &server,
        "GET",
        &format!("/api/v1/runs/{older}/logs?stage=show"),
        Some(&viewer),
        None,
    );
    let lines: Vec<&str> = logs["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_str().unwrap())
        .collect();
    assert!(lines.contains(&"version-one"), "{logs}");

    // A rerun is a new run of the same commit.
    let (status, body) = call(
        &server,
        "POST",
        &format!("/api/v1/runs/{older}/rerun"),
        Some(&operator),
        None,
    );
    assert_eq!(status, 202, "{body}");
    let again = body["run_id"].as_str().unwrap().to_string();
    assert_ne!(again, older);
    let rerun = repo.finished(&again, || server.log());
    assert_eq!(
        (rerun.status.as_str(), rerun.commit_sha.as_str()),
        ("success", repo.first.as_str())
    );

    let (status, page) = call(
        &server,
        "GET",
        "/api/v1/runs?trigger=manual",
        Some(&viewer),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(page["runs"].as_array().unwrap().len(), 3, "{page}");

    let (status, metrics) = http(
        server.port,
        "GET",
        "/metrics",
        &[("Authorization", &format!("Bearer {viewer}"))],
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains("seamless_runs{status=\"success\"} 3"),
        "{metrics}"
    );
    let instantiations = metrics
        .lines()
        .find_map(|l| l.strip_prefix("seamless_plugin_instantiate_seconds_count "))
        .and_then(|n| n.trim().parse::<u64>().ok())
        .unwrap_or(0);
    assert!(
        instantiations >= 6,
        "two stages in each of three runs:\n{metrics}"
    );

    // Bad requests name what was wrong.
    for (body, code) in [
        (json!({"commit": "not-a-commit-here"}), 422),
        (json!({"trigger": "nightly"}), 400),
        (json!({"services": ["ghost"]}), 422),
        (json!({"colour": "blue"}), 400),
    ] {
        let (status, answer) = call(
            &server,
            "POST",
            trigger,
            Some(&operator),
            Some(body.clone()),
        );
        assert_eq!(status, code, "{body}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
    }
    let (status, _) = call(
        &server,
        "POST",
        "/api/v1/pipelines/ghost/runs",
        Some(&operator),
        None,
    );
    assert_eq!(status, 404);
}
