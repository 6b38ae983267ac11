//! `seamless serve` with a GitHub token: a stand-in for GitHub's REST API (a plain
//! HTTP server in the test that records every call) receives the commit statuses of
//! pull-request runs, and the merge of one whose run passed when auto-merge is on.

use super::{FULL_NAME, Repo, pipeline};
use crate::support::git;
use crate::support::wait_for;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN_VAR: &str = "SEAMLESS_TEST_GITHUB_TOKEN";
const TOKEN: &str = "ghs_e2e-stand-in-token-0123456789";

/// One request the stand-in received.
#[derive(Debug, Clone)]
struct Call {
    method: String,
    path: String,
    authorization: String,
    body: Value,
}

/// GitHub's REST API, standing in: records each request, answers 201 (200 to a merge).
struct GitHub {
    port: u16,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl GitHub {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(call) = answer(stream) {
                    recorded.lock().unwrap().push(call);
                }
            }
        });
        Self { port, calls }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The states posted for `sha`, once the last is `last`.
    fn states_until(&self, sha: &str, last: &str, context: impl Fn() -> String) -> Vec<Call> {
        let path = format!("/repos/{FULL_NAME}/statuses/{sha}");
        wait_for(
            &format!("a {last} status for {sha}"),
            || {
                let posted: Vec<Call> = self
                    .calls()
                    .into_iter()
                    .filter(|c| c.method == "POST" && c.path == path)
                    .collect();
                (posted.last()?.body["state"] == last).then_some(posted)
            },
            || format!("calls: {:#?}\n{}", self.calls(), context()),
        )
    }
}

/// Reads one request from `stream`, answers it, and returns it.
fn answer(mut stream: TcpStream) -> Option<Call> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let (mut length, mut authorization) = (0, String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let Some((name, value)) = header.trim_end().split_once(':') else {
            break;
        };
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "authorization" => authorization = value.trim().to_owned(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let call = Call {
        method,
        path,
        authorization,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let (status, text) = if call.method == "PUT" {
        ("200 OK", r#"{"merged":true}"#)
    } else {
        ("201 Created", r#"{"state":"ok"}"#)
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{text}",
        text.len()
    )
    .ok()?;
    Some(call)
}

/// A repository whose pull-request runs stop after `show` (before `later`), with
/// `pull_request` more keys of `[triggers.pull-request]`. `show` prints the GitHub
/// token's variable (which no stage may see) and fails when version.txt says "broken".
fn repo(pull_request: &str) -> Repo {
    let triggers = format!("[triggers.pull-request]\nuntil = \"show\"\n{pull_request}");
    let service = format!(
        "[[service]]\nname = \"app\"\n[service.commands]\n\
         show = \"echo token=[${TOKEN_VAR}]; grep -v broken version.txt\"\nlater = \"true\"\n"
    );
    let later = "\n[[stage]]\nname = \"later\"\nuses = \"builtin:command\"\nneeds = [\"show\"]\n\
                 [stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"later\"\n";
    Repo::build(
        &format!("{}{later}", pipeline(&triggers, &service)),
        &[
            ("Dockerfile", "FROM seamless/busybox\n"),
            ("version.txt", "version-one\n"),
        ],
        ("version.txt", "version-two\n"),
    )
}

impl Repo {
    /// A commit on a new branch off main whose version.txt is `version`; main stays
    /// checked out.
    fn feature(&self, branch: &str, version: &str) -> String {
        let origin = self.scratch.path();
        git(origin, &["checkout", "-q", "-b", branch, "main"]);
        self.scratch.write("version.txt", version);
        git(origin, &["commit", "-qam", branch]);
        let head = git(origin, &["rev-parse", "HEAD"]);
        git(origin, &["checkout", "-q", "main"]);
        head
    }

    /// A `pull_request` `opened` payload for pull request `number`.
    fn numbered_pull_request(&self, number: u64, branch: &str, head: &str) -> Value {
        let mut p = self.pull_request(branch, head, &self.second);
        p["number"] = number.into();
        p["pull_request"]["number"] = number.into();
        p
    }

    fn serve_github(&self, github: &GitHub, extra: &[&str]) -> super::Server {
        let url = github.url();
        let mut args = vec!["--github-api", &url, "--github-token-env", TOKEN_VAR];
        args.extend_from_slice(extra);
        self.serve_with("serve", &args, &[(TOKEN_VAR, TOKEN)])
    }
}

#[test]
fn a_pull_request_gets_a_partial_run_its_commit_statuses_and_an_auto_merge() {
    let github = GitHub::start();
    let repo = repo("auto-merge = true\nmerge-method = \"squash\"\n");
    let head = repo.feature("feature", "version-feature\n");
    let server = repo.serve_github(&github, &["--public-url", "http://ci.example.test/"]);
    let payload = repo.numbered_pull_request(7, "feature", &head);
    let (status, answer) = server.deliver("pull_request", "pr-merge", &payload);
    assert_eq!(status, 202, "{answer}");

    let run = repo.finished_run_of(&server, "pr-merge");
    let logs = repo.scratch.stored_logs(&run.id);
    assert_eq!(run.status.as_str(), "success", "{logs}");
    assert_eq!(run.trigger, "pull-request");
    assert_eq!(run.commit_sha, head);
    assert_eq!(
        repo.stage_names(&run.id),
        ["prepare", "show"],
        "a pull request runs up to `until` only"
    );
    // The server holds the token; the stage was not granted it and does not see it.
    assert!(logs.contains("token=[]"), "{logs}");
    assert!(!logs.contains(TOKEN), "{logs}");

    let statuses = github.states_until(&head, "success", || server.log());
    let states: Vec<&Value> = statuses.iter().map(|c| &c.body["state"]).collect();
    assert_eq!(states, ["pending", "success"]);
    for (call, description) in statuses.iter().zip(["running", "passed"]) {
        assert_eq!(call.authorization, format!("Bearer {TOKEN}"));
        assert_eq!(call.body["context"], "seamless/served");
        assert_eq!(
            call.body["description"],
            format!("run {} {description}", run.id)
        );
        assert_eq!(
            call.body["target_url"],
            format!("http://ci.example.test/runs/{}", run.id)
        );
    }
    let merge = wait_for(
        "the merge",
        || github.calls().into_iter().find(|c| c.method == "PUT"),
        || format!("{:#?}\n{}", github.calls(), server.log()),
    );
    assert_eq!(merge.path, format!("/repos/{FULL_NAME}/pulls/7/merge"));
    assert_eq!(merge.authorization, format!("Bearer {TOKEN}"));
    assert_eq!(merge.body["sha"], head.as_str());
    assert_eq!(merge.body["merge_method"], "squash");
    let calls = github.calls();
    assert_eq!(calls.len(), 3, "{calls:#?}");
    assert_eq!(
        calls[2].method, "PUT",
        "the merge comes after the success status"
    );
    assert!(!server.log().contains(TOKEN), "{}", server.log());
}

#[test]
fn pull_requests_get_success_or_failure_and_no_merge_without_auto_merge() {
    let github = GitHub::start();
    let repo = repo("");
    let good = repo.feature("good", "version-good\n");
    let bad = repo.feature("bad", "broken\n");
    let server = repo.serve_github(&github, &[]);
    for (number, branch, head) in [(1, "good", &good), (2, "bad", &bad)] {
        let payload = repo.numbered_pull_request(number, branch, head);
        let (status, answer) = server.deliver("pull_request", branch, &payload);
        assert_eq!(status, 202, "{answer}");
    }

    let passed = repo.finished_run_of(&server, "good");
    assert_eq!(passed.status.as_str(), "success");
    let failed = repo.finished_run_of(&server, "bad");
    assert_eq!(failed.status.as_str(), "failure");

    let good_states = github.states_until(&good, "success", || server.log());
    assert_eq!(good_states.len(), 2, "{good_states:#?}");
    assert_eq!(good_states[0].body["state"], "pending");
    let bad_states = github.states_until(&bad, "failure", || server.log());
    assert_eq!(bad_states.len(), 2, "{bad_states:#?}");
    assert_eq!(bad_states[0].body["state"], "pending");
    assert_eq!(
        bad_states[1].body["description"],
        format!("run {} failed at show (app)", failed.id)
    );
    assert!(
        bad_states[1].body.get("target_url").is_none(),
        "no --public-url, no link"
    );
    // The server logs its decision not to merge once the success status is posted;
    // a merge would have been tried in its place.
    wait_for(
        "the decision not to merge pull request 1",
        || {
            let log = server.log();
            log.lines()
                .any(|l| l.contains("pull request left open") && l.contains("pull_request=1"))
                .then_some(())
        },
        || server.log(),
    );
    let calls = github.calls();
    assert!(calls.iter().all(|c| c.method == "POST"), "{calls:#?}");
    assert_eq!(calls.len(), 4, "{calls:#?}");
}
