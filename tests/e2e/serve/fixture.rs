//! The `seamless serve` tests' fixture: a scratch git repository served over
//! `file://`, GitHub's delivery shapes, the server process and plain HTTP.

use crate::support::git;
use crate::support::{Bg, Scratch, wait_for};
use seamless_store::{RunFilter, RunRecord, Store};
pub(crate) use seamless_test_support::webhooks::signature as sign;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, ExitStatus};
use std::time::Duration;

pub(crate) const SECRET_VAR: &str = "SEAMLESS_TEST_SECRET";
pub(crate) const SECRET: &str = "serve-e2e-webhook-secret";
pub(crate) const PUSH: &str = include_str!("../../../runtime/server/tests/fixtures/push.json");
pub(crate) const PR_OPENED: &str =
    include_str!("../../../runtime/server/tests/fixtures/pull_request_opened.json");
/// The repository's `full_name` in the payloads.
pub(crate) const FULL_NAME: &str = "test-org/served";

/// A scratch "GitHub" repository (`scratch.dir`, cloned over `file://`) with a tiny
/// pipeline on the local host (prepare, then `show`: the service command), a checkout
/// of it that the server is given, and the data directory.
pub(crate) struct Repo {
    pub(crate) scratch: Scratch,
    pub(crate) checkout: tempfile::TempDir,
    pub(crate) logs: tempfile::TempDir,
    /// The first commit on main, and the second (which changes version.txt).
    pub(crate) first: String,
    pub(crate) second: String,
}

impl Repo {
    /// One service, `app`, whose command `show` is `show`; `triggers` is TOML placed
    /// before the services. The second commit changes version.txt.
    pub(crate) fn new(show: &str, triggers: &str) -> Self {
        let service =
            format!("[[service]]\nname = \"app\"\n[service.commands]\nshow = \"{show}\"\n");
        Self::build(
            &pipeline(triggers, &service),
            &[
                ("Dockerfile", "FROM seamless/busybox\n"),
                ("version.txt", "version-one\n"),
            ],
            ("version.txt", "version-two\n"),
        )
    }

    /// A repository of `toml` and `files`, committed, then `change` (a file and its new
    /// text) committed on top, with a checkout and a data directory.
    pub(crate) fn build(toml: &str, files: &[(&str, &str)], change: (&str, &str)) -> Self {
        let scratch = Scratch::empty();
        scratch.write("seamless.toml", toml);
        for (path, text) in files {
            scratch.write(path, text);
        }
        let origin = scratch.path();
        git(origin, &["init", "-q", "-b", "main"]);
        git(origin, &["add", "-A"]);
        git(origin, &["commit", "-qm", "one"]);
        let first = git(origin, &["rev-parse", "HEAD"]);
        scratch.write(change.0, change.1);
        git(origin, &["commit", "-qam", "two"]);
        let second = git(origin, &["rev-parse", "HEAD"]);
        let checkout = tempfile::tempdir().unwrap();
        git(
            origin,
            &["clone", "-q", ".", checkout.path().to_str().unwrap()],
        );
        // Create (and migrate) the store before any `seamless` process opens it.
        drop(Store::open(scratch.data.path()).unwrap());
        Self {
            scratch,
            checkout,
            logs: tempfile::tempdir().unwrap(),
            first,
            second,
        }
    }

    pub(crate) fn clone_url(&self) -> String {
        format!("file://{}", self.scratch.path().display())
    }

    pub(crate) fn store(&self) -> Store {
        Store::open(self.scratch.data.path()).unwrap()
    }

    pub(crate) fn runs(&self) -> Vec<RunRecord> {
        self.store().list_runs(&RunFilter::default()).unwrap()
    }

    /// The run a delivery started, once it has ended.
    pub(crate) fn finished_run_of(&self, server: &Server, delivery: &str) -> RunRecord {
        let run_id = wait_for(
            "the delivery to start a run",
            || self.store().delivery(delivery).unwrap()?.run_id,
            || server.log(),
        );
        self.finished(&run_id, || server.log())
    }

    /// The run, once it has ended.
    pub(crate) fn finished(&self, run_id: &str, context: impl Fn() -> String) -> RunRecord {
        wait_for(
            "the run to end",
            || {
                let run = self.store().run(run_id).unwrap()?;
                run.status.is_terminal().then_some(run)
            },
            || format!("{}\nlogs:\n{}", context(), self.scratch.stored_logs(run_id)),
        )
    }

    pub(crate) fn stage_names(&self, run_id: &str) -> Vec<String> {
        self.scratch
            .stages(run_id)
            .into_iter()
            .map(|s| s.stage)
            .collect()
    }

    /// A `push` payload (GitHub's shape) of `before..after` to `branch`.
    pub(crate) fn push(&self, branch: &str, before: &str, after: &str) -> Value {
        let mut p: Value = serde_json::from_str(PUSH).unwrap();
        p["ref"] = format!("refs/heads/{branch}").into();
        p["before"] = before.into();
        p["after"] = after.into();
        p["head_commit"]["id"] = after.into();
        p["commits"][0]["id"] = after.into();
        self.repository(&mut p["repository"]);
        p
    }

    /// A `pull_request` `opened` payload (GitHub's shape).
    pub(crate) fn pull_request(&self, head_ref: &str, head: &str, base: &str) -> Value {
        let mut p: Value = serde_json::from_str(PR_OPENED).unwrap();
        p["action"] = "opened".into();
        let pr = &mut p["pull_request"];
        pr["head"]["ref"] = head_ref.into();
        pr["head"]["sha"] = head.into();
        pr["base"]["ref"] = "main".into();
        pr["base"]["sha"] = base.into();
        self.repository(&mut pr["head"]["repo"]);
        self.repository(&mut pr["base"]["repo"]);
        self.repository(&mut p["repository"]);
        p
    }

    pub(crate) fn repository(&self, repo: &mut Value) {
        repo["full_name"] = FULL_NAME.into();
        repo["name"] = "served".into();
        repo["clone_url"] = self.clone_url().into();
        repo["default_branch"] = "main".into();
    }

    /// `seamless <args> --data-dir D` in the background, its output in files.
    pub(crate) fn spawn(&self, name: &str, args: &[&str]) -> Bg {
        self.spawn_with(name, args, &[])
    }

    /// [`Repo::spawn`] with `env` set as well.
    pub(crate) fn spawn_with(&self, name: &str, args: &[&str], env: &[(&str, &str)]) -> Bg {
        let mut env = env.to_vec();
        env.push((SECRET_VAR, SECRET));
        Bg::spawn(self.logs.path(), name, args, self.scratch.data.path(), &env)
    }

    /// `seamless serve <checkout>` on a free port, once it answers.
    pub(crate) fn serve(&self, name: &str) -> Server {
        self.serve_with(name, &[], &[])
    }

    /// [`Repo::serve`] with more arguments and environment variables. The server
    /// binds port 0 and the test reads the bound address from its log, so no other
    /// test can take the port in between.
    pub(crate) fn serve_with(&self, name: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut args = vec![
            "serve",
            self.checkout.path().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--webhook-secret-env",
            SECRET_VAR,
            "--host",
            "local",
        ];
        args.extend_from_slice(extra);
        let mut bg = self.spawn_with(name, &args, env);
        let port = wait_for(
            "the server to log its address",
            || {
                assert!(bg.running(), "the server exited:\n{}", bg.output());
                listening_port(&std::fs::read_to_string(&bg.err).unwrap_or_default())
            },
            String::new,
        );
        let mut server = Server { bg, port };
        wait_for(
            "the server to answer",
            || {
                assert!(server.bg.running(), "the server exited:\n{}", server.log());
                matches!(http(port, "GET", "/healthz", &[], b""), Ok((200, _))).then_some(())
            },
            String::new,
        );
        server
    }
}

/// The port in the server's `listening on http://127.0.0.1:PORT` log line.
pub(crate) fn listening_port(log: &str) -> Option<u16> {
    let rest = log.split("listening on http://").nth(1)?;
    let addr: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    addr.rsplit_once(':')?.1.parse().ok()
}

/// `seamless.toml`: `triggers`, then `services`, then the stages prepare and `show`
/// (each service's `show` command) on the local host.
pub(crate) fn pipeline(triggers: &str, services: &str) -> String {
    format!(
        r#"version = 1
pipeline = "served"
{triggers}

{services}

{prepare}
{show}"#,
        prepare = seamless_core::config::default_stages(&["prepare"]),
        show = seamless_test_support::stages::command_stage("show", &["prepare"], "show"),
    )
}

/// A running `seamless serve`.
pub(crate) struct Server {
    pub(crate) bg: Bg,
    pub(crate) port: u16,
}

impl Server {
    pub(crate) fn log(&self) -> String {
        self.bg.output()
    }

    /// POSTs a delivery; `signature` is the `X-Hub-Signature-256` value, if any.
    pub(crate) fn post(
        &self,
        event: &str,
        delivery: &str,
        body: &[u8],
        signature: Option<&str>,
    ) -> (u16, Value) {
        let mut headers = vec![
            ("Content-Type", "application/json"),
            ("X-GitHub-Event", event),
            ("X-GitHub-Delivery", delivery),
            ("User-Agent", "GitHub-Hookshot/e2e"),
        ];
        if let Some(sig) = signature {
            headers.push(("X-Hub-Signature-256", sig));
        }
        let (status, body) = http(self.port, "POST", "/webhooks/github", &headers, body)
            .unwrap_or_else(|e| panic!("POST failed: {e}\n{}", self.log()));
        let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
        (status, json)
    }

    /// POSTs a delivery signed with the server's secret.
    pub(crate) fn deliver(&self, event: &str, delivery: &str, payload: &Value) -> (u16, Value) {
        let body = serde_json::to_vec(payload).unwrap();
        self.post(event, delivery, &body, Some(&sign(SECRET, &body)))
    }

    /// SIGTERM, and the exit status (within the deadline).
    pub(crate) fn terminate(&mut self) -> ExitStatus {
        let pid = self.bg.pid().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let child = self.bg.child.as_mut().unwrap();
        let status = wait_for(
            "the server to exit after SIGTERM",
            || child.try_wait().unwrap(),
            String::new,
        );
        self.bg.child = None;
        status
    }
}

/// A minimal HTTP/1.1 exchange: (status, body).
pub(crate) fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    crate::support::http_answer(&String::from_utf8_lossy(&response))
}

/// Two services, `a` and `b`; the second commit changes only `b`.
pub(crate) fn two_services() -> Repo {
    let services = ["a", "b"]
        .map(|name| {
            format!(
                "[[service]]\nname = \"{name}\"\npath = \"{name}\"\n\
                 [service.commands]\nshow = \"cat version.txt\"\n"
            )
        })
        .join("\n");
    Repo::build(
        &pipeline("", &services),
        &[
            ("a/Dockerfile", "FROM seamless/busybox\n"),
            ("a/version.txt", "a-one\n"),
            ("b/Dockerfile", "FROM seamless/busybox\n"),
            ("b/version.txt", "b-one\n"),
        ],
        ("b/version.txt", "b-two\n"),
    )
}
