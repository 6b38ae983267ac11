//! Deploys on Docker: an unhealthy version abandoned while the old one answers every
//! request, the approval gate (approve, reject, restart, expiry) and rollback.
//!
//! Each test deploys its own busybox-httpd service to its own environment and public
//! port from a scratch git repository; a guard removes what it deployed and built.

use crate::support::git;
use crate::support::{Run, Scratch, docker, docker_cleanup, seamless_bin};
use seamless_core::deploy::Revision;
use seamless_core::state::RunStatus;
use seamless_store::{RunFilter, Store};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a run may take to reach a point the test waits for.
const PATIENCE: Duration = Duration::from_secs(180);

/// One service deployed to one environment from a scratch git repository. Dropping
/// it removes its containers (revisions and proxy), networks and images.
pub(crate) struct Deploy {
    pub(crate) s: Scratch,
    pub(crate) store: Store,
    pub(crate) service: String,
    pub(crate) env: String,
    pub(crate) port: u16,
    /// Whether an approval gate stands in front of the deploy stage.
    gate: bool,
    /// Top-level tables, such as `[approval]`.
    header: String,
    /// Holds `port`, the deployed service's public port, while the test runs.
    _port: crate::support::Reserved,
}

impl Deploy {
    pub(crate) fn new(tag: &str, gate: bool, header: &str) -> Self {
        let pid = std::process::id();
        let s = Scratch::empty();
        // Made before any `seamless` process starts, so nobody migrates it concurrently.
        let store = Store::open(s.data.path()).unwrap();
        let reserved = crate::support::reserve_port();
        let d = Self {
            store,
            service: format!("web-{tag}-{pid}"),
            env: format!("{tag}{pid}"),
            port: reserved.port(),
            _port: reserved,
            gate,
            header: header.to_owned(),
            s,
        };
        git(d.s.path(), &["init", "-q", "-b", "main"]);
        let cmd = r#"CMD ["httpd", "-f", "-p", "8000", "-h", "/www"]"#;
        // The label makes every layer this test's own: another test removing its
        // images never deletes a cached layer this test's build is using.
        let service = &d.service;
        let dockerfile =
            format!("FROM seamless/busybox\nLABEL test={service}\nCOPY www /www\n{cmd}\n");
        d.s.write("Dockerfile", &dockerfile);
        d.configure("");
        d
    }

    /// Makes every build take `secs` longer (a step after the copy of `www`, so the
    /// layer cache never skips it).
    pub(crate) fn slow_build(&self, secs: u32) {
        let service = &self.service;
        let cmd = r#"CMD ["httpd", "-f", "-p", "8000", "-h", "/www"]"#;
        self.s.write(
            "Dockerfile",
            &format!(
                "FROM seamless/busybox\nLABEL test={service}\nCOPY www /www\nRUN sleep {secs}\n{cmd}\n"
            ),
        );
    }

    /// Writes seamless.toml: prepare -> build -> [approval ->] deploy, with
    /// `deploy_with` under the deploy stage's `[stage.with]`.
    fn configure(&self, deploy_with: &str) {
        let (svc, env, port, header) = (&self.service, &self.env, self.port, &self.header);
        let gate =
            "[[stage]]\nname = \"approval\"\nuses = \"gate:approval\"\nneeds = [\"build\"]\n\n";
        let (gate, before_deploy) = if self.gate {
            (gate, "approval")
        } else {
            ("", "build")
        };
        let toml = format!(
            "version = 1\npipeline = \"deploys\"\n{header}\n\
             [[service]]\nname = \"{svc}\"\nport = 8000\nhealth = \"/health\"\n\
             [service.targets.{env}]\nport = {port}\n\n\
             [[stage]]\nname = \"prepare\"\nuses = \"builtin:prepare\"\nscope = \"run\"\n\
             grants = {{ workspace-write = true }}\n\n\
             [[stage]]\nname = \"build\"\nuses = \"builtin:build\"\nneeds = [\"prepare\"]\n\
             grants = {{ images = true }}\n\n{gate}\
             [[stage]]\nname = \"deploy\"\nuses = \"builtin:deploy\"\nneeds = [\"{before_deploy}\"]\n\
             environment = \"{env}\"\ngrants = {{ deploy = [\"{env}\"] }}\n\
             [stage.with]\nprobe-interval-ms = \"100\"\n{deploy_with}"
        );
        self.s.write("seamless.toml", &toml);
    }

    /// Commits a version that serves `/version` = `version`, with or without a
    /// `/health` page, and returns the commit.
    pub(crate) fn commit(&self, version: &str, healthy: bool) -> String {
        self.s.write("www/version", version);
        let health = self.s.path().join("www/health");
        if healthy {
            self.s.write("www/health", "ok\n");
        } else if health.exists() {
            std::fs::remove_file(health).unwrap();
        }
        let dir = self.s.path();
        git(dir, &["add", "-A"]);
        let mut commit: Vec<&str> = "-c user.name=t -c user.email=t@e commit -q -m"
            .split(' ')
            .collect();
        commit.push(version);
        git(dir, &commit);
        git(dir, &["rev-parse", "HEAD"])
    }

    /// `seamless run` in the foreground, the gate approved in advance.
    pub(crate) fn run(&self) -> Run {
        self.s.run(&["--host", "docker", "--approve"])
    }

    /// `seamless run` in the background, without `--approve`.
    fn spawn_run(&self) -> Background {
        let child = Command::new(seamless_bin())
            .arg("run")
            .arg(self.s.path())
            .args(["--host", "docker", "--data-dir"])
            .arg(self.s.data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Background(Some(child))
    }

    /// Waits until the background run waits for approval, and returns its id.
    fn awaiting_approval(&self, bg: &mut Background) -> String {
        let filter = RunFilter {
            status: Some(RunStatus::AwaitingApproval),
            ..RunFilter::default()
        };
        let run = until("the run to wait for approval", PATIENCE, || {
            bg.assert_running();
            self.store.list_runs(&filter).unwrap().into_iter().next()
        });
        assert_eq!(self.status(&run.id, "approval"), "awaiting-approval");
        run.id
    }

    /// `seamless <args>` with this data directory.
    pub(crate) fn cli(&self, args: &[&str]) -> Run {
        self.s.seamless(args, &[])
    }

    /// `seamless rollback <service> --env <env> <how> --path <repo>`.
    pub(crate) fn rollback(&self, how: &[&str]) -> Run {
        let mut args = vec!["rollback", &self.service, "--env", &self.env];
        args.extend_from_slice(how);
        args.extend_from_slice(&["--host", "docker", "--path"]);
        args.push(self.s.path().to_str().unwrap());
        self.cli(&args)
    }

    /// What the environment's public port answers on `/version`.
    pub(crate) fn version(&self) -> Answer {
        get(self.port, "/version")
    }

    fn run_status(&self, id: &str) -> RunStatus {
        self.store.run(id).unwrap().unwrap().status
    }

    fn status(&self, id: &str, stage: &str) -> String {
        self.s.stage(id, stage).status.as_str().to_owned()
    }

    /// The revisions of the service in the environment, newest first.
    pub(crate) fn revisions(&self) -> Vec<Revision> {
        self.store.revisions(&self.service, &self.env).unwrap()
    }

    pub(crate) fn serving(&self) -> Revision {
        let serving = self.store.current_revision(&self.service, &self.env);
        serving.unwrap().expect("a serving revision")
    }

    /// The images of the containers deployed for this service (revisions and proxy).
    /// Its positive controls (the query finds a live deploy) are in
    /// `unhealthy_deploy_is_abandoned_while_the_old_version_serves_every_request` and
    /// `approving_a_waiting_run_deploys_it`, the counterpart of the rejection test.
    pub(crate) fn deployed_images(&self) -> Vec<String> {
        let label = format!("label=dev.seamless.deploy.service={}", self.service);
        let images = docker(&["ps", "-a", "--filter", &label, "--format", "{{.Image}}"]);
        images.lines().map(str::to_owned).collect()
    }
}

impl Drop for Deploy {
    fn drop(&mut self) {
        let (svc, env) = (&self.service, &self.env);
        let sh = |cmd: String| docker(&cmd.split_whitespace().collect::<Vec<_>>());
        // Removals may name objects that do not exist: cleanup, failures ignored.
        let rm = |cmd: String| docker_cleanup(&cmd.split_whitespace().collect::<Vec<_>>());
        let containers = sh(format!(
            "ps -aq --filter label=dev.seamless.deploy.service={svc}"
        )) + &sh(format!("ps -aq --filter label=dev.seamless.service={svc}"));
        rm(format!("rm -f -v seamless-{svc}-{env}-proxy {containers}"));
        rm(format!(
            "network rm seamless-deploy-{svc}-{env} seamless-env-{env}"
        ));
        let tag = "{{.Repository}}:{{.Tag}}";
        let images = sh(format!("images --filter reference={svc}:* --format {tag}"));
        if !images.trim().is_empty() {
            rm(format!("rmi -f {images}"));
        }
    }
}

/// A `seamless` process in the background; killed if the test ends before it does.
struct Background(Option<Child>);

impl Background {
    /// Panics with the process's output if it has already ended.
    fn assert_running(&mut self) {
        if let Some(status) = self.0.as_mut().unwrap().try_wait().unwrap() {
            let run = Run::from(self.0.take().unwrap().wait_with_output().unwrap());
            panic!("the run ended early ({status}):\n{}", run.all());
        }
    }

    /// Waits (at most `within`) for the process to end and returns what it did.
    fn finish(mut self, within: Duration) -> Run {
        let child = self.0.as_mut().unwrap();
        until("the background run to end", within, || {
            child.try_wait().unwrap()
        });
        Run::from(self.0.take().unwrap().wait_with_output().unwrap())
    }

    /// SIGKILL, and reap it so that its PID is gone.
    fn kill(mut self) {
        let mut child = self.0.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `f` every 100 ms until it returns something; panics after `within`.
pub(crate) fn until<T>(what: &str, within: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = f() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "gave up after {within:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Asserts that `text` contains every one of `parts`.
pub(crate) fn assert_says(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "expected {part:?} in:\n{text}");
    }
}

/// An HTTP status and the trimmed body, or why there was no answer.
pub(crate) type Answer = Result<(u16, String), String>;

pub(crate) fn ok(version: &str) -> Answer {
    Ok((200, version.to_owned()))
}

/// One HTTP/1.0 GET on 127.0.0.1.
fn get(port: u16, path: &str) -> Answer {
    let fetch = || -> std::io::Result<String> {
        let addr = ([127, 0, 0, 1], port).into();
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    };
    let answer = fetch().map_err(|e| e.to_string())?;
    crate::support::http_answer(&answer)
        .map(|(status, body)| (status, body.trim().to_owned()))
        .map_err(|e| e.to_string())
}

/// Runs `f` while another thread GETs `/version` on `port` every 50 ms; returns what
/// `f` returned and every answer.
fn polling<T>(port: u16, f: impl FnOnce() -> T) -> (T, Vec<Answer>) {
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut answers = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                answers.push(get(port, "/version"));
                std::thread::sleep(Duration::from_millis(50));
            }
            answers
        })
    };
    let value = f();
    stop.store(true, Ordering::Relaxed);
    (value, poller.join().unwrap())
}

#[test]
fn unhealthy_deploy_is_abandoned_while_the_old_version_serves_every_request() {
    let d = Deploy::new("unhealthy", false, "");
    let v1 = d.commit("v1", true);
    let first = d.run();
    assert_eq!(first.code, 0, "{}", first.all());
    assert_eq!(d.version(), ok("v1"));

    d.configure("health-timeout-secs = \"5\"\n");
    let v2 = d.commit("v2", false);
    let (second, answers) = polling(d.port, || d.run());
    assert_eq!(second.code, 1, "{}", second.all());
    let deploy = d.s.stage(&second.run_id(), "deploy");
    assert_eq!(deploy.status.as_str(), "failure");
    let error = deploy.error.unwrap_or_default();
    assert!(answers.len() >= 20, "only {} requests", answers.len());
    let bad: Vec<_> = answers.iter().filter(|a| **a != ok("v1")).collect();
    let total = answers.len();
    assert!(
        bad.is_empty(),
        "{} of {total} requests did not get v1: {bad:?}",
        bad.len()
    );
    assert_eq!(d.version(), ok("v1"));

    let revisions = d.revisions();
    let results: Vec<_> = revisions
        .iter()
        .map(|r| (r.commit_sha.as_str(), r.result.as_str()))
        .collect();
    assert_eq!(
        results,
        [(v2.as_str(), "failure"), (v1.as_str(), "success")]
    );
    let (failed, live) = (&revisions[0], &revisions[1]);
    assert_eq!(d.serving().id, live.id);
    let why = ["never became healthy", "keeps serving", &live.id];
    assert_says(&error, &why);
    assert_says(failed.reason.as_deref().unwrap_or_default(), &why);

    let listing = d.cli(&["deployments", &d.service, "--env", &d.env]);
    assert_eq!(listing.code, 0, "{}", listing.all());
    let line = |revision: &Revision| {
        let line = listing.stdout.lines().find(|l| l.starts_with(&revision.id));
        let line = line.unwrap_or_else(|| panic!("no {}:\n{}", revision.id, listing.all()));
        (line.to_owned(), line.split_whitespace().any(|w| w == "*"))
    };
    let (failed_line, failed_serves) = line(failed);
    assert_says(
        &failed_line,
        &["failure", &v2[..12], "never became healthy"],
    );
    let (live_line, live_serves) = line(live);
    assert_says(&live_line, &["success", &v1[..12]]);
    assert!(live_serves && !failed_serves, "{}", listing.stdout);

    let images = d.deployed_images();
    let (v1_image, v2_image) = (format!("{}:{v1}", d.service), format!("{}:{v2}", d.service));
    assert!(
        !images.contains(&v2_image),
        "a v2 container is left: {images:?}"
    );
    assert!(images.contains(&v1_image), "v1 no longer runs: {images:?}");
}

#[test]
fn approving_a_waiting_run_deploys_it() {
    let d = Deploy::new("approve", true, "");
    let v1 = d.commit("v1", true);
    let mut bg = d.spawn_run();
    let id = d.awaiting_approval(&mut bg);
    assert!(d.version().is_err(), "something serves before the approval");

    let approve = d.cli(&["approve", &id, "--by", "tester"]);
    assert_eq!(approve.code, 0, "{}", approve.all());
    let run = bg.finish(PATIENCE);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.run_id(), id);
    assert_eq!(d.run_status(&id), RunStatus::Success);
    let gate = d.s.stage(&id, "approval");
    assert_eq!(gate.status.as_str(), "success");
    assert_says(&gate.summary.unwrap_or_default(), &["approved by tester"]);
    let approval = d.store.approval(&id).unwrap().unwrap();
    assert!(approval.approved && approval.decided_by == "tester");
    assert_eq!(d.status(&id, "deploy"), "success");
    assert_eq!(d.version(), ok("v1"));
    // The query that shows nothing deployed after a rejection sees this deploy.
    let image = format!("{}:{v1}", d.service);
    assert!(
        d.deployed_images().contains(&image),
        "{image} not in {:?}",
        d.deployed_images()
    );
}

#[test]
fn rejecting_a_waiting_run_fails_it_and_deploys_nothing() {
    let d = Deploy::new("reject", true, "");
    d.commit("v1", true);
    let mut bg = d.spawn_run();
    let id = d.awaiting_approval(&mut bg);

    let reject = d.cli(&["reject", &id, "--reason", "not today", "--by", "tester"]);
    assert_eq!(reject.code, 0, "{}", reject.all());
    let run = bg.finish(PATIENCE);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(d.run_status(&id), RunStatus::Failure);
    let gate = d.s.stage(&id, "approval");
    assert_eq!(gate.status.as_str(), "failure");
    assert_says(
        &gate.error.unwrap_or_default(),
        &["rejected by tester", "not today"],
    );
    assert_eq!(d.status(&id, "deploy"), "skipped");
    assert!(d.revisions().is_empty());
    assert!(d.deployed_images().is_empty(), "{:?}", d.deployed_images());
    assert!(d.version().is_err(), "something serves");
}

#[test]
fn a_waiting_approval_survives_the_death_of_its_process() {
    let d = Deploy::new("restart", true, "");
    d.commit("v1", true);
    let mut bg = d.spawn_run();
    let id = d.awaiting_approval(&mut bg);
    bg.kill();
    assert_eq!(d.run_status(&id), RunStatus::AwaitingApproval);
    assert_eq!(d.status(&id, "approval"), "awaiting-approval");

    // Nobody carries the run on now, so `approve` resumes it in the foreground.
    let approve = d.cli(&["approve", &id, "--by", "tester"]);
    assert_eq!(approve.code, 0, "{}", approve.all());
    assert_says(&approve.stdout, &[&format!("resuming run {id}")]);
    assert_eq!(d.run_status(&id), RunStatus::Success);
    assert_eq!(d.version(), ok("v1"));
    for stage in d.s.stages(&id) {
        assert_eq!(stage.status.as_str(), "success", "{}", stage.stage);
        let attempts = u32::from(stage.stage != "approval");
        assert_eq!(stage.attempts, attempts, "attempts of {}", stage.stage);
    }
    let events = d.store.events(&id).unwrap();
    let build_starts = events
        .iter()
        .filter(|e| e.stage == "build" && e.to == "in-progress");
    assert_eq!(build_starts.count(), 1, "the build started again");
}

#[test]
fn an_approval_nobody_gives_expires() {
    let d = Deploy::new("expiry", true, "[approval]\nexpires = \"2s\"\n");
    d.commit("v1", true);
    let run = d.spawn_run().finish(PATIENCE);
    assert_eq!(run.code, 1, "{}", run.all());
    let id = run.run_id();
    assert_eq!(d.run_status(&id), RunStatus::Failure);
    let gate = d.s.stage(&id, "approval");
    assert_eq!(gate.status.as_str(), "failure");
    assert_says(&gate.error.unwrap_or_default(), &["approval expired"]);
    assert_eq!(d.status(&id, "deploy"), "skipped");
    assert!(d.revisions().is_empty());
    assert!(d.version().is_err(), "something serves");
}

#[test]
fn rollback_redeploys_an_earlier_revision_as_a_new_one() {
    let d = Deploy::new("rollback", false, "");
    let a = d.commit("v1", true);
    let first = d.run();
    assert_eq!(first.code, 0, "{}", first.all());
    let b = d.commit("v2", true);
    let second = d.run();
    assert_eq!(second.code, 0, "{}", second.all());
    assert_eq!(d.version(), ok("v2"));

    let check = |rollback: Run, commit: &str, version: &str| {
        assert_eq!(rollback.code, 0, "{}", rollback.all());
        let id = rollback.run_id();
        assert_eq!(d.store.run(&id).unwrap().unwrap().trigger, "rollback");
        let newest = d.revisions().remove(0);
        assert_eq!(
            (newest.result.as_str(), newest.commit_sha.as_str()),
            ("success", commit)
        );
        assert_eq!(
            (newest.run_id.as_str(), d.serving().id),
            (id.as_str(), newest.id)
        );
        assert_eq!(d.version(), ok(version));
    };
    check(d.rollback(&["--previous"]), &a, "v1");
    check(d.rollback(&["--to", &b[..10]]), &b, "v2");
    assert_eq!(d.revisions().len(), 4);

    let unknown = d.rollback(&["--to", "0000000000"]);
    assert_ne!(unknown.code, 0, "{}", unknown.all());
    assert_says(
        &unknown.stderr,
        &["no healthy revision of commit '0000000000'"],
    );
    assert_eq!(d.revisions().len(), 4);
    assert_eq!(d.version(), ok("v2"));
}
