//! The durability tests' fixture: a scratch repository with one deployable service,
//! the `seamless` processes it starts in the background, and what Docker and the store
//! say about its runs.

use crate::support::init_and_commit;
use crate::support::{
    Bg, Reserved, Run, Scratch, containers_of_run, docker, networks_of_run, reserve_port, wait_for,
};
use seamless_core::config::default_stages;
use seamless_core::state::StageStatus;
use seamless_store::{RunFilter, RunRecord, StageRecord, Store};

use std::io::{Read, Write};
use std::net::TcpStream;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// How the fixture's service behaves.
pub(super) struct Spec {
    /// The `unit-test` service command.
    pub(super) unit_test: &'static str,
    /// Whether the deployed container takes a few seconds before it answers.
    pub(super) slow_start: bool,
}

/// A scratch git repository with one service and the pipeline
/// prepare -> unit-test -> build -> approval -> deploy, its data directory, and
/// everything it creates on Docker, removed when dropped (even on failure).
pub(super) struct Fixture {
    pub(super) scratch: Scratch,
    pub(super) service: String,
    pub(super) env: String,
    pub(super) port: u16,
    pub(super) version: String,
    pub(super) logs: tempfile::TempDir,
    /// Runs whose containers [`containers_of_run`] has seen while they were live.
    seen_live: std::sync::Mutex<Vec<String>>,
    /// Holds `port`, the deployed service's public port, for the fixture's life.
    _port: Reserved,
}

impl Fixture {
    pub(super) fn new(spec: &Spec) -> Self {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let service = format!("dur-{pid}-{n}");
        let env = format!("dur{pid}-{n}");
        let reserved = reserve_port();
        let port = reserved.port();
        let version = format!("version-{pid}-{n}-{}", seamless_store::now_ms());
        let scratch = Scratch::empty();
        let f = Self {
            scratch,
            service,
            env,
            port,
            version,
            logs: tempfile::tempdir().unwrap(),
            seen_live: std::sync::Mutex::new(Vec::new()),
            _port: reserved,
        };
        let serve = "httpd -f -p 8000 -h /www";
        let cmd = if spec.slow_start {
            format!("[\"sh\", \"-c\", \"sleep 4; {serve}\"]")
        } else {
            format!("[\"sh\", \"-c\", \"{serve}\"]")
        };
        f.scratch.write(
            "Dockerfile",
            &format!("FROM seamless/busybox\nCOPY www /www\nCMD {cmd}\n"),
        );
        f.scratch.write("www/health", "ok\n");
        f.scratch.write("www/version", &format!("{}\n", f.version));
        f.scratch.write(
            "seamless.toml",
            &format!(
                r#"version = 1
pipeline = "durability"

[[service]]
name = "{service}"
path = "."
image = "seamless/busybox"
port = 8000
health = "/health"
[service.commands]
unit-test = "{unit_test}"
[service.targets.{env}]
port = {port}

{defaults}
[[stage]]
name = "approval"
uses = "gate:approval"
needs = ["build"]

[[stage]]
name = "deploy"
uses = "builtin:deploy"
needs = ["approval"]
environment = "{env}"
[stage.grants]
deploy = ["{env}"]
[stage.with]
health-timeout-secs = "60"
"#,
                service = f.service,
                env = f.env,
                port = f.port,
                unit_test = spec.unit_test,
                defaults = default_stages(&["prepare", "unit-test", "build"]),
            ),
        );
        init_and_commit(f.scratch.path(), "init");
        // Create (and migrate) the store before any `seamless` process opens it, so
        // that the test's reads never race the first migration.
        drop(f.store());
        f
    }

    pub(super) fn store(&self) -> Store {
        Store::open(self.scratch.data.path()).unwrap()
    }

    pub(super) fn path(&self) -> &str {
        self.scratch.path().to_str().unwrap()
    }

    /// Starts `seamless <args> --data-dir D` in the background; its output goes to
    /// files, so it can never block on a full pipe.
    pub(super) fn spawn(&self, name: &str, args: &[&str]) -> Bg {
        Bg::spawn(self.logs.path(), name, args, self.scratch.data.path(), &[])
    }

    /// `seamless run <repo> --host docker <extra...>` in the background.
    pub(super) fn start_run(&self, extra: &[&str]) -> Bg {
        let mut args = vec!["run", self.path(), "--host", "docker"];
        args.extend_from_slice(extra);
        self.spawn("run", &args)
    }

    /// Runs `seamless <args>` to its end (within the deadline).
    pub(super) fn seamless(&self, args: &[&str]) -> Run {
        self.spawn(args.first().copied().unwrap_or("seamless"), args)
            .wait_exit()
    }

    /// The id of the (only) run of this data directory, once it is recorded.
    pub(super) fn run_id(&self, bg: &Bg) -> String {
        wait_for(
            "the run to be recorded",
            || {
                self.store()
                    .list_runs(&RunFilter::default())
                    .unwrap()
                    .into_iter()
                    .next()
                    .map(|r| r.id)
            },
            || bg.output(),
        )
    }

    pub(super) fn run(&self, id: &str) -> RunRecord {
        self.store().run(id).unwrap().unwrap()
    }

    pub(super) fn stages(&self, id: &str) -> Vec<StageRecord> {
        self.scratch.stages(id)
    }

    pub(super) fn stage(&self, id: &str, stage: &str) -> StageRecord {
        self.scratch.stage(id, stage)
    }

    /// Everything a failing assertion should show about a run.
    pub(super) fn describe(&self, id: &str) -> String {
        let store = self.store();
        let run = store.run(id).unwrap();
        let stages: Vec<String> = store
            .stages(id)
            .unwrap()
            .into_iter()
            .map(|s| {
                format!(
                    "  {} {} attempts={} summary={:?} error={:?}",
                    s.stage,
                    s.status.as_str(),
                    s.attempts,
                    s.summary,
                    s.error
                )
            })
            .collect();
        let revisions: Vec<String> = store
            .revisions(&self.service, &self.env)
            .unwrap()
            .into_iter()
            .map(|r| format!("  {} {} {:?} run={}", r.id, r.result, r.reason, r.run_id))
            .collect();
        format!(
            "run: {:?}\nstages:\n{}\nrevisions:\n{}\nlogs:\n{}",
            run.map(|r| (r.status, r.owner_pid)),
            stages.join("\n"),
            revisions.join("\n"),
            self.scratch.stored_logs(id)
        )
    }

    /// The containers of a stage of the run, running or not.
    pub(super) fn stage_containers(&self, id: &str, stage: &str, all: bool) -> Vec<String> {
        let mut args = vec!["ps", "-q"];
        if all {
            args.push("-a");
        }
        let run = format!("label=dev.seamless.run={id}");
        let stage = format!("label=dev.seamless.stage={stage}");
        args.extend(["--filter", &run, "--filter", &stage]);
        lines(&docker(&args))
    }

    /// The deploy containers of the service (replicas and candidates, not the proxy),
    /// as `(name, revision label, running)`.
    pub(super) fn deploy_replicas(&self) -> Vec<(String, String, bool)> {
        let filter = format!("label=dev.seamless.deploy.service={}", self.service);
        let rows = docker(&[
            "ps",
            "-a",
            "--filter",
            &filter,
            "--format",
            "{{.Names}}\t{{.Label \"dev.seamless.deploy.revision\"}}\t{{.State}}\t{{.Label \"dev.seamless.deploy.role\"}}",
        ]);
        rows.lines()
            .filter_map(|l| {
                let cols: Vec<&str> = l.split('\t').collect();
                (cols.len() == 4 && cols[3] != "proxy")
                    .then(|| (cols[0].to_owned(), cols[1].to_owned(), cols[2] == "running"))
            })
            .collect()
    }

    /// What the environment's public port answers on `path`: (status, body).
    pub(super) fn get(&self, path: &str) -> Option<(u16, String)> {
        http_get(self.port, path)
    }

    /// Asserts that the environment serves this fixture's version.
    pub(super) fn assert_serves_version(&self) {
        let body = wait_for(
            "the environment to serve the new version",
            || match self.get("/version") {
                Some((200, body)) if body.trim() == self.version => Some(body),
                _ => None,
            },
            || format!("last answer: {:?}", self.get("/version")),
        );
        assert_eq!(body.trim(), self.version);
    }

    /// Waits until [`containers_of_run`] sees a container of the live run `id`: the
    /// positive control that [`Self::assert_nothing_of_run_left`] requires.
    pub(super) fn see_run_containers_live(&self, id: &str) {
        wait_for(
            "containers_of_run to see the live run's containers",
            || (!containers_of_run(id).is_empty()).then_some(()),
            || self.describe(id),
        );
        self.seen_live.lock().unwrap().push(id.to_owned());
    }

    /// Opens the [`crate::support::GATE`] the run's `unit-test` waits at, once its
    /// container runs, after seeing the live run's containers
    /// ([`Self::see_run_containers_live`]).
    pub(super) fn open_gate(&self, id: &str) {
        self.see_run_containers_live(id);
        let waiting = wait_for(
            "unit-test's container to wait at the gate",
            || Some(self.stage_containers(id, "unit-test", false)).filter(|c| !c.is_empty()),
            || self.describe(id),
        );
        for c in waiting {
            docker(&["exec", &c, "touch", "/tmp/seamless-gate"]);
        }
    }

    /// Asserts that no container and no network is labelled with the run, after
    /// the same query has been seen to find the run's containers while it was live.
    pub(super) fn assert_nothing_of_run_left(&self, id: &str) {
        assert!(
            self.seen_live.lock().unwrap().iter().any(|s| s == id),
            "no positive control: containers_of_run({id}) was never seen to find the \
             live run's containers (call see_run_containers_live while it runs)"
        );
        let containers = containers_of_run(id);
        assert!(
            containers.is_empty(),
            "containers of run {id} left: {containers:?}"
        );
        let networks = networks_of_run(id);
        assert!(
            networks.is_empty(),
            "networks of run {id} left: {networks:?}"
        );
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let mut containers = Vec::new();
        for label in ["dev.seamless.deploy.service", "dev.seamless.service"] {
            let filter = format!("label={label}={}", self.service);
            containers.extend(lines(&docker(&["ps", "-a", "-q", "--filter", &filter])));
        }
        containers.push(format!("seamless-{}-{}-proxy", self.service, self.env));
        let mut rm = vec!["rm", "-f"];
        rm.extend(containers.iter().map(String::as_str));
        let _ = Command::new("docker")
            .args(&rm)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let filter = format!("label=dev.seamless.service={}", self.service);
        let mut networks = lines(&docker(&["network", "ls", "-q", "--filter", &filter]));
        networks.push(format!("seamless-deploy-{}-{}", self.service, self.env));
        networks.push(format!("seamless-env-{}", self.env));
        for network in networks {
            let _ = Command::new("docker")
                .args(["network", "rm", &network])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let images = lines(&docker(&[
            "images",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            &self.service,
        ]));
        if !images.is_empty() {
            let mut rmi = vec!["image", "rm", "-f"];
            rmi.extend(images.iter().map(String::as_str));
            let _ = Command::new("docker")
                .args(&rmi)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

pub(super) fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A plain HTTP/1.0 GET on 127.0.0.1:`port`: (status, body), or `None` when nothing
/// answers.
pub(super) fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .ok()?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).ok()?;
    crate::support::http_answer(&raw).ok()
}

/// The stages that a `retry` transition put back to idle, in order.
pub(super) fn retried_stages(store: &Store, id: &str) -> Vec<String> {
    store
        .events(id)
        .unwrap()
        .into_iter()
        .filter(|e| e.event == "retry")
        .map(|e| {
            assert_eq!((e.from.as_str(), e.to.as_str()), ("in-progress", "idle"));
            e.stage
        })
        .collect()
}

pub(super) fn status_of(stages: &[StageRecord], stage: &str) -> StageStatus {
    stages
        .iter()
        .find(|s| s.stage == stage)
        .unwrap_or_else(|| panic!("no stage {stage}"))
        .status
}
