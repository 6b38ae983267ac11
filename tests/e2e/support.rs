//! Helpers for end-to-end tests: the built `seamless` binary, scratch
//! repositories, and what the real Docker engine and the run store say.

#![allow(clippy::unwrap_used, dead_code)]

use seamless_store::{StageRecord, Store};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The `seamless` binary, built from the current sources: once per test process this
/// runs `cargo build --workspace --bins` into the test binary's own target directory
/// and profile (a no-op when it is fresh), so no test drives a stale binary. The whole
/// workspace, as scripts/test builds it: `-p seamless-cli` alone unifies features
/// differently, and every switch between the two would rebuild dependencies.
pub fn seamless_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // The test binary is <target-dir>/<profile-dir>/deps/<name>.
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().unwrap().parent().unwrap();
        let target_dir = profile_dir.parent().unwrap();
        let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
            "debug" => "dev",
            other => other,
        };
        let out = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--workspace",
                "--bins",
                "--profile",
                profile,
            ])
            .env("CARGO_TARGET_DIR", target_dir)
            .current_dir(repo_root())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`cargo build --workspace --bins --profile {profile}` (target dir {}) failed; \
             the end-to-end tests need a binary built from the current sources:\n{}",
            target_dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        profile_dir.join("seamless")
    })
    .clone()
}

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
        copy_dir(&repo_root().join("examples").join(name), s.dir.path());
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
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
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

/// Copies the directory `from` to `to` (created).
pub fn copy_dir_all(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    copy_dir(from, to);
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs the docker CLI and returns its stdout; panics, with its stderr, if the CLI
/// fails, so a broken CLI or daemon never reads as "nothing there".
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "`docker {}` failed ({}):\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the docker CLI for cleanup, where "no such object" is fine: ignores failure.
pub fn docker_cleanup(args: &[&str]) {
    let _ = Command::new("docker").args(args).output();
}

/// Runs git in `dir` with a fixed test identity and no signing; returns its trimmed
/// stdout, or panics with git's stderr. The one git helper of the end-to-end tests.
pub fn git(dir: &Path, args: &[&str]) -> String {
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
pub fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// Runs the docker CLI about an object that may be gone meanwhile: its output, or
/// `None` when the CLI failed.
pub fn docker_cleanup_output(args: &[&str]) -> Option<String> {
    let out = Command::new("docker").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Containers (running or not) labelled with this run.
pub fn containers_of_run(run_id: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-a",
        "-q",
        "--filter",
        &format!("label=dev.seamless.run={run_id}"),
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

/// The test fixture plugin `misbehave.wasm`.
pub fn misbehave_wasm() -> PathBuf {
    Path::new(seamless_builtins::FIXTURE_DIR).join("misbehave.wasm")
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

/// How long any state an end-to-end test waits for may take to show up.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(180);

/// Polls `check` every 100 ms until it gives a value; panics with `what` and
/// `context()` once [`DEADLINE`] passes.
pub fn wait_for<T>(
    what: &str,
    mut check: impl FnMut() -> Option<T>,
    context: impl Fn() -> String,
) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out after {}s waiting for {what}\n{}",
            DEADLINE.as_secs(),
            context()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
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
