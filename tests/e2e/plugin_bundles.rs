//! Plugin bundles end to end (issue 5): a plugin scaffolded, built, pushed to the local
//! registry (`SEAMLESS_TEST_REGISTRY`), found by `plugin search`, installed by tag and
//! run in a pipeline on Docker; a retagged repository refused until `plugin update`;
//! signatures required and checked; offline installs from an OCI layout tar.

use crate::support::{Run, Scratch, misbehave_wasm, repo_root};
use std::path::{Path, PathBuf};

fn registry() -> String {
    seamless_test_support::registry::plain()
}

/// A repository name no other test (or earlier run) uses.
fn unique_repo(what: &str) -> String {
    format!("{}/e2e/{}", registry(), seamless_test_support::unique(what))
}

/// `seamless <args>` in `dir`, with the pipeline's data directory.
fn seamless_in(s: &Scratch, dir: &Path, args: &[&str]) -> Run {
    let mut cmd = std::process::Command::new(crate::support::seamless_bin());
    cmd.args(args)
        .arg("--data-dir")
        .arg(s.data.path())
        .current_dir(dir)
        // Guest builds share one target directory, so dependencies compile once.
        .env("CARGO_TARGET_DIR", repo_root().join("target/e2e-plugins"))
        .stdin(std::process::Stdio::null());
    Run::from(cmd.output().unwrap())
}

pub(crate) fn ok(run: Run, what: &str) -> Run {
    assert_eq!(run.code, 0, "{what} failed:\n{}", run.all());
    run
}

/// A pipeline with one service and one stage that uses `uses` with `grants`.
fn pipeline(s: &Scratch, uses: &str, grants: &str, plugins: &str) {
    s.write("Dockerfile", "FROM seamless/busybox\n");
    s.write(
        "seamless.toml",
        &format!(
            "version = 1\npipeline = \"bundles\"\n{plugins}\n[[service]]\nname = \"svc\"\n\n\
             [[stage]]\nname = \"lint\"\nuses = \"{uses}\"\n[stage.with]\n\
             script = \"echo linting $SERVICE\"\n[stage.grants]\n{grants}"
        ),
    );
}

/// The message a failed stage ended with, from the run's output.
fn stage_failure(run: &Run) -> String {
    run.stdout
        .lines()
        .find(|l| l.contains("failure ("))
        .unwrap_or_else(|| panic!("no failed stage:\n{}", run.all()))
        .to_string()
}

#[test]
fn a_scaffolded_plugin_is_built_pushed_found_installed_and_run_on_docker() {
    let s = Scratch::empty();
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("lint-yaml");
    ok(
        seamless_in(
            &s,
            work.path(),
            &[
                "plugin",
                "new",
                "lint-yaml",
                "--description",
                "Checks the YAML of every service",
            ],
        ),
        "plugin new",
    );
    let built = ok(
        seamless_in(&s, &project, &["plugin", "build"]),
        "plugin build",
    );
    assert!(built.stdout.contains("digest: sha256:"), "{}", built.all());

    let repo = unique_repo("lint-yaml");
    let tag = format!("{repo}:1");
    let pushed = ok(
        seamless_in(&s, &project, &["plugin", "push", &tag]),
        "plugin push",
    );
    let first_digest = digest_in(&pushed.stdout);

    // Found by a word of its description.
    let found = ok(
        seamless_in(
            &s,
            &project,
            &["plugin", "search", "yaml", "--registry", &registry()],
        ),
        "plugin search",
    );
    assert!(found.stdout.contains(&tag), "{}", found.all());
    assert!(found.stdout.contains("Checks the YAML"), "{}", found.all());
    let none = seamless_in(
        &s,
        &project,
        &[
            "plugin",
            "search",
            "no-such-word-anywhere",
            "--registry",
            &registry(),
        ],
    );
    assert_eq!(none.code, 1, "{}", none.all());

    // Not pinned yet: the run refuses it and says how to install it.
    pipeline(&s, &tag, "", "");
    let run = s.run(&["--host", "docker"]);
    assert_ne!(run.code, 0);
    let msg = stage_failure(&run);
    assert!(
        msg.contains("is not pinned") && msg.contains("seamless plugin install"),
        "{msg}"
    );

    // Without a terminal, install needs --yes.
    let refused = seamless_in(&s, s.path(), &["plugin", "install", &tag]);
    assert_ne!(refused.code, 0);
    assert!(refused.stdout.contains("- containers"), "{}", refused.all());
    assert!(refused.stderr.contains("--yes"), "{}", refused.all());
    assert!(!s.path().join("seamless.lock").exists());
    ok(
        seamless_in(&s, s.path(), &["plugin", "install", &tag, "--yes"]),
        "install",
    );
    let lock = std::fs::read_to_string(s.path().join("seamless.lock")).unwrap();
    assert!(
        lock.contains(&first_digest) && lock.contains(&tag),
        "{lock}"
    );

    // Pinned, but the stage does not grant what the plugin requests.
    let run = s.run(&["--host", "docker"]);
    let msg = stage_failure(&run);
    assert!(
        msg.contains("requests the capability `containers`")
            && msg.contains("add `containers = true` under [stage.grants]")
            && msg.contains("seamless.toml:"),
        "{msg}"
    );

    // Granted: it runs on Docker.
    pipeline(&s, &tag, "containers = true\n", "");
    let run = s.run(&["--host", "docker"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let logs = s.stored_logs(&run.run_id());
    assert!(logs.contains("lint-yaml: hello from svc"), "{logs}");
    assert!(
        logs.contains(&format!(
            "plugin bundle '{tag}' at {first_digest} (pinned in seamless.lock)"
        )),
        "{logs}"
    );
    assert!(logs.contains("linting svc"), "{logs}");

    // Another machine (a new data directory, an empty plugin store) with the committed
    // lock pulls the pinned digest from the registry and runs it.
    let elsewhere = tempfile::tempdir().unwrap();
    let run = Run::from(
        std::process::Command::new(crate::support::seamless_bin())
            .args([
                "run",
                s.path().to_str().unwrap(),
                "--host",
                "docker",
                "--data-dir",
            ])
            .arg(elsewhere.path())
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let pulled = elsewhere
        .path()
        .join("plugins/sha256")
        .join(first_digest.trim_start_matches("sha256:"));
    assert!(pulled.is_dir(), "{} was not pulled", pulled.display());

    // The tag is moved to a new build that asks for more: runs refuse it.
    let manifest = project.join("plugin.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("version = \"0.1.0\"", "version = \"0.2.0\"")
            .replace("# networks = true", "networks = true"),
    )
    .unwrap();
    ok(seamless_in(&s, &project, &["plugin", "build"]), "rebuild");
    let bundle = project.join("dist/lint-yaml-0.2.0");
    let pushed = ok(
        seamless_in(
            &s,
            &project,
            &["plugin", "push", &tag, "--bundle", bundle.to_str().unwrap()],
        ),
        "push over the tag",
    );
    let second_digest = digest_in(&pushed.stdout);
    assert_ne!(first_digest, second_digest);
    let run = s.run(&["--host", "docker"]);
    let msg = stage_failure(&run);
    assert!(
        msg.contains(&format!("now points to {second_digest}"))
            && msg.contains(&first_digest)
            && msg.contains("seamless plugin update"),
        "{msg}"
    );

    // `plugin update` shows the change and pins it.
    let updated = ok(
        seamless_in(&s, s.path(), &["plugin", "update", &tag, "--yes"]),
        "plugin update",
    );
    assert!(
        updated
            .stdout
            .contains(&format!("{first_digest} -> {second_digest}"))
            && updated.stdout.contains("0.1.0 -> 0.2.0")
            && updated.stdout.contains("+ networks"),
        "{}",
        updated.all()
    );
    pipeline(&s, &tag, "containers = true\nnetworks = true\n", "");
    let run = s.run(&["--host", "docker"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let listed = ok(
        seamless_in(&s, s.path(), &["plugin", "list"]),
        "plugin list",
    );
    assert!(
        listed.stdout.contains("lint-yaml 0.2.0"),
        "{}",
        listed.all()
    );
}

pub(crate) fn digest_in(out: &str) -> String {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("digest: "))
        .unwrap_or_else(|| panic!("no digest in:\n{out}"))
        .trim()
        .to_string()
}

/// A project directory holding only a plugin.toml for the `misbehave` fixture (its
/// component is built from source with the runtime), packed without compiling.
pub(crate) fn misbehave_project(dir: &Path) -> PathBuf {
    let project = dir.join("misbehave");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("plugin.toml"),
        "name = \"misbehave\"\nversion = \"1.0.0\"\ndescription = \"misbehaves on demand\"\n\
         license = \"Apache-2.0\"\nstages = [\"code-quality\"]\nlang = \"rust\"\n\n\
         [capabilities]\ncontainers = true\nworkspace-write = true\nsecrets = [\"API_TOKEN\"]\n",
    )
    .unwrap();
    project
}

/// `seamless plugin pack` of the misbehave fixture's component into `out`.
pub(crate) fn pack_misbehave(s: &Scratch, project: &Path, out: &str) -> Run {
    let wasm = misbehave_wasm();
    let args = [
        "plugin",
        "pack",
        "--component",
        wasm.to_str().unwrap(),
        "-o",
        out,
    ];
    ok(seamless_in(s, project, &args), "plugin pack")
}

pub(crate) fn misbehave_pipeline(s: &Scratch, uses: &str, plugins: &str) {
    s.write("Dockerfile", "FROM seamless/busybox\n");
    s.write(
        "seamless.toml",
        &format!(
            "version = 1\npipeline = \"signed\"\n{plugins}\n[secrets]\nAPI_TOKEN = {{ from-env = \"HOME\" }}\n\n\
             [[service]]\nname = \"svc\"\n\n[[stage]]\nname = \"check\"\nuses = \"{uses}\"\n\
             [stage.with]\nbehaviour = \"ok\"\n[stage.grants]\ncontainers = true\n\
             workspace-write = true\nsecrets = [\"API_TOKEN\"]\n"
        ),
    );
}

#[test]
fn a_pipeline_that_requires_signatures_refuses_unsigned_and_foreign_signed_bundles() {
    let s = Scratch::empty();
    let work = tempfile::tempdir().unwrap();
    let project = misbehave_project(work.path());
    let packed = pack_misbehave(&s, &project, "dist/m");
    let digest = digest_in(&packed.stdout);
    let repo = unique_repo("misbehave");
    let tag = format!("{repo}:1.0.0");
    ok(
        seamless_in(
            &s,
            &project,
            &["plugin", "push", &tag, "--bundle", "dist/m"],
        ),
        "push",
    );
    let trusted = work.path().join("trusted.key");
    let foreign = work.path().join("foreign.key");
    let keygen = ok(
        seamless_in(
            &s,
            work.path(),
            &["plugin", "keygen", "-o", trusted.to_str().unwrap()],
        ),
        "keygen",
    );
    ok(
        seamless_in(
            &s,
            work.path(),
            &["plugin", "keygen", "-o", foreign.to_str().unwrap()],
        ),
        "keygen",
    );
    // keygen never overwrites a key: it fails and the key file is unchanged.
    let trusted_key = std::fs::read(&trusted).unwrap();
    let again = seamless_in(
        &s,
        work.path(),
        &["plugin", "keygen", "-o", trusted.to_str().unwrap()],
    );
    assert_ne!(again.code, 0, "{}", again.all());
    assert_eq!(
        std::fs::read(&trusted).unwrap(),
        trusted_key,
        "a refused keygen changed the key file"
    );
    let public = keygen
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("trusted-keys = [\""))
        .and_then(|l| l.strip_suffix("\"]"))
        .unwrap_or_else(|| panic!("no public key in:\n{}", keygen.all()))
        .to_string();
    let plugins = format!("[plugins]\nrequire-signatures = true\ntrusted-keys = [\"{public}\"]\n");
    misbehave_pipeline(&s, &tag, &plugins);
    ok(
        seamless_in(&s, s.path(), &["plugin", "install", &tag, "--yes"]),
        "install",
    );

    let run = s.run(&["--host", "docker"]);
    let msg = stage_failure(&run);
    assert!(
        msg.contains("is not signed") && msg.contains(&digest),
        "{msg}"
    );
    // "... a signature by one of: <key id>; sign it with ...".
    let key_id = msg
        .split("one of: ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_string();
    assert_eq!(key_id.len(), 16, "{msg}");

    // Signed by a key the pipeline does not trust: refused, naming the expected key.
    ok(
        seamless_in(
            &s,
            s.path(),
            &["plugin", "sign", &tag, "--key", foreign.to_str().unwrap()],
        ),
        "sign (foreign)",
    );
    let run = s.run(&["--host", "docker"]);
    let msg = stage_failure(&run);
    assert!(
        msg.contains("not signed by a trusted key") && msg.contains(&key_id),
        "{msg}"
    );

    // Signed by the trusted key, in the registry only (another machine signed it): the
    // run fetches the signature and accepts the bundle.
    let signer = Scratch::empty();
    ok(
        seamless_in(
            &signer,
            s.path(),
            &["plugin", "sign", &tag, "--key", trusted.to_str().unwrap()],
        ),
        "sign (trusted)",
    );
    let run = s.run(&["--host", "docker"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let logs = s.stored_logs(&run.run_id());
    assert!(
        logs.contains(&format!("signed by trusted key {key_id}")),
        "{logs}"
    );
    let verified = ok(seamless_in(&s, s.path(), &["plugin", "verify"]), "verify");
    assert!(
        verified.stdout.contains(&format!("signed by {key_id}")),
        "{}",
        verified.all()
    );

    // Pinned by digest (`repo@sha256:...`): the same bundle and signature.
    let by_digest = format!("{repo}@{digest}");
    misbehave_pipeline(&s, &by_digest, &plugins);
    ok(
        seamless_in(&s, s.path(), &["plugin", "install", &by_digest, "--yes"]),
        "install by digest",
    );
    let run = s.run(&["--host", "docker"]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn a_bundle_installs_offline_from_an_oci_layout_tar() {
    let s = Scratch::empty();
    let project = misbehave_project(s.path());
    pack_misbehave(&s, &project, "../plugins/misbehave.tar");
    misbehave_pipeline(&s, "./plugins/misbehave.tar", "");
    ok(
        seamless_in(
            &s,
            s.path(),
            &["plugin", "install", "./plugins/misbehave.tar", "--yes"],
        ),
        "offline install",
    );
    let run = s.run(&["--host", "docker"]);
    assert_eq!(run.code, 0, "{}", run.all());

    // The tar changes under the same path: refused until updated.
    std::fs::write(
        project.join("plugin.toml"),
        std::fs::read_to_string(project.join("plugin.toml"))
            .unwrap()
            .replace("1.0.0", "1.0.1"),
    )
    .unwrap();
    pack_misbehave(&s, &project, "../plugins/misbehave.tar");
    let run = s.run(&["--host", "docker"]);
    assert!(
        stage_failure(&run).contains("now points to"),
        "{}",
        run.all()
    );
    ok(
        seamless_in(
            &s,
            s.path(),
            &["plugin", "update", "./plugins/misbehave.tar", "--yes"],
        ),
        "update",
    );
    let run = s.run(&["--host", "docker"]);
    assert_eq!(run.code, 0, "{}", run.all());

    // Removed: unpinned and deleted from the store; runs refuse it again.
    let removed = ok(
        seamless_in(
            &s,
            s.path(),
            &["plugin", "remove", "./plugins/misbehave.tar"],
        ),
        "remove",
    );
    assert!(removed.stdout.contains("Removed"), "{}", removed.all());
    let listed = ok(seamless_in(&s, s.path(), &["plugin", "list"]), "list");
    assert!(
        listed.stdout.contains("No plugins are pinned"),
        "{}",
        listed.all()
    );
    let removed_digest = removed
        .stdout
        .split('(')
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap()
        .to_string();
    assert!(removed_digest.starts_with("sha256:"), "{}", removed.all());
    let place = s
        .data
        .path()
        .join("plugins/sha256")
        .join(removed_digest.trim_start_matches("sha256:"));
    assert!(!place.exists(), "{} is still stored", place.display());
    let run = s.run(&["--host", "docker"]);
    assert!(
        stage_failure(&run).contains("is not pinned"),
        "{}",
        run.all()
    );
}

/// The registry with basic auth: (user, password, host).
fn auth_registry() -> (String, String, String) {
    let r = seamless_test_support::registry::with_auth();
    (r.user, r.password, r.host)
}

#[test]
fn a_registry_with_basic_auth_takes_credentials_from_the_environment_or_the_docker_config() {
    let (user, password, host) = auth_registry();
    let s = Scratch::empty();
    let project = misbehave_project(s.path());
    pack_misbehave(&s, &project, "dist/m");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let tag = format!("{host}/e2e/auth-{nanos}:1.0.0");
    let docker_config = tempfile::tempdir().unwrap();
    let push = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(crate::support::seamless_bin());
        cmd.args(["plugin", "push", &tag, "--bundle", "dist/m", "--data-dir"])
            .arg(s.data.path())
            .current_dir(&project)
            .env("DOCKER_CONFIG", docker_config.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().unwrap())
    };
    // No credentials: refused, and the error says so.
    let refused = push(&[]);
    assert_ne!(refused.code, 0, "{}", refused.all());
    assert!(
        refused.stderr.to_lowercase().contains("unauthorized") || refused.stderr.contains("401"),
        "{}",
        refused.all()
    );
    // Wrong password: refused too, by the registry's authentication.
    let wrong = push(&[
        ("SEAMLESS_REGISTRY_USERNAME", &user),
        ("SEAMLESS_REGISTRY_PASSWORD", "not-the-password"),
    ]);
    assert_ne!(wrong.code, 0, "{}", wrong.all());
    assert!(
        wrong.stderr.to_lowercase().contains("unauthorized") || wrong.stderr.contains("401"),
        "{}",
        wrong.all()
    );
    // Basic credentials from the environment.
    ok(
        push(&[
            ("SEAMLESS_REGISTRY_USERNAME", &user),
            ("SEAMLESS_REGISTRY_PASSWORD", &password),
        ]),
        "push with credentials",
    );
    // Install reads the credentials from a Docker config file.
    let auth = base64(&format!("{user}:{password}"));
    std::fs::write(
        docker_config.path().join("config.json"),
        format!("{{\"auths\": {{\"{host}\": {{\"auth\": \"{auth}\"}}}}}}"),
    )
    .unwrap();
    misbehave_pipeline(&s, &tag, "");
    let mut cmd = std::process::Command::new(crate::support::seamless_bin());
    cmd.args(["plugin", "install", &tag, "--yes", "--data-dir"])
        .arg(s.data.path())
        .current_dir(s.path())
        .env("DOCKER_CONFIG", docker_config.path());
    ok(
        Run::from(cmd.output().unwrap()),
        "install with a docker config",
    );
    let run = s.seamless(
        &["run", s.path().to_str().unwrap(), "--host", "docker"],
        &[("DOCKER_CONFIG", docker_config.path().to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.all());
}

fn base64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}
