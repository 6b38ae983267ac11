//! The shop example (`examples/shop`): three Python services through the whole
//! pipeline on Docker: build, push, Compose integration test, deploy to staging and
//! production. Also pull requests, monorepo path filters, and the notify stage.
//!
//! The tests that use the shop deploy (or could deploy) to fixed ports and fixed
//! environment names, so `.config/nextest.toml` puts them in the `shop` test group,
//! one at a time. They push to the registry named by `SEAMLESS_TEST_REGISTRY`.

use crate::support::{Run, Scratch, docker};
use seamless_store::{RunFilter, StageRecord, Store};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const SERVICES: [&str; 3] = ["gateway", "payments", "notifications"];
const ENVIRONMENTS: [&str; 2] = ["staging", "production"];

// ---------------------------------------------------------------------------------
// Helpers: git, the shop copy, stored stages, plain HTTP, cleanup.
// ---------------------------------------------------------------------------------

/// Runs git in `dir` with a fixed identity, and returns its trimmed stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Seamless E2E",
            "-c",
            "user.email=e2e@seamless.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Commits everything in `dir` and returns the new commit.
fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// The registry the tests push to, or a panic that says how to start one.
fn test_registry() -> String {
    match std::env::var("SEAMLESS_TEST_REGISTRY") {
        Ok(r) if !r.trim().is_empty() => r.trim().to_owned(),
        _ => panic!(
            "SEAMLESS_TEST_REGISTRY is not set: the shop pushes its images to a local OCI \
             registry. Start one with scripts/test-env.sh (it serves 127.0.0.1:5001), then \
             `export SEAMLESS_TEST_REGISTRY=127.0.0.1:5001` (scripts/test does both)"
        ),
    }
}

/// A name no other test run uses.
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{:x}", std::process::id(), nanos % 0xffff_ffff)
}

/// A copy of the shop whose images go to `$SEAMLESS_TEST_REGISTRY/shop-<unique>`.
struct Shop {
    s: Scratch,
    /// `<registry>/shop-<unique>`, the prefix of every pushed image.
    registry: String,
    /// The `<unique>` part, also in the first commit's message so that no two tests
    /// build the same commit (images are tagged with it).
    unique: String,
}

impl Shop {
    /// Copies `examples/shop` and points `[registry] url` at the test registry.
    fn new() -> Self {
        let unique = unique();
        let registry = format!("{}/shop-{unique}", test_registry());
        let s = Scratch::example("shop");
        let toml = std::fs::read_to_string(s.path().join("seamless.toml")).unwrap();
        let original = "url = \"127.0.0.1:5001/shop\"";
        assert!(
            toml.contains(original),
            "examples/shop/seamless.toml no longer has {original}"
        );
        s.write(
            "seamless.toml",
            &toml.replacen(original, &format!("url = \"{registry}\""), 1),
        );
        Self {
            s,
            registry,
            unique,
        }
    }

    /// Makes the copy a git repository on `main` with one commit; returns it.
    fn init_repo(&self) -> String {
        git(self.s.path(), &["init", "-q", "-b", "main"]);
        commit_all(self.s.path(), &format!("shop e2e {}", self.unique))
    }

    /// Cleans up what runs of this copy leave behind, when dropped: the shop's
    /// deploys when `deploys`, and every image the runs built.
    fn cleanup(&self, deploys: bool) -> ShopCleanup {
        ShopCleanup {
            data: self.s.data.path().to_owned(),
            registry: self.registry.clone(),
            deploys,
        }
    }
}

/// Removes the shop's deploys (when `deploys`) and the images of the runs stored in
/// `data`, even when the test panics. Declared after the [`Shop`], so it runs while
/// the store still exists.
struct ShopCleanup {
    data: PathBuf,
    registry: String,
    deploys: bool,
}

impl Drop for ShopCleanup {
    fn drop(&mut self) {
        if self.deploys {
            remove_shop_deploys();
        }
        // Images carry the run that built them (`dev.seamless.image.run`): the pushed
        // ones, the integration test's `seamless-it-*` ones, and the untagged ones
        // that concurrent builds of the same tag leave.
        let runs = Store::open(&self.data)
            .and_then(|store| {
                store.list_runs(&RunFilter {
                    limit: 1000,
                    ..RunFilter::default()
                })
            })
            .map(|runs| runs.into_iter().map(|r| r.id).collect())
            .unwrap_or_else(|_| Vec::new());
        let mut images: Vec<String> = Vec::new();
        for run in runs {
            let filter = format!("label=dev.seamless.image.run={run}");
            images.extend(
                docker(&["images", "-a", "-q", "--filter", &filter])
                    .lines()
                    .map(str::to_owned),
            );
        }
        let filter = format!("reference={}/*", self.registry);
        images.extend(
            docker(&[
                "images",
                "--format",
                "{{.Repository}}:{{.Tag}}",
                "--filter",
                &filter,
            ])
            .lines()
            .map(str::to_owned),
        );
        images.sort();
        images.dedup();
        if !images.is_empty() {
            let mut args = vec!["image", "rm", "-f"];
            args.extend(images.iter().map(String::as_str));
            docker(&args);
        }
    }
}

/// Removes every container, proxy and network of the shop's deploys.
fn remove_shop_deploys() {
    let mut containers = Vec::new();
    for svc in SERVICES {
        let filter = format!("label=dev.seamless.deploy.service={svc}");
        containers.extend(
            docker(&["ps", "-a", "-q", "--filter", &filter])
                .lines()
                .map(str::to_owned),
        );
        for env in ENVIRONMENTS {
            containers.push(format!("seamless-{svc}-{env}-proxy"));
        }
    }
    let mut args = vec!["rm", "-f"];
    args.extend(containers.iter().map(String::as_str));
    docker(&args);
    let mut networks: Vec<String> = Vec::new();
    for svc in SERVICES {
        for env in ENVIRONMENTS {
            networks.push(format!("seamless-deploy-{svc}-{env}"));
        }
    }
    for env in ENVIRONMENTS {
        networks.push(format!("seamless-env-{env}"));
    }
    for network in &networks {
        // One at a time: `network rm` stops at the first that does not exist.
        Command::new("docker")
            .args(["network", "rm", network])
            .output()
            .unwrap();
    }
}

/// One stored stage instance (`service` is empty for a run-scoped stage).
fn stage(s: &Scratch, run_id: &str, service: &str, name: &str) -> StageRecord {
    s.stages(run_id)
        .into_iter()
        .find(|r| r.service == service && r.stage == name)
        .unwrap_or_else(|| panic!("no stage {service}/{name} in run {run_id}"))
}

/// `service/stage status` of every instance, sorted, for messages.
fn table(s: &Scratch, run_id: &str) -> String {
    let mut rows: Vec<String> = s
        .stages(run_id)
        .into_iter()
        .map(|r| {
            format!(
                "{}/{} {} {}",
                r.service,
                r.stage,
                r.status.as_str(),
                r.error.unwrap_or_default()
            )
        })
        .collect();
    rows.sort();
    rows.join("\n")
}

/// `(service, stage)` of every stored instance, sorted.
fn instances(s: &Scratch, run_id: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = s
        .stages(run_id)
        .into_iter()
        .map(|r| (r.service, r.stage))
        .collect();
    v.sort();
    v
}

/// The instances a run of `services` through `stage_names` has, sorted.
fn expected_instances(
    services: &[&str],
    stage_names: &[&str],
    run_scoped: &[&str],
) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = run_scoped
        .iter()
        .map(|st| (String::new(), (*st).to_owned()))
        .collect();
    for svc in services {
        for st in stage_names {
            v.push(((*svc).to_owned(), (*st).to_owned()));
        }
    }
    v.sort();
    v
}

/// What a plain HTTP/1.0 request got: status and body.
fn http(
    method: &str,
    addr: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    Ok((status, body.to_owned()))
}

/// `GET path` until it answers 200 (the proxy may take a moment to accept), with a
/// deadline; returns the decoded body.
fn get_json(addr: &str, path: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let last = match http("GET", addr, path, None) {
            Ok((200, body)) => return serde_json::from_str(&body).unwrap(),
            other => format!("{other:?}"),
        };
        assert!(
            Instant::now() < deadline,
            "GET http://{addr}{path} never answered 200; last: {last}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

// ---------------------------------------------------------------------------------
// A local webhook receiver for the notify stage.
// ---------------------------------------------------------------------------------

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hook {
    method: String,
    path: String,
    content_type: String,
    body: String,
}

/// Accepts HTTP requests on 127.0.0.1 and answers each with 200, until finished.
struct Receiver {
    port: u16,
    stop: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<Hook>>>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let got = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (stop, got) = (stop.clone(), got.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Some(hook) = serve_one(stream) {
                                got.lock().unwrap().push(hook);
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        Err(e) => panic!("accept: {e}"),
                    }
                }
            })
        };
        Self {
            port,
            stop,
            got,
            thread: Some(thread),
        }
    }

    /// Stops accepting and returns every request received, in order. The `seamless`
    /// run waits for each answer, so once it has exited every request is here.
    fn finish(mut self) -> Vec<Hook> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads one request from `stream` and answers 200.
fn serve_one(stream: TcpStream) -> Option<Hook> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let (mut length, mut content_type, mut chunked) = (0usize, String::new(), false);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            break;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().ok()?,
                "content-type" => content_type = value.trim().to_owned(),
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
    }
    let body = if chunked {
        read_chunked(&mut reader)?
    } else {
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        body
    };
    let mut stream = reader.into_inner();
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        .ok()?;
    Some(Hook {
        method,
        path,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Reads a `transfer-encoding: chunked` body.
fn read_chunked(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// A one-service pipeline: prepare, then notify stages posting to `port`.
/// `stages` are `(name, when, on)`; `grant` adds `http = ["127.0.0.1:<port>"]`.
fn notify_pipeline(s: &Scratch, port: u16, stages: &[(&str, &str, &str)], grant: bool) {
    s.write("Dockerfile", "FROM seamless/busybox\n");
    let mut toml = String::from(
        "version = 1\npipeline = \"ping\"\n\n[[service]]\nname = \"svc\"\npath = \".\"\n\
         image = \"seamless/busybox\"\n\n[[stage]]\nname = \"prepare\"\n\
         uses = \"builtin:prepare\"\nscope = \"run\"\n[stage.grants]\nworkspace-write = true\n",
    );
    for (name, when, on) in stages {
        toml.push_str(&format!(
            "\n[[stage]]\nname = \"{name}\"\nuses = \"builtin:notify\"\nwhen = \"{when}\"\n"
        ));
        if grant {
            toml.push_str(&format!("[stage.grants]\nhttp = [\"127.0.0.1:{port}\"]\n"));
        }
        toml.push_str(&format!(
            "[stage.with]\nwebhook-url = \"http://127.0.0.1:{port}/hook\"\non = \"{on}\"\n"
        ));
    }
    s.write("seamless.toml", &toml);
}

/// Runs `seamless run <dir> --host docker <extra>`.
fn run_on_docker(s: &Scratch, extra: &[&str]) -> Run {
    let mut args = vec!["--host", "docker"];
    args.extend_from_slice(extra);
    s.run(&args)
}

// ---------------------------------------------------------------------------------
// Notify.
// ---------------------------------------------------------------------------------

#[test]
fn notify_posts_the_run_result_as_json_to_a_granted_webhook() {
    let receiver = Receiver::start();
    let port = receiver.port;
    let s = Scratch::empty();
    notify_pipeline(&s, port, &[("notify", "run-end", "success,failure")], true);
    let run = run_on_docker(&s, &[]);
    let hooks = receiver.finish();
    assert_eq!(run.code, 0, "{}", run.all());
    let id = run.run_id();
    let notify = stage(&s, &id, "", "notify");
    assert_eq!(notify.status.as_str(), "success", "{}", table(&s, &id));
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    let hook = &hooks[0];
    assert_eq!(
        (hook.method.as_str(), hook.path.as_str()),
        ("POST", "/hook")
    );
    assert!(
        hook.content_type.starts_with("application/json"),
        "{hook:?}"
    );
    assert!(
        hook.body.contains("\"status\":\"success\""),
        "{}",
        hook.body
    );
    let body: Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(body["run_id"], id.as_str(), "{body}");
    assert_eq!(body["event"], "success", "{body}");
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["pipeline"], "ping", "{body}");
}

#[test]
fn notify_without_the_http_grant_fails_naming_the_capability_and_sends_nothing() {
    let receiver = Receiver::start();
    let port = receiver.port;
    let s = Scratch::empty();
    notify_pipeline(&s, port, &[("notify", "run-end", "success,failure")], false);
    let run = run_on_docker(&s, &[]);
    let hooks = receiver.finish();
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    let notify = stage(&s, &id, "", "notify");
    assert_eq!(notify.status.as_str(), "failure", "{}", table(&s, &id));
    let err = notify.error.unwrap_or_default();
    assert!(err.contains(&format!("http '127.0.0.1:{port}'")), "{err}");
    assert!(
        err.contains(&format!("http = [\"127.0.0.1:{port}\"]")),
        "{err}"
    );
    assert!(err.contains("[stage.grants]"), "{err}");
    assert!(hooks.is_empty(), "the receiver got {hooks:?}");
}

#[test]
fn notify_at_run_start_posts_a_start_event_before_the_end() {
    let receiver = Receiver::start();
    let port = receiver.port;
    let s = Scratch::empty();
    notify_pipeline(
        &s,
        port,
        &[
            ("announce", "run-start", "start"),
            ("notify", "run-end", "success,failure"),
        ],
        true,
    );
    let run = run_on_docker(&s, &[]);
    let hooks = receiver.finish();
    assert_eq!(run.code, 0, "{}", run.all());
    let id = run.run_id();
    assert_eq!(stage(&s, &id, "", "announce").status.as_str(), "success");
    let events: Vec<(String, String)> = hooks
        .iter()
        .map(|h| {
            let body: Value = serde_json::from_str(&h.body).unwrap();
            assert_eq!(body["run_id"], id.as_str(), "{body}");
            (
                body["event"].as_str().unwrap_or_default().to_owned(),
                body["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("start".to_owned(), "in-progress".to_owned()),
            ("success".to_owned(), "success".to_owned()),
        ],
        "{hooks:?}"
    );
}

// ---------------------------------------------------------------------------------
// The shop.
// ---------------------------------------------------------------------------------

/// How many tests `<service>/test_app.py` of the copy defines.
fn unit_tests_in(s: &Scratch, service: &str) -> u32 {
    let text = std::fs::read_to_string(s.path().join(service).join("test_app.py")).unwrap();
    let n = text
        .lines()
        .filter(|l| l.trim_start().starts_with("def test_"))
        .count();
    u32::try_from(n).unwrap()
}

/// The stage names of the shop's pipeline a push runs, per service.
const PUSH_STAGES: [&str; 6] = [
    "code-quality",
    "unit-test",
    "build",
    "deploy-staging",
    "approval",
    "deploy-production",
];

/// The stage names a pull request runs, per service (up to the build that the
/// integration test needs).
const PULL_REQUEST_STAGES: [&str; 3] = ["code-quality", "unit-test", "build"];

/// The shop's stages that run once per run (the integration test covers every
/// service at once).
const RUN_STAGES: [&str; 3] = ["prepare", "integration-test", "notify"];

/// Containers and networks still labelled with `run_id`.
fn leftovers_of_run(run_id: &str) -> String {
    let label = format!("label=dev.seamless.run={run_id}");
    let containers = docker(&["ps", "-a", "--format", "{{.Names}}", "--filter", &label]);
    let networks = docker(&["network", "ls", "--format", "{{.Name}}", "--filter", &label]);
    format!("{containers}{networks}").trim().to_owned()
}

#[test]
fn shop_push_builds_tests_and_deploys_every_service_to_production() {
    let shop = Shop::new();
    // Whatever an earlier, aborted run left on the shop's ports goes first.
    remove_shop_deploys();
    let _cleanup = shop.cleanup(true);
    let s = &shop.s;
    let commit = shop.init_repo();
    let run = run_on_docker(s, &["--trigger", "push", "--approve"]);
    let id = run.run_id();
    assert_eq!(run.code, 0, "{}\n{}", run.all(), table(s, &id));

    // Every stage of every service ran, and succeeded.
    assert_eq!(
        instances(s, &id),
        expected_instances(&SERVICES, &PUSH_STAGES, &RUN_STAGES),
        "{}",
        table(s, &id)
    );
    for r in s.stages(&id) {
        assert_eq!(
            r.status.as_str(),
            "success",
            "{}/{}: {:?}\n{}",
            r.service,
            r.stage,
            r.error,
            table(s, &id)
        );
    }
    // The unit tests' JUnit reports gave the counts.
    for svc in SERVICES {
        let tests = stage(s, &id, svc, "unit-test").tests;
        let tests = tests.unwrap_or_else(|| panic!("{svc}/unit-test has no test counts"));
        assert_eq!(
            (tests.passed, tests.failed, tests.skipped),
            (unit_tests_in(s, svc), 0, 0),
            "{svc}/unit-test"
        );
    }
    assert_eq!(
        stage(s, &id, "payments", "unit-test").tests.unwrap().passed,
        14
    );

    // The images were pushed to the registry, tagged with the commit.
    let registry_host = test_registry();
    let repo_path = shop
        .registry
        .strip_prefix(&format!("{registry_host}/"))
        .unwrap();
    for svc in SERVICES {
        let tags = get_json(&registry_host, &format!("/v2/{repo_path}/{svc}/tags/list"));
        assert!(
            tags["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == commit.as_str())),
            "{svc}: {tags}"
        );
    }

    // Production and staging serve the commit on their stable ports.
    for (i, svc) in SERVICES.iter().enumerate() {
        for (env, port) in [("production", 8081 + i), ("staging", 18081 + i)] {
            let health = get_json(&format!("127.0.0.1:{port}"), "/health");
            assert_eq!(health["status"], "ok", "{svc} {env}: {health}");
            assert_eq!(health["service"], *svc, "{svc} {env}: {health}");
            assert_eq!(health["version"], commit.as_str(), "{svc} {env}: {health}");
        }
    }

    // An order through the production gateway: it reaches production payments and
    // notifications by name on the environment network.
    let (status, body) = http(
        "POST",
        "127.0.0.1:8081",
        "/orders",
        Some(r#"{"item": "teapot", "amount": 2400, "email": "ada@example.com"}"#),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let order: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(order["status"], "confirmed", "{order}");
    let charge = order["charge"].as_str().unwrap().to_owned();
    assert!(charge.starts_with("ch-"), "{order}");
    let notification = order["notification"].as_str().unwrap().to_owned();
    assert!(notification.starts_with("n-"), "{order}");
    let charges = get_json("127.0.0.1:8082", "/charges").to_string();
    assert!(charges.contains(&charge), "production payments: {charges}");
    let notes = get_json("127.0.0.1:8083", "/notifications").to_string();
    assert!(
        notes.contains(&notification),
        "production notifications: {notes}"
    );
    // Staging is another environment: the order did not go there.
    let staging = get_json("127.0.0.1:18082", "/charges").to_string();
    assert!(!staging.contains(&charge), "staging payments: {staging}");

    // Each deploy was recorded as a revision of that commit.
    let store = Store::open(s.data.path()).unwrap();
    for svc in SERVICES {
        for env in ENVIRONMENTS {
            let revisions = store.revisions(svc, env).unwrap();
            assert_eq!(revisions.len(), 1, "{svc} {env}: {revisions:?}");
            let r = &revisions[0];
            assert_eq!(r.result, "success", "{r:?}");
            assert_eq!(r.commit_sha, commit, "{r:?}");
            assert_eq!(r.run_id, id, "{r:?}");
            assert!(
                r.image.starts_with(&format!("{}/{svc}", shop.registry)),
                "{r:?}"
            );
        }
    }
    let listed = s.seamless(&["deployments", "payments", "--env", "production"], &[]);
    assert_eq!(listed.code, 0, "{}", listed.all());
    assert!(listed.stdout.contains(&commit[..12]), "{}", listed.all());
    // The run's own containers and networks (integration tests, stages) are gone.
    assert_eq!(leftovers_of_run(&id), "", "left behind by run {id}");
}

#[test]
fn shop_failing_integration_test_fails_the_run_and_leaves_nothing_behind() {
    let shop = Shop::new();
    let _cleanup = shop.cleanup(false);
    let s = &shop.s;
    let test = s.path().join("integration/test_shop.py");
    let text = std::fs::read_to_string(&test).unwrap();
    let right = r#"self.assertEqual(order["status"], "confirmed")"#;
    assert!(text.contains(right), "integration/test_shop.py changed");
    s.write(
        "integration/test_shop.py",
        &text.replacen(right, r#"self.assertEqual(order["status"], "shipped")"#, 1),
    );
    shop.init_repo();
    let run = run_on_docker(s, &["--trigger", "pull-request"]);
    let id = run.run_id();
    assert_eq!(run.code, 1, "{}\n{}", run.all(), table(s, &id));
    // The one, run-scoped integration test failed, with its test counts.
    let it = stage(s, &id, "", "integration-test");
    assert_eq!(it.status.as_str(), "failure", "{}", table(s, &id));
    let err = it.error.unwrap_or_default();
    assert!(err.contains("test service `tests`"), "{err}");
    let counts = it.tests.expect("the JUnit report's counts are kept");
    assert_eq!(counts.failed, 1, "{counts:?}");
    for svc in SERVICES {
        // What ran before it passed.
        for before in ["code-quality", "unit-test", "build"] {
            assert_eq!(
                stage(s, &id, svc, before).status.as_str(),
                "success",
                "{}",
                table(s, &id)
            );
        }
    }
    let logs = s.stored_logs(&id);
    assert!(
        logs.contains("AssertionError: 'confirmed' != 'shipped'"),
        "the assertion's failure is logged:\n{logs}"
    );
    assert_eq!(leftovers_of_run(&id), "", "left behind by run {id}");
}

#[test]
fn shop_pull_request_stops_after_the_integration_test_and_deploys_nothing() {
    let shop = Shop::new();
    let _cleanup = shop.cleanup(false);
    let s = &shop.s;
    shop.init_repo();
    let run = run_on_docker(s, &["--trigger", "pull-request"]);
    let id = run.run_id();
    assert_eq!(run.code, 0, "{}\n{}", run.all(), table(s, &id));
    assert_eq!(
        instances(s, &id),
        expected_instances(&SERVICES, &PULL_REQUEST_STAGES, &RUN_STAGES),
        "{}",
        table(s, &id)
    );
    for r in s.stages(&id) {
        assert_eq!(r.status.as_str(), "success", "{}", table(s, &id));
    }
    let store = Store::open(s.data.path()).unwrap();
    for svc in SERVICES {
        let revisions = store.service_revisions(svc).unwrap();
        assert!(revisions.is_empty(), "{svc} was deployed: {revisions:?}");
    }
    let label = format!("label=dev.seamless.deploy.run={id}");
    assert_eq!(docker(&["ps", "-a", "-q", "--filter", &label]), "");
    assert_eq!(leftovers_of_run(&id), "", "left behind by run {id}");
}

#[test]
fn path_filter_runs_only_the_services_whose_files_changed() {
    let shop = Shop::new();
    let _cleanup = shop.cleanup(false);
    let s = &shop.s;
    let a = shop.init_repo();
    let app = std::fs::read_to_string(s.path().join("payments/app.py")).unwrap();
    s.write(
        "payments/app.py",
        &format!("{app}# a change to payments only\n"),
    );
    let b = commit_all(s.path(), "payments: a comment");

    let args = [
        "--trigger",
        "pull-request",
        "--stage",
        "unit-test",
        "--base",
    ];
    let mut only_payments = args.to_vec();
    only_payments.push(&a);
    let run = run_on_docker(s, &only_payments);
    let id = run.run_id();
    assert_eq!(run.code, 0, "{}\n{}", run.all(), table(s, &id));
    assert_eq!(
        instances(s, &id),
        expected_instances(&["payments"], &["unit-test"], &["prepare", "notify"]),
        "{}",
        table(s, &id)
    );
    assert!(
        run.stdout
            .contains("unchanged, not run: gateway, notifications"),
        "{}",
        run.all()
    );
    assert_eq!(
        stage(s, &id, "payments", "unit-test").status.as_str(),
        "success"
    );

    // A change to seamless.toml runs every service.
    let toml = std::fs::read_to_string(s.path().join("seamless.toml")).unwrap();
    s.write(
        "seamless.toml",
        &format!("{toml}# a change to the pipeline\n"),
    );
    let c = commit_all(s.path(), "pipeline: a comment");
    let mut every = args.to_vec();
    every.push(&b);
    let run = run_on_docker(s, &every);
    let id = run.run_id();
    assert_eq!(run.code, 0, "{}\n{}", run.all(), table(s, &id));
    assert_eq!(
        instances(s, &id),
        expected_instances(&SERVICES, &["unit-test"], &["prepare", "notify"]),
        "{}",
        table(s, &id)
    );
    assert!(!run.stdout.contains("not run"), "{}", run.all());

    // Nothing changed since C: nothing runs.
    let mut none = args.to_vec();
    none.push(&c);
    let run = run_on_docker(s, &none);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("nothing to run"), "{}", run.all());
    assert!(!run.stdout.contains("seamless: run "), "{}", run.all());
}
