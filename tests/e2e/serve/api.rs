//! The REST API of a running `seamless serve`: tokens made with `seamless token
//! create` (a viewer reads but cannot act; no token gets 401), a run triggered at the
//! checkout's newest commit or at an older one, and a rerun of an ended run.

use super::{Repo, Server, http};
use crate::support::seamless_bin;
use serde_json::{Value, json};
use std::process::Command;

/// `seamless token create NAME --role ROLE` against the repository's data directory.
fn create_token(repo: &Repo, name: &str, role: &str) -> String {
    crate::support::create_token(repo.scratch.data.path(), name, role)
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

/// `seamless <args> --server URL --token T`, with the data directory left unset so
/// nothing local is read.
fn cli(server: &Server, token: &str, args: &[&str]) -> std::process::Output {
    Command::new(seamless_bin())
        .args(args)
        .args([
            "--server",
            &format!("http://127.0.0.1:{}", server.port),
            "--token",
            token,
        ])
        .env("SEAMLESS_DATA_DIR", "/nonexistent/seamless-remote-only")
        .output()
        .unwrap()
}

#[test]
fn the_cli_triggers_follows_and_approves_through_a_server() {
    let service = "[[service]]\nname = \"app\"\n[service.commands]\nshow = \"cat version.txt\"\n";
    let mut toml = super::pipeline("", service);
    toml.push_str(
        "\n[[stage]]\nname = \"approval\"\nuses = \"gate:approval\"\nneeds = [\"show\"]\n\n\
         [[stage]]\nname = \"release\"\nuses = \"builtin:command\"\nneeds = [\"approval\"]\n\
         [stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"show\"\n",
    );
    let repo = Repo::build(
        &toml,
        &[
            ("Dockerfile", "FROM seamless/busybox\n"),
            ("version.txt", "version-one\n"),
        ],
        ("version.txt", "version-two\n"),
    );
    let server = repo.serve("cli");
    let operator = create_token(&repo, "ops", "operator");

    let out = cli(&server, &operator, &["trigger", "--commit", &repo.first]);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    let run = String::from_utf8(out.stdout).unwrap().trim().to_string();
    crate::support::wait_for(
        "the run to wait for approval",
        || {
            let r = repo.store().run(&run).unwrap()?;
            (r.status.as_str() == "awaiting-approval").then_some(())
        },
        || server.log(),
    );
    let out = cli(
        &server,
        &operator,
        &["runs", "--status", "awaiting-approval"],
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && listed.contains(&run), "{listed}");

    let out = cli(&server, &operator, &["approve", &run]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(
        &server,
        &operator,
        &["logs", "-f", &run, "--stage", "release"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("app/release | version-one"), "{stdout}");
    assert!(
        !stdout.contains("app/show"),
        "only the release stage: {stdout}"
    );
    assert_eq!(
        repo.store().approval(&run).unwrap().unwrap().decided_by,
        "ops"
    );

    // Errors carry the server's message and fail the command.
    let out = cli(&server, &operator, &["approve", &run]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already ended"),
        "{out:?}"
    );
    let out = cli(&server, "seamless_wrong", &["runs"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401"),
        "{out:?}"
    );
}

#[test]
fn each_registered_pipeline_takes_webhooks_signed_with_its_own_secret() {
    let repo = Repo::new("cat version.txt", "");
    let server = repo.serve("pipelines");
    let operator = create_token(&repo, "ops", "operator");
    // A second repository, another pipeline, registered through the API.
    let service = "[[service]]\nname = \"other\"\n[service.commands]\nshow = \"cat version.txt\"\n";
    let toml =
        super::pipeline("", service).replace("pipeline = \"served\"", "pipeline = \"second\"");
    let second = Repo::build(
        &toml,
        &[
            ("Dockerfile", "FROM seamless/busybox\n"),
            ("version.txt", "second-one\n"),
        ],
        ("version.txt", "second-two\n"),
    );
    let secret = "second-pipeline-webhook-secret";
    let body = json!({"config_path": second.checkout.path().display().to_string(), "webhook_secret": secret});
    let (status, answer) = call(
        &server,
        "POST",
        "/api/v1/pipelines",
        Some(&operator),
        Some(body),
    );
    assert_eq!(status, 201, "{answer}");
    let reuse = json!({"config_path": second.checkout.path().display().to_string(), "webhook_secret": super::SECRET});
    let (status, _) = call(
        &server,
        "PUT",
        "/api/v1/pipelines/second",
        Some(&operator),
        Some(reuse),
    );
    assert_eq!(status, 409, "a secret belongs to one pipeline");

    let payload = second.push("main", &second.first, &second.second);
    let bytes = serde_json::to_vec(&payload).unwrap();
    let (status, answer) = server.post(
        "push",
        "second-1",
        &bytes,
        Some(&super::sign(secret, &bytes)),
    );
    assert_eq!(status, 202, "{answer}");
    let run = repo.finished_run_of(&server, "second-1");
    assert_eq!(run.pipeline, "second");
    assert_eq!(
        run.status.as_str(),
        "success",
        "{}",
        repo.scratch.stored_logs(&run.id)
    );
    assert!(repo.scratch.stored_logs(&run.id).contains("second-two"));

    let (status, _) = server.post(
        "push",
        "second-2",
        &bytes,
        Some(&super::sign("some-other-secret", &bytes)),
    );
    assert_eq!(status, 401);
    assert!(
        repo.store().delivery("second-2").unwrap().is_none(),
        "nothing stored"
    );

    // Removed, its secret opens nothing any more.
    let (status, _) = call(
        &server,
        "DELETE",
        "/api/v1/pipelines/second",
        Some(&operator),
        None,
    );
    assert_eq!(status, 204);
    let (status, _) = server.post(
        "push",
        "second-3",
        &bytes,
        Some(&super::sign(secret, &bytes)),
    );
    assert_eq!(status, 401);
}
