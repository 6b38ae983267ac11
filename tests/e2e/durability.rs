//! Durable runs: a `seamless` process killed with SIGKILL at any point of a run is
//! carried on by `seamless resume` (completed stages are kept, the interrupted one is
//! cleaned up and runs again, an interrupted deploy is settled against what serves,
//! a waiting approval keeps waiting), and `seamless cancel` ends a run, live or
//! orphaned, without leaving containers or networks behind.

use crate::support::{Run, Scratch, docker, seamless_bin, wait_for};
use seamless_core::state::{RunStatus, StageStatus};
use seamless_store::{RunFilter, RunRecord, StageRecord, Store};
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// How the fixture's service behaves.
struct Spec {
    /// The `unit-test` service command.
    unit_test: &'static str,
    /// Whether the deployed container takes a few seconds before it answers.
    slow_start: bool,
}

/// A scratch git repository with one service and the pipeline
/// prepare -> unit-test -> build -> approval -> deploy, its data directory, and
/// everything it creates on Docker, removed when dropped (even on failure).
struct Fixture {
    scratch: Scratch,
    service: String,
    env: String,
    port: u16,
    version: String,
    logs: tempfile::TempDir,
}

impl Fixture {
    fn new(spec: &Spec) -> Self {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let service = format!("dur-{pid}-{n}");
        let env = format!("dur{pid}-{n}");
        let port = free_port();
        let version = format!("version-{pid}-{n}-{}", seamless_store::now_ms());
        let scratch = Scratch::empty();
        let f = Self {
            scratch,
            service,
            env,
            port,
            version,
            logs: tempfile::tempdir().unwrap(),
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

[[stage]]
name = "prepare"
uses = "builtin:prepare"
scope = "run"
[stage.grants]
workspace-write = true

[[stage]]
name = "unit-test"
uses = "builtin:command"
needs = ["prepare"]
[stage.grants]
containers = true
[stage.with]
command = "unit-test"

[[stage]]
name = "build"
uses = "builtin:build"
needs = ["unit-test"]
[stage.grants]
images = true

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
            ),
        );
        git(f.scratch.path(), &["init", "-q", "-b", "main"]);
        git(f.scratch.path(), &["add", "-A"]);
        git(
            f.scratch.path(),
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "commit",
                "-q",
                "-m",
                "init",
            ],
        );
        // Create (and migrate) the store before any `seamless` process opens it, so
        // that the test's reads never race the first migration.
        drop(f.store());
        f
    }

    fn store(&self) -> Store {
        Store::open(self.scratch.data.path()).unwrap()
    }

    fn path(&self) -> &str {
        self.scratch.path().to_str().unwrap()
    }

    /// Starts `seamless <args> --data-dir D` in the background; its output goes to
    /// files, so it can never block on a full pipe.
    fn spawn(&self, name: &str, args: &[&str]) -> Bg {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let out = self.logs.path().join(format!("{name}-{n}.out"));
        let err = self.logs.path().join(format!("{name}-{n}.err"));
        let child = Command::new(seamless_bin())
            .args(args)
            .arg("--data-dir")
            .arg(self.scratch.data.path())
            .stdin(Stdio::null())
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Bg {
            name: format!("seamless {}", args.join(" ")),
            child: Some(child),
            out,
            err,
        }
    }

    /// `seamless run <repo> --host docker <extra...>` in the background.
    fn start_run(&self, extra: &[&str]) -> Bg {
        let mut args = vec!["run", self.path(), "--host", "docker"];
        args.extend_from_slice(extra);
        self.spawn("run", &args)
    }

    /// Runs `seamless <args>` to its end (within the deadline).
    fn seamless(&self, args: &[&str]) -> Run {
        self.spawn(args.first().copied().unwrap_or("seamless"), args)
            .wait_exit()
    }

    /// The id of the (only) run of this data directory, once it is recorded.
    fn run_id(&self, bg: &Bg) -> String {
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

    fn run(&self, id: &str) -> RunRecord {
        self.store().run(id).unwrap().unwrap()
    }

    fn stages(&self, id: &str) -> Vec<StageRecord> {
        self.scratch.stages(id)
    }

    fn stage(&self, id: &str, stage: &str) -> StageRecord {
        self.scratch.stage(id, stage)
    }

    /// Everything a failing assertion should show about a run.
    fn describe(&self, id: &str) -> String {
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
    fn stage_containers(&self, id: &str, stage: &str, all: bool) -> Vec<String> {
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
    fn deploy_replicas(&self) -> Vec<(String, String, bool)> {
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
    fn get(&self, path: &str) -> Option<(u16, String)> {
        http_get(self.port, path)
    }

    /// Asserts that the environment serves this fixture's version.
    fn assert_serves_version(&self) {
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

    /// Asserts that no container and no network is labelled with the run.
    fn assert_nothing_of_run_left(&self, id: &str) {
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

/// A `seamless` process in the background; killed (SIGKILL) and reaped when dropped.
struct Bg {
    name: String,
    child: Option<Child>,
    out: PathBuf,
    err: PathBuf,
}

impl Bg {
    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Whether the process is still running.
    fn running(&mut self) -> bool {
        let child = self.child.as_mut().unwrap();
        child.try_wait().unwrap().is_none()
    }

    /// SIGKILL, and reap it so that its PID is gone.
    fn kill9(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Waits (within the deadline) for the process to exit.
    fn wait_exit(mut self) -> Run {
        let code = {
            let child = self.child.as_mut().unwrap();
            wait_for(
                &format!("`{}` to exit", self.name),
                || child.try_wait().unwrap(),
                || read(&self.out) + &read(&self.err),
            )
        };
        self.child = None;
        Run {
            code: code.code().unwrap_or(-1),
            stdout: read(&self.out),
            stderr: read(&self.err),
        }
    }

    fn output(&self) -> String {
        format!(
            "--- {}\n--- stdout\n{}--- stderr\n{}",
            self.name,
            read(&self.out),
            read(&self.err)
        )
    }
}

impl Drop for Bg {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Containers (running or not) labelled with the run.
fn containers_of_run(id: &str) -> Vec<String> {
    let filter = format!("label=dev.seamless.run={id}");
    lines(&docker(&["ps", "-a", "-q", "--filter", &filter]))
}

/// Networks labelled with the run.
fn networks_of_run(id: &str) -> Vec<String> {
    let filter = format!("label=dev.seamless.run={id}");
    lines(&docker(&["network", "ls", "-q", "--filter", &filter]))
}

/// A plain HTTP/1.0 GET on 127.0.0.1:`port`: (status, body), or `None` when nothing
/// answers.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .ok()?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// The stages that a `retry` transition put back to idle, in order.
fn retried_stages(store: &Store, id: &str) -> Vec<String> {
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

fn status_of(stages: &[StageRecord], stage: &str) -> StageStatus {
    stages
        .iter()
        .find(|s| s.stage == stage)
        .unwrap_or_else(|| panic!("no stage {stage}"))
        .status
}

#[test]
fn run_killed_during_a_container_stage_resumes_and_reruns_only_that_stage() {
    let f = Fixture::new(&Spec {
        unit_test: "sleep 6; echo done",
        slow_start: false,
    });
    let mut run = f.start_run(&["--approve"]);
    let id = f.run_id(&run);
    wait_for(
        "unit-test to run with its container",
        || {
            (status_of(&f.stages(&id), "unit-test") == StageStatus::InProgress
                && !f.stage_containers(&id, "unit-test", true).is_empty())
            .then_some(())
        },
        || run.output() + &f.describe(&id),
    );
    let before = f.stage_containers(&id, "unit-test", true);
    run.kill9();
    assert_eq!(f.run(&id).status, RunStatus::InProgress);
    assert_eq!(f.stage(&id, "unit-test").attempts, 1);

    let resumed = f.seamless(&["resume"]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.all(), f.describe(&id));
    assert!(
        resumed.stdout.contains(&format!("resuming run {id}")),
        "{}",
        resumed.all()
    );

    let record = f.run(&id);
    assert_eq!(record.status, RunStatus::Success, "{}", f.describe(&id));
    assert_eq!(record.owner_pid, None, "the resumer released the run");
    let stages = f.stages(&id);
    for s in &stages {
        assert_eq!(s.status, StageStatus::Success, "{}", f.describe(&id));
    }
    assert_eq!(f.stage(&id, "prepare").attempts, 1, "prepare was rerun");
    assert_eq!(f.stage(&id, "unit-test").attempts, 2, "{}", f.describe(&id));
    assert_eq!(f.stage(&id, "build").attempts, 1);
    assert_eq!(f.stage(&id, "deploy").attempts, 1);
    assert_eq!(retried_stages(&f.store(), &id), ["unit-test"]);
    // The interrupted attempt's container is gone, and so is every other one.
    for c in &before {
        assert!(
            docker(&["ps", "-a", "-q", "--filter", &format!("id={c}")])
                .trim()
                .is_empty()
        );
    }
    f.assert_nothing_of_run_left(&id);
    let logs = f.scratch.stored_logs(&id);
    assert!(logs.contains("done"), "{logs}");

    let revisions = f.store().revisions(&f.service, &f.env).unwrap();
    assert_eq!(revisions.len(), 1, "{}", f.describe(&id));
    assert_eq!(revisions[0].result, "success");
    f.assert_serves_version();
}

#[test]
fn run_killed_during_a_deploy_resumes_without_deploying_twice() {
    let f = Fixture::new(&Spec {
        unit_test: "echo ok",
        slow_start: true,
    });
    let mut run = f.start_run(&["--approve"]);
    let id = f.run_id(&run);
    wait_for(
        "the deploy to start a candidate",
        || {
            (status_of(&f.stages(&id), "deploy") == StageStatus::InProgress
                && !f.deploy_replicas().is_empty())
            .then_some(())
        },
        || run.output() + &f.describe(&id),
    );
    run.kill9();
    let store = f.store();
    let interrupted = store.unfinished_revisions(&id).unwrap();
    assert_eq!(interrupted.len(), 1, "{}", f.describe(&id));
    assert!(
        f.get("/version").is_none(),
        "nothing serves before the switch-over"
    );

    let resumed = f.seamless(&["resume", &id]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.all(), f.describe(&id));
    assert_eq!(f.run(&id).status, RunStatus::Success, "{}", f.describe(&id));
    for s in f.stages(&id) {
        assert_eq!(s.status, StageStatus::Success, "{}", f.describe(&id));
    }
    assert_eq!(f.stage(&id, "build").attempts, 1);
    assert_eq!(f.stage(&id, "deploy").attempts, 2, "{}", f.describe(&id));
    assert_eq!(retried_stages(&store, &id), ["deploy"]);

    let revisions = store.revisions(&f.service, &f.env).unwrap();
    let ok: Vec<_> = revisions
        .iter()
        .filter(|r| r.run_id == id && r.result == "success")
        .collect();
    assert_eq!(ok.len(), 1, "{}", f.describe(&id));
    assert!(
        revisions.iter().all(|r| r.result != "in-progress"),
        "{}",
        f.describe(&id)
    );
    let settled = store.revision(&interrupted[0].id).unwrap().unwrap();
    if settled.id != ok[0].id {
        assert_eq!(settled.result, "failure", "{}", f.describe(&id));
    }
    let current = store.current_revision(&f.service, &f.env).unwrap().unwrap();
    assert_eq!(current.id, ok[0].id);
    f.assert_serves_version();

    // One replica of the new revision serves; no candidate is left over.
    let replicas = f.deploy_replicas();
    assert_eq!(replicas.len(), 1, "{replicas:?}");
    assert_eq!(replicas[0].1, ok[0].id, "{replicas:?}");
    assert!(replicas[0].2, "the replica is not running: {replicas:?}");
    let proxy = format!("seamless-{}-{}-proxy", f.service, f.env);
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Running}}", &proxy]).trim(),
        "true"
    );
    f.assert_nothing_of_run_left(&id);
}

#[test]
fn run_killed_while_awaiting_approval_keeps_waiting_after_resume() {
    let f = Fixture::new(&Spec {
        unit_test: "echo ok",
        slow_start: false,
    });
    let mut run = f.start_run(&[]);
    let id = f.run_id(&run);
    wait_for(
        "the run to wait for approval",
        || (f.run(&id).status == RunStatus::AwaitingApproval).then_some(()),
        || run.output() + &f.describe(&id),
    );
    run.kill9();
    assert_eq!(
        f.stage(&id, "approval").status,
        StageStatus::AwaitingApproval
    );

    let mut resumer = f.spawn("resume", &["resume", &id]);
    let pid = i64::from(resumer.pid());
    wait_for(
        "the resumer to claim the run",
        || (f.run(&id).owner_pid == Some(pid)).then_some(()),
        || resumer.output() + &f.describe(&id),
    );
    // It keeps waiting: for a couple of seconds nothing moves past the gate.
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_secs(2) {
        assert!(resumer.running(), "{}", resumer.output());
        let record = f.run(&id);
        assert_eq!(
            record.status,
            RunStatus::AwaitingApproval,
            "{}",
            f.describe(&id)
        );
        assert_eq!(record.owner_pid, Some(pid));
        assert_eq!(
            f.stage(&id, "approval").status,
            StageStatus::AwaitingApproval
        );
        assert_eq!(f.stage(&id, "deploy").status, StageStatus::Idle);
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(f.get("/version").is_none(), "deployed before the approval");

    let approve = f.seamless(&["approve", &id, "--no-resume", "--by", "tester"]);
    assert_eq!(approve.code, 0, "{}", approve.all());
    assert!(
        approve
            .stdout
            .contains(&format!("process {pid} carries the run on")),
        "{}",
        approve.all()
    );
    let resumed = resumer.wait_exit();
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.all(), f.describe(&id));

    assert_eq!(f.run(&id).status, RunStatus::Success);
    for s in f.stages(&id) {
        assert_eq!(s.status, StageStatus::Success, "{}", f.describe(&id));
    }
    assert_eq!(f.stage(&id, "build").attempts, 1, "build was rerun");
    assert_eq!(f.stage(&id, "unit-test").attempts, 1, "unit-test was rerun");
    assert_eq!(f.stage(&id, "deploy").attempts, 1);
    assert!(retried_stages(&f.store(), &id).is_empty());
    let gate = f.stage(&id, "approval");
    assert!(
        gate.summary.as_deref().unwrap_or("").contains("tester"),
        "{gate:?}"
    );
    let revisions = f.store().revisions(&f.service, &f.env).unwrap();
    assert_eq!(revisions.len(), 1, "{}", f.describe(&id));
    assert_eq!(revisions[0].result, "success");
    f.assert_serves_version();
    f.assert_nothing_of_run_left(&id);
}

#[test]
fn cancel_asks_the_live_owner_and_removes_the_runs_containers() {
    let f = Fixture::new(&Spec {
        unit_test: "sleep 60",
        slow_start: false,
    });
    let run = f.start_run(&["--approve"]);
    let id = f.run_id(&run);
    wait_for(
        "the long stage's container to run",
        || (!f.stage_containers(&id, "unit-test", false).is_empty()).then_some(()),
        || run.output() + &f.describe(&id),
    );
    let started = Instant::now();
    let cancel = f.seamless(&["cancel", &id]);
    assert_eq!(cancel.code, 0, "{}", cancel.all());
    assert!(
        cancel.stdout.contains(&format!("run {id} cancelled")),
        "{}",
        cancel.all()
    );
    let ended = run.wait_exit();
    let took = started.elapsed();
    assert_eq!(ended.code, 1, "{}", ended.all());
    assert!(
        took < Duration::from_secs(20),
        "cancelling took {}s",
        took.as_secs()
    );
    eprintln!("cancel of a live run took {:.1}s", took.as_secs_f32());

    let record = f.run(&id);
    assert_eq!(record.status, RunStatus::Cancelled, "{}", f.describe(&id));
    assert!(record.finished_at.is_some());
    assert_eq!(f.stage(&id, "prepare").status, StageStatus::Success);
    for stage in ["unit-test", "build", "approval", "deploy"] {
        assert_eq!(
            f.stage(&id, stage).status,
            StageStatus::Cancelled,
            "{stage}: {}",
            f.describe(&id)
        );
    }
    f.assert_nothing_of_run_left(&id);
    assert!(f.deploy_replicas().is_empty());
}

#[test]
fn cancel_of_an_orphaned_run_cancels_it_and_removes_its_containers() {
    let f = Fixture::new(&Spec {
        unit_test: "sleep 60",
        slow_start: false,
    });
    let mut run = f.start_run(&["--approve"]);
    let id = f.run_id(&run);
    wait_for(
        "the long stage's container to run",
        || (!f.stage_containers(&id, "unit-test", false).is_empty()).then_some(()),
        || run.output() + &f.describe(&id),
    );
    run.kill9();
    assert!(
        !f.stage_containers(&id, "unit-test", false).is_empty(),
        "the container outlives its killed runtime"
    );

    let started = Instant::now();
    let cancel = f.seamless(&["cancel", &id]);
    let took = started.elapsed();
    assert_eq!(cancel.code, 0, "{}", cancel.all());
    assert!(
        cancel.stdout.contains(&format!("run {id} cancelled")),
        "{}",
        cancel.all()
    );
    eprintln!("cancel of an orphaned run took {:.1}s", took.as_secs_f32());

    let record = f.run(&id);
    assert_eq!(record.status, RunStatus::Cancelled, "{}", f.describe(&id));
    assert!(record.finished_at.is_some());
    assert_eq!(record.owner_pid, None);
    assert_eq!(f.stage(&id, "prepare").status, StageStatus::Success);
    for stage in ["unit-test", "build", "approval", "deploy"] {
        assert_eq!(
            f.stage(&id, stage).status,
            StageStatus::Cancelled,
            "{stage}: {}",
            f.describe(&id)
        );
    }
    f.assert_nothing_of_run_left(&id);
    assert!(f.deploy_replicas().is_empty());

    // A cancelled run is over: resume has nothing to do with it.
    let resume = f.seamless(&["resume"]);
    assert_eq!(resume.code, 0, "{}", resume.all());
    assert!(
        resume.stdout.contains("no unfinished run"),
        "{}",
        resume.all()
    );
}
