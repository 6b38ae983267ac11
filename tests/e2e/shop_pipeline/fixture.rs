//! The shop tests' fixture: a git copy of examples/shop whose images go to the test
//! registry, cleanup of everything its runs deploy, what the store says about a run,
//! and a webhook receiver for the notify stage.

use crate::support::{Run, Scratch, docker, docker_cleanup};
pub(super) use crate::support::{commit_all, git};
use seamless_store::{RunFilter, StageRecord, Store};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub(super) const SERVICES: [&str; 3] = ["gateway", "payments", "notifications"];
pub(super) const ENVIRONMENTS: [&str; 2] = ["staging", "production"];

// ---------------------------------------------------------------------------------
// Helpers: git, the shop copy, stored stages, plain HTTP, cleanup.
// ---------------------------------------------------------------------------------

/// The registry the tests push to, or a panic that says how to start one.
pub(super) fn test_registry() -> String {
    seamless_test_support::registry::plain()
}

/// A name no other test run uses.
pub(super) fn unique() -> String {
    seamless_test_support::unique("e2e")
}

/// A copy of the shop whose images go to `$SEAMLESS_TEST_REGISTRY/shop-<unique>`.
pub(super) struct Shop {
    pub(super) s: Scratch,
    /// `<registry>/shop-<unique>`, the prefix of every pushed image.
    pub(super) registry: String,
    /// The `<unique>` part, also in the first commit's message so that no two tests
    /// build the same commit (images are tagged with it).
    pub(super) unique: String,
}

impl Shop {
    /// Copies `examples/shop` and points `[registry] url` at the test registry.
    pub(super) fn new() -> Self {
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
    pub(super) fn init_repo(&self) -> String {
        git(self.s.path(), &["init", "-q", "-b", "main"]);
        commit_all(self.s.path(), &format!("shop e2e {}", self.unique))
    }

    /// Cleans up what runs of this copy leave behind, when dropped: the shop's
    /// deploys when `deploys`, and every image the runs built.
    pub(super) fn cleanup(&self, deploys: bool) -> ShopCleanup {
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
pub(super) struct ShopCleanup {
    pub(super) data: PathBuf,
    pub(super) registry: String,
    pub(super) deploys: bool,
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
            docker_cleanup(&args);
        }
    }
}

/// Removes every container, proxy and network of the shop's deploys.
pub(super) fn remove_shop_deploys() {
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
    // Some of the named proxies may not exist.
    docker_cleanup(&args);
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
pub(super) fn stage(s: &Scratch, run_id: &str, service: &str, name: &str) -> StageRecord {
    s.stages(run_id)
        .into_iter()
        .find(|r| r.service == service && r.stage == name)
        .unwrap_or_else(|| panic!("no stage {service}/{name} in run {run_id}"))
}

/// `service/stage status` of every instance, sorted, for messages.
pub(super) fn table(s: &Scratch, run_id: &str) -> String {
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
pub(super) fn instances(s: &Scratch, run_id: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = s
        .stages(run_id)
        .into_iter()
        .map(|r| (r.service, r.stage))
        .collect();
    v.sort();
    v
}

/// The instances a run of `services` through `stage_names` has, sorted.
pub(super) fn expected_instances(
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
pub(super) fn http(
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
    crate::support::http_answer(&response)
}

/// `GET path` until it answers 200 (the proxy may take a moment to accept), with a
/// deadline; returns the decoded body.
pub(super) fn get_json(addr: &str, path: &str) -> Value {
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
pub(super) struct Hook {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) content_type: String,
    pub(super) body: String,
}

/// Accepts HTTP requests on 127.0.0.1 and answers each with 200, until finished.
pub(super) struct Receiver {
    pub(super) port: u16,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) got: Arc<Mutex<Vec<Hook>>>,
    pub(super) thread: Option<JoinHandle<()>>,
}

impl Receiver {
    pub(super) fn start() -> Self {
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
    pub(super) fn finish(mut self) -> Vec<Hook> {
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
pub(super) fn serve_one(stream: TcpStream) -> Option<Hook> {
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
pub(super) fn read_chunked(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
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
pub(super) fn notify_pipeline(s: &Scratch, port: u16, stages: &[(&str, &str, &str)], grant: bool) {
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
pub(super) fn run_on_docker(s: &Scratch, extra: &[&str]) -> Run {
    let mut args = vec!["--host", "docker"];
    args.extend_from_slice(extra);
    s.run(&args)
}
