//! Plugin bundles over HTTPS (issue 19): the registry scripts/test-env.sh serves with a
//! certificate of its own test CA (`SEAMLESS_TEST_TLS_REGISTRY`, the CA in
//! `SEAMLESS_TEST_TLS_CA`). Trusted through `SEAMLESS_REGISTRY_CA` or Docker's
//! `certs.d/<host:port>/ca.crt`, a bundle is pushed, installed and pulled by a run on
//! another machine; without the CA, or with another CA, every command is refused with
//! an error that names the registry, the untrusted certificate and the fix, and
//! nothing is installed.
//!
//! Every command gets `SEAMLESS_CERTS_DIR` (an empty directory unless the test fills
//! it), so the machine's `/etc/docker/certs.d` never decides a result.

use crate::plugin_bundles::{digest_in, misbehave_pipeline, misbehave_project, ok, pack_misbehave};
use crate::support::{Run, Scratch, seamless_bin};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The HTTPS registry's `host:port`.
fn tls_registry() -> String {
    seamless_test_support::registry::tls().0
}

/// The CA that signed the TLS registry's certificate.
fn test_ca() -> PathBuf {
    seamless_test_support::registry::tls().1
}

/// A tag in a repository no other test (or earlier run) uses.
fn unique_tag(what: &str) -> String {
    format!(
        "{}/e2e-tls/{}:1.0.0",
        tls_registry(),
        seamless_test_support::unique(what)
    )
}

/// `seamless <args> --data-dir <s.data>` in `dir`, trusting (besides the system's CAs)
/// the certs.d directory `certs` and, if given, the CA file `ca`.
fn seamless_trusting(
    s: &Scratch,
    dir: &Path,
    args: &[&str],
    certs: &Path,
    ca: Option<&Path>,
) -> Run {
    let mut cmd = Command::new(seamless_bin());
    cmd.args(args)
        .arg("--data-dir")
        .arg(s.data.path())
        .current_dir(dir)
        .env("SEAMLESS_CERTS_DIR", certs)
        .env_remove("SEAMLESS_REGISTRY_CA")
        .env_remove("SEAMLESS_INSECURE_REGISTRIES")
        .stdin(std::process::Stdio::null());
    if let Some(ca) = ca {
        cmd.env("SEAMLESS_REGISTRY_CA", ca);
    }
    Run::from(cmd.output().unwrap())
}

/// A self-signed CA made with openssl in `dir`: not the one that signed the registry.
fn other_ca(dir: &Path) -> PathBuf {
    let cert = dir.join("other-ca.crt");
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=Not the registry's CA", "-keyout"])
        .arg(dir.join("other-ca.key"))
        .arg("-out")
        .arg(&cert)
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run openssl ({e}): install it (`apt-get install openssl`)")
        });
    assert!(
        out.status.success(),
        "openssl could not make a CA:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cert
}

/// `certs/<host>/ca.crt` holding `ca`, Docker's layout.
fn certs_dir_with(certs: &Path, host: &str, ca: &Path) {
    let dir = certs.join(host);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(ca, dir.join("ca.crt")).unwrap();
}

/// `run` failed because the registry's certificate is not trusted, and says which
/// registry, what was trusted (`trusted`, when a file was), and how to fix it.
fn assert_untrusted(run: &Run, certs: &Path, trusted: Option<&Path>) {
    let host = tls_registry();
    let text = run.all();
    assert_ne!(run.code, 0, "{text}");
    for part in [
        format!("the TLS certificate of registry {host} is not trusted"),
        "it is signed by a CA that is not trusted here".to_string(),
        "Trusted here: the system's CA certificates".to_string(),
        "set SEAMLESS_REGISTRY_CA=/path/to/ca.pem".to_string(),
        format!("{}/{host}/ca.crt", certs.display()),
    ] {
        assert!(text.contains(&part), "no '{part}' in:\n{text}");
    }
    if let Some(file) = trusted {
        let part = format!("and {}", file.display());
        assert!(text.contains(&part), "no '{part}' in:\n{text}");
    }
}

/// Nothing of a refused install is left: no lock, nothing in the plugin store.
fn assert_nothing_installed(s: &Scratch) {
    assert!(
        !s.path().join("seamless.lock").exists(),
        "a seamless.lock was written"
    );
    let store = s.data.path().join("plugins/sha256");
    let stored: Vec<_> = std::fs::read_dir(&store)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(stored.is_empty(), "{} holds {stored:?}", store.display());
}

#[test]
fn a_bundle_is_pushed_installed_and_pulled_over_https_with_the_registrys_ca() {
    let host = tls_registry();
    let ca = test_ca();
    let s = Scratch::empty();
    let no_certs = tempfile::tempdir().unwrap();
    let project = misbehave_project(s.path());
    let digest = digest_in(&pack_misbehave(&s, &project, "dist/m").stdout);
    let tag = unique_tag("misbehave");

    // SEAMLESS_REGISTRY_CA: pushed, then installed (pulled and pinned).
    let push = ["plugin", "push", &tag, "--bundle", "dist/m"];
    let pushed = ok(
        seamless_trusting(&s, &project, &push, no_certs.path(), Some(&ca)),
        "push over HTTPS",
    );
    assert_eq!(digest_in(&pushed.stdout), digest, "{}", pushed.all());
    misbehave_pipeline(&s, &tag, "");
    let install = ["plugin", "install", &tag, "--yes"];
    ok(
        seamless_trusting(&s, s.path(), &install, no_certs.path(), Some(&ca)),
        "install over HTTPS",
    );
    let lock = std::fs::read_to_string(s.path().join("seamless.lock")).unwrap();
    assert!(lock.contains(&digest) && lock.contains(&tag), "{lock}");
    let stored = s
        .data
        .path()
        .join("plugins/sha256")
        .join(digest.trim_start_matches("sha256:"));
    assert!(stored.is_dir(), "{} was not installed", stored.display());

    // Docker's convention, on another machine (an empty plugin store): the run checks
    // the tag and pulls the pinned digest from the registry, then runs it on Docker.
    let certs = tempfile::tempdir().unwrap();
    certs_dir_with(certs.path(), &host, &ca);
    let elsewhere = Scratch::empty();
    let repo = s.path().to_str().unwrap();
    let run = seamless_trusting(
        &elsewhere,
        s.path(),
        &["run", repo, "--host", "docker"],
        certs.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let pulled = elsewhere
        .data
        .path()
        .join("plugins/sha256")
        .join(digest.trim_start_matches("sha256:"));
    assert!(pulled.is_dir(), "{} was not pulled", pulled.display());
}

#[test]
fn an_https_registry_whose_certificate_is_not_trusted_is_refused_with_the_fix() {
    let host = tls_registry();
    let ca = test_ca();
    let s = Scratch::empty();
    let work = tempfile::tempdir().unwrap();
    let no_certs = tempfile::tempdir().unwrap();
    let project = misbehave_project(s.path());
    pack_misbehave(&s, &project, "dist/m");
    let tag = unique_tag("untrusted");
    let push = ["plugin", "push", &tag, "--bundle", "dist/m"];
    let install = ["plugin", "install", &tag, "--yes"];
    misbehave_pipeline(&s, &tag, "");

    // The positive control: with its CA the registry takes the push.
    ok(
        seamless_trusting(&s, &project, &push, no_certs.path(), Some(&ca)),
        "push with the registry's CA",
    );

    // No CA for it: push and install are refused, and nothing is installed.
    let refused = seamless_trusting(&s, &project, &push, no_certs.path(), None);
    assert_untrusted(&refused, no_certs.path(), None);
    let refused = seamless_trusting(&s, s.path(), &install, no_certs.path(), None);
    assert_untrusted(&refused, no_certs.path(), None);
    assert_nothing_installed(&s);

    // Another CA, from SEAMLESS_REGISTRY_CA or from certs.d: refused the same way, and
    // the error lists the file that was trusted instead.
    let wrong = other_ca(work.path());
    let refused = seamless_trusting(&s, &project, &push, no_certs.path(), Some(&wrong));
    assert_untrusted(&refused, no_certs.path(), Some(&wrong));
    let refused = seamless_trusting(&s, s.path(), &install, no_certs.path(), Some(&wrong));
    assert_untrusted(&refused, no_certs.path(), Some(&wrong));
    let wrong_certs = tempfile::tempdir().unwrap();
    certs_dir_with(wrong_certs.path(), &host, &wrong);
    let in_certs = wrong_certs.path().join(&host).join("ca.crt");
    let refused = seamless_trusting(&s, s.path(), &install, wrong_certs.path(), None);
    assert_untrusted(&refused, wrong_certs.path(), Some(&in_certs));
    assert_nothing_installed(&s);

    // A CA file that is not a certificate is an error naming it and the fix, before
    // any connection.
    let not_pem = work.path().join("not-a-ca.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let refused = seamless_trusting(&s, s.path(), &install, no_certs.path(), Some(&not_pem));
    assert_ne!(refused.code, 0, "{}", refused.all());
    for part in [
        format!(
            "cannot use the registry CA certificate {}",
            not_pem.display()
        ),
        "named by SEAMLESS_REGISTRY_CA".to_string(),
        "holds no PEM certificate".to_string(),
        "-----BEGIN CERTIFICATE-----".to_string(),
    ] {
        assert!(
            refused.stderr.contains(&part),
            "no '{part}' in:\n{}",
            refused.all()
        );
    }
    assert_nothing_installed(&s);
}

#[test]
fn doctor_fails_on_an_https_registry_it_does_not_trust_and_passes_with_its_ca() {
    let host = tls_registry();
    let ca = test_ca();
    let s = Scratch::empty();
    s.write(
        "seamless.toml",
        &format!(
            "version = 1\npipeline = \"p\"\n\n[registry]\nurl = \"{host}/e2e-tls\"\n\n\
             [[service]]\nname = \"svc\"\n"
        ),
    );
    s.write("Dockerfile", "FROM seamless/busybox\n");
    let no_certs = tempfile::tempdir().unwrap();
    let path = s.path().to_str().unwrap();
    let doctor = ["doctor", path, "--json"];
    let registry_check = |run: &Run| -> serde_json::Value {
        let all: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.all()));
        all.as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "registry")
            .unwrap_or_else(|| panic!("no registry check: {}", run.all()))
            .clone()
    };

    let refused = seamless_trusting(&s, s.path(), &doctor, no_certs.path(), None);
    let check = registry_check(&refused);
    assert_eq!(check["status"], "fail", "{}", refused.all());
    assert_eq!(refused.code, 1, "{}", refused.all());
    let detail = check["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!(
            "the TLS certificate of registry {host} is not trusted"
        )),
        "{detail}"
    );
    let fix = check["fix"].as_str().unwrap();
    assert!(
        fix.contains("SEAMLESS_REGISTRY_CA")
            && fix.contains(&format!("{}/{host}/ca.crt", no_certs.path().display())),
        "{fix}"
    );

    let trusted = seamless_trusting(&s, s.path(), &doctor, no_certs.path(), Some(&ca));
    let check = registry_check(&trusted);
    assert_eq!(check["status"], "ok", "{}", trusted.all());
}
