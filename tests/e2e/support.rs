//! Helpers for end-to-end tests: scratch repositories driven through the `seamless`
//! binary and what the run store says. The helpers every test crate shares (the binary,
//! git, Docker, fixtures, ports, waiting) are `seamless-test-support`'s, re-exported.

#![allow(clippy::unwrap_used, dead_code)]

use seamless_store::{StageRecord, Store};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub use seamless_test_support::bin::seamless_bin;
pub use seamless_test_support::docker::{
    containers_of_run, docker, docker_cleanup, docker_cleanup_output, networks_of_run,
};
pub use seamless_test_support::fixtures::{future_version_wasm, misbehave_wasm};
pub use seamless_test_support::git::{commit_all, git, init_and_commit};
pub use seamless_test_support::ports::{Reserved, reserve as reserve_port};
pub use seamless_test_support::repo_root;
pub use seamless_test_support::wait::{DEADLINE, wait_for};

/// `seamless token create NAME --role ROLE` for the data directory `data`; the token.
pub fn create_token(data: &Path, name: &str, role: &str) -> String {
    let out = Command::new(seamless_bin())
        .args(["token", "create", name, "--role", role, "--data-dir"])
        .arg(data)
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

/// A scratch repository plus a data directory, removed when dropped.
pub struct Scratch {
    pub dir: tempfile::TempDir,
    pub data: tempfile::TempDir,
}

impl Scratch {
    /// A copy of `examples/<name>`.
    pub fn example(name: &str) -> Self {
        let s = Self::empty();
        copy_dir_all(&repo_root().join("examples").join(name), s.dir.path());
        s
    }

    /// An empty repository.
    pub fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            data: tempfile::tempdir().unwrap(),
        }
    }

    /// The repository's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file in the repository.
    pub fn write(&self, rel: &str, text: &str) {
        seamless_test_support::fs::write(&self.dir.path().join(rel), text);
    }

    /// Runs `seamless <args>` with this data directory and extra environment.
    pub fn seamless(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(seamless_bin());
        cmd.args(args).arg("--data-dir").arg(self.data.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = cmd.output().unwrap();
        Run::from(output)
    }

    /// `seamless run <repo> <extra...>` in the background, output piped.
    pub fn spawn_run(&self, extra: &[&str]) -> std::process::Child {
        Command::new(seamless_bin())
            .arg("run")
            .arg(self.path())
            .args(extra)
            .arg("--data-dir")
            .arg(self.data.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// `seamless run <repo> <extra...>`.
    pub fn run(&self, extra: &[&str]) -> Run {
        let mut args = vec!["run", self.path().to_str().unwrap()];
        args.extend_from_slice(extra);
        self.seamless(&args, &[])
    }

    /// The stored stages of a run.
    pub fn stages(&self, run_id: &str) -> Vec<StageRecord> {
        Store::open(self.data.path())
            .unwrap()
            .stages(run_id)
            .unwrap()
    }

    /// One stored stage.
    pub fn stage(&self, run_id: &str, stage: &str) -> StageRecord {
        self.stages(run_id)
            .into_iter()
            .find(|s| s.stage == stage)
            .unwrap_or_else(|| panic!("no stage {stage} in run {run_id}"))
    }

    /// Every stored log line of a run, joined.
    pub fn stored_logs(&self, run_id: &str) -> String {
        Store::open(self.data.path())
            .unwrap()
            .logs(run_id)
            .unwrap()
            .into_iter()
            .map(|l| format!("{}/{} [{}] {}\n", l.service, l.stage, l.source, l.line))
            .collect()
    }
}

/// What one invocation of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// The run id from the closing line (`seamless: run <id> <status>`).
    pub fn run_id(&self) -> String {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix("seamless: run "))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no run id in output:\n{}", self.all()))
            .to_owned()
    }

    /// Stdout and stderr together, for assertion messages.
    pub fn all(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout, self.stderr)
    }
}

/// The Python stage plugin, built once per source version with componentize-py.
pub fn python_stage_wasm() -> PathBuf {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| {
        let src = repo_root().join("tests/fixtures/python-stage");
        let app = std::fs::read(src.join("app.py")).unwrap();
        let wit = std::fs::read(repo_root().join("wit/plugin.wit")).unwrap();
        let digest = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            app.hash(&mut h);
            wit.hash(&mut h);
            h.finish()
        };
        let out_dir = repo_root().join("target/python-stage");
        std::fs::create_dir_all(&out_dir).unwrap();
        let out = out_dir.join(format!("python-stage-{digest:016x}.wasm"));
        if !out.exists() {
            let tmp = out.with_extension("tmp.wasm");
            let status = Command::new("bash")
                .arg(src.join("build.sh"))
                .arg(&tmp)
                .status()
                .unwrap();
            assert!(
                status.success(),
                "componentize-py build of the python stage failed"
            );
            std::fs::rename(&tmp, &out).unwrap();
        }
        out
    })
    .clone()
}

/// A stage command that blocks until [`release_gated_run`] opens its gate, so the
/// test can look at the run's containers while the run is live.
pub const GATE: &str = "while [ ! -e /tmp/seamless-gate ]; do sleep 0.1; done";

/// Waits for the run of the background `seamless run` `child` (the only run in
/// `data`) to start, checks that [`containers_of_run`] sees its containers while it
/// is live (the positive control for a later "no container remains"), opens the
/// [`GATE`] in every running container of the run, and returns the finished run.
pub fn release_gated_run(data: &Path, mut child: std::process::Child) -> Run {
    let id = wait_for(
        "the run to be stored",
        || {
            let store = Store::open(data).ok()?;
            let runs = store.list_runs(&Default::default()).ok()?;
            runs.into_iter().next().map(|r| r.id)
        },
        String::new,
    );
    let commit = Store::open(data)
        .unwrap()
        .run(&id)
        .unwrap()
        .unwrap()
        .commit_sha;
    let mut seen = false;
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        let live = containers_of_run(&id);
        seen |= !live.is_empty();
        for c in &live {
            // Every container of the run is labelled with its commit (docker ps shows
            // what runs); one that has just gone has no labels to read.
            let Some(label) = docker_cleanup_output(&[
                "inspect",
                "--format",
                "{{index .Config.Labels \"dev.seamless.commit\"}}",
                c,
            ]) else {
                continue;
            };
            assert_eq!(label.trim(), commit.as_str(), "container {c} of run {id}");
        }
        let running = docker(&[
            "ps",
            "-q",
            "--filter",
            &format!("label=dev.seamless.run={id}"),
        ]);
        for c in running.lines() {
            // The container may end between `ps` and `exec`: cleanup semantics.
            docker_cleanup(&["exec", c, "touch", "/tmp/seamless-gate"]);
        }
        assert!(
            start.elapsed() < DEADLINE,
            "run {id} still live after {}s",
            DEADLINE.as_secs()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let run = Run::from(child.wait_with_output().unwrap());
    assert!(
        seen,
        "containers_of_run({id}) never saw a container while the run was live, so \
         it cannot show that none remains\n{}",
        run.all()
    );
    run
}

/// Copies the directory `from` into `to` (created).
pub fn copy_dir_all(from: &Path, to: &Path) {
    seamless_test_support::fs::copy_dir_all(from, to)
        .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", from.display(), to.display()));
}

/// A `seamless` process in the background, its output going to files (so it never
/// blocks on a full pipe); killed (SIGKILL) and reaped when dropped.
pub struct Bg {
    /// What it runs, for messages.
    pub name: String,
    /// The process, until it is reaped.
    pub child: Option<std::process::Child>,
    /// Its stdout file.
    pub out: PathBuf,
    /// Its stderr file.
    pub err: PathBuf,
}

impl Bg {
    /// Starts `seamless <args> --data-dir <data>` with `env`, its output in `logs`.
    pub fn spawn(
        logs: &Path,
        name: &str,
        args: &[&str],
        data: &Path,
        env: &[(&str, &str)],
    ) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let out = logs.join(format!("{name}-{n}.out"));
        let err = logs.join(format!("{name}-{n}.err"));
        let child = Command::new(seamless_bin())
            .args(args)
            .arg("--data-dir")
            .arg(data)
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Self {
            name: format!("seamless {}", args.join(" ")),
            child: Some(child),
            out,
            err,
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// SIGKILL, and reap it so that its PID is gone.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits (within the deadline) for the process to exit.
    pub fn wait_exit(mut self) -> Run {
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

    /// What it printed so far, for assertion messages.
    pub fn output(&self) -> String {
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
        self.kill9();
    }
}

/// A file's text, or nothing when it cannot be read (yet).
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// An HTTP/1.x answer read to its end: its status and its body, or why it is not one.
pub fn http_answer(raw: &str) -> std::io::Result<(u16, String)> {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .map(|status| (status, body.to_owned()))
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {raw:?}")))
}
