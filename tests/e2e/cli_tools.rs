//! The command line's own tools: shell completions and `seamless doctor`.

use crate::support::Scratch;
use serde_json::Value;

#[test]
fn completions_are_written_for_bash_zsh_and_fish_and_name_the_subcommands() {
    let s = Scratch::empty();
    for shell in ["bash", "zsh", "fish"] {
        let out = s.seamless(&["completions", shell], &[]);
        assert_eq!(out.code, 0, "{shell}: {}", out.all());
        for subcommand in ["run", "validate", "show", "doctor", "plugin", "completions"] {
            assert!(
                out.stdout.contains(subcommand),
                "the {shell} script lacks `{subcommand}`"
            );
        }
    }
    let out = s.seamless(&["completions", "tcsh"], &[]);
    assert_eq!(
        out.code,
        2,
        "an unknown shell is a usage error: {}",
        out.all()
    );
}

/// The checks of `seamless doctor --output json`, by name.
fn checks(out: &str) -> Vec<(String, String, Value)> {
    let all: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"));
    all.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                c["fix"].clone(),
            )
        })
        .collect()
}

#[test]
fn doctor_checks_docker_registry_data_cache_wasm_and_disk() {
    let s = Scratch::empty();
    s.write(
        "seamless.toml",
        "version = 1\npipeline = \"p\"\n\n[registry]\nurl = \"127.0.0.1:1\"\n\n[[service]]\nname = \"svc\"\n",
    );
    s.write("Dockerfile", "FROM seamless/busybox\n");
    let out = s.seamless(&["doctor", s.path().to_str().unwrap(), "--json"], &[]);
    let found = checks(&out.stdout);
    let names: Vec<&str> = found.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["docker", "registry", "data-dir", "cache", "disk", "wasm"]
    );
    for (name, status, fix) in &found {
        assert!(["ok", "warn", "fail"].contains(&status.as_str()), "{name}");
        // Every problem names its fix.
        assert_eq!(status == "ok", fix.is_null(), "{name}: {status} {fix}");
    }
    // The engine of the test machine answers; the data directory is a fresh one.
    let status_of = |name: &str| &found.iter().find(|(n, _, _)| n == name).unwrap().1;
    assert_eq!(status_of("docker"), "ok", "{}", out.all());
    assert_eq!(status_of("data-dir"), "ok", "{}", out.all());
    // Nothing listens on port 1: the registry the config names does not answer.
    assert_eq!(status_of("registry"), "warn", "{}", out.all());
    let failed = found.iter().any(|(_, status, _)| status == "fail");
    assert_eq!(out.code, i32::from(failed), "{}", out.all());
}

#[test]
fn doctor_fails_with_the_fix_when_the_data_directory_is_a_file() {
    let s = Scratch::empty();
    let file = s.path().join("not-a-directory");
    std::fs::write(&file, "x").unwrap();
    let out = std::process::Command::new(crate::support::seamless_bin())
        .args(["doctor", "--data-dir"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("FAIL  data-dir"))
        .unwrap_or_else(|| panic!("no failed data-dir check:\n{stdout}"));
    assert!(line.contains("not-a-directory"), "{line}");
    assert!(
        stdout.contains("fix: give a writable directory with --data-dir"),
        "{stdout}"
    );
}
