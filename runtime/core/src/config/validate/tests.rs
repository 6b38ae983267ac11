//! Unit tests of the semantic checks.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use crate::config::{ConfigErrors, PluginRef, SecretSource, parse};

/// A temporary repository with a Dockerfile at its root.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    dir
}

fn parse_in(root: &Path, body: &str) -> Result<crate::config::Config, ConfigErrors> {
    let text = format!("version = 1\npipeline = \"p\"\n[[service]]\nname = \"app\"\n{body}");
    parse("seamless.toml", &text, root)
}

#[test]
fn service_defaults_apply() {
    let dir = repo();
    let config = parse_in(dir.path(), "").unwrap();
    let service = &config.services[0];
    assert_eq!(service.path, ".");
    assert_eq!(service.dockerfile, "Dockerfile");
    assert_eq!(service.image, "seamless/busybox");
    assert!(service.commands.is_empty());
    assert_eq!(config.root, dir.path());
    assert_eq!(config.file, dir.path().join("seamless.toml"));
}

#[test]
fn stage_origin_records_lines_of_name_grants_and_limits() {
    let dir = repo();
    let body = "\
[[stage]]
name = \"test\"
uses = \"builtin:command\"
[stage.grants]
containers = true
[stage.limits]
memory-mib = 128
timeout = \"5m\"
";
    let config = parse_in(dir.path(), body).unwrap();
    let origin = &config.stages[0].origin;
    assert_eq!(origin.file, "seamless.toml");
    assert_eq!(origin.line, 6);
    assert_eq!(origin.grants_line, Some(8));
    assert_eq!(origin.limits_line, Some(10));
    assert_eq!(origin.memory_line, Some(11));
    assert_eq!(origin.timeout_line, Some(12));
    assert_eq!(config.stages[0].limits.memory_bytes, 128 * 1024 * 1024);
    assert_eq!(config.stages[0].limits.timeout, Duration::from_secs(300));
}

#[test]
fn stage_origin_of_inline_grants_is_their_line() {
    let dir = repo();
    let body = "[[stage]]\nname = \"b\"\nuses = \"builtin:build\"\n\ngrants = { images = true }\n";
    let config = parse_in(dir.path(), body).unwrap();
    let origin = &config.stages[0].origin;
    assert_eq!(origin.grants_line, Some(9));
    assert_eq!(origin.limits_line, None);
    assert_eq!(origin.memory_line, None);
}

#[test]
fn wasm_plugin_path_resolves_against_the_config_directory() {
    let dir = repo();
    std::fs::create_dir(dir.path().join("plugins")).unwrap();
    std::fs::write(dir.path().join("plugins/lint.wasm"), b"\0asm").unwrap();
    let body = "[[stage]]\nname = \"lint\"\nuses = \"plugins/lint.wasm\"\n";
    let config = parse_in(dir.path(), body).unwrap();
    assert_eq!(
        config.stages[0].uses,
        PluginRef::File(dir.path().join("plugins/lint.wasm"))
    );
}

#[test]
fn secret_sources_resolve_and_grants_keep_them() {
    let dir = repo();
    let text = "\
version = 1
pipeline = \"p\"
[secrets.TOKEN]
from-env = \"MY_TOKEN\"
[secrets.KEY]
from-file = \"keys/deploy\"
[[service]]
name = \"app\"
[[stage]]
name = \"deploy\"
uses = \"builtin:command\"
grants = { secrets = [\"TOKEN\", \"KEY\"] }
";
    let config = parse("seamless.toml", text, dir.path()).unwrap();
    assert_eq!(
        config.secrets["TOKEN"],
        SecretSource::Env("MY_TOKEN".into())
    );
    assert_eq!(
        config.secrets["KEY"],
        SecretSource::File(dir.path().join("keys/deploy"))
    );
    let granted: Vec<&str> = config.stages[0]
        .grants
        .secrets
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(granted, ["KEY", "TOKEN"]);
}

#[test]
fn with_values_are_rendered_as_strings() {
    let dir = repo();
    let body = "[[stage]]\nname = \"s\"\nuses = \"builtin:command\"\n[stage.with]\ncommand = \"lint\"\nretries = 3\nverbose = false\n";
    let config = parse_in(dir.path(), body).unwrap();
    let with = &config.stages[0].with;
    assert_eq!(with["command"], "lint");
    assert_eq!(with["retries"], "3");
    assert_eq!(with["verbose"], "false");
}

#[test]
fn every_semantic_error_is_reported_at_once_in_source_order() {
    let dir = repo();
    let body = "\
[[stage]]
name = \"a\"
uses = \"builtin:nope\"
needs = [\"missing\"]
[stage.limits]
timeout = \"soon\"
[[stage]]
name = \"a\"
uses = \"builtin:command\"
";
    let errors = parse_in(dir.path(), body).unwrap_err();
    let lines: Vec<usize> = errors.0.iter().map(|e| e.line).collect();
    assert_eq!(lines, [7, 8, 10, 12], "{errors}");
}

#[test]
fn missing_dockerfile_of_default_path_points_at_the_service_name() {
    let dir = tempfile::tempdir().unwrap();
    let errors = parse_in(dir.path(), "").unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!((errors.0[0].line, errors.0[0].column), (4, 8));
    assert!(errors.0[0].message.contains("no Dockerfile"), "{errors}");
}

#[test]
fn pull_request_auto_merge_is_off_by_default_and_read_with_its_method() {
    use crate::config::MergeMethod;
    let dir = repo();
    let default = parse_in(dir.path(), "").unwrap().triggers;
    assert!(!default.pull_request_auto_merge);
    assert_eq!(default.pull_request_merge_method, MergeMethod::Merge);

    let on = parse_in(dir.path(), "[triggers.pull-request]\nauto-merge = true\n").unwrap();
    assert!(on.triggers.pull_request_auto_merge);
    assert_eq!(on.triggers.pull_request_merge_method, MergeMethod::Merge);
    assert_eq!(
        on.triggers.pull_request_until.as_deref(),
        Some("integration-test"),
        "a [triggers.pull-request] table without `until` keeps the default"
    );

    let squash = "[triggers.pull-request]\nauto-merge = true\nmerge-method = \"squash\"\n";
    let squash = parse_in(dir.path(), squash).unwrap().triggers;
    assert_eq!(squash.pull_request_merge_method, MergeMethod::Squash);
}

#[test]
fn bundle_uses_are_oci_references_or_layout_paths() {
    let dir = repo();
    std::fs::write(dir.path().join("lint.tar"), b"").unwrap();
    let stage = |uses: &str| format!("[[stage]]\nname = \"s\"\nuses = \"{uses}\"\n");
    let digest = format!("sha256:{}", "a".repeat(64));
    for ok in [
        "ghcr.io/acme/lint:1.0".to_string(),
        "127.0.0.1:5001/plugins/lint-yaml:0.1".to_string(),
        format!("ghcr.io/acme/lint@{digest}"),
        "localhost/lint:v1".to_string(),
        "./lint.tar".to_string(),
        "lint.tar".to_string(),
    ] {
        let config = parse_in(dir.path(), &stage(&ok)).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(config.stages[0].uses, PluginRef::Bundle(ok.clone()));
        assert_eq!(config.stages[0].uses.to_string(), ok);
    }
    for (bad, why) in [
        ("acme/lint:1.0", "is not a registry host"),
        ("lint", "names no registry"),
        ("ghcr.io/acme/lint", "neither a :tag nor an @sha256: digest"),
        ("ghcr.io/Acme/lint:1", "must be lower-case"),
        ("ghcr.io/acme/lint@sha256:abc", "is not a sha256 digest"),
        ("./missing.tar", "does not exist"),
    ] {
        let err = parse_in(dir.path(), &stage(bad)).unwrap_err().to_string();
        assert!(err.contains(why), "{bad}: {err}");
        assert!(err.contains("seamless.toml:7:8:"), "{bad}: {err}");
    }
}

#[test]
fn plugin_trust_needs_well_formed_keys_and_at_least_one_to_require_signatures() {
    let dir = repo();
    let key = format!("seamless-ed25519 {}", "ab".repeat(32));
    let config = parse_in(
        dir.path(),
        &format!("[plugins]\nrequire-signatures = true\ntrusted-keys = [\"{key}\"]\n"),
    )
    .unwrap();
    assert!(config.plugins.require_signatures);
    assert_eq!(config.plugins.trusted_keys, vec![key]);
    assert!(!parse_in(dir.path(), "").unwrap().plugins.require_signatures);

    let err = parse_in(dir.path(), "[plugins]\nrequire-signatures = true\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs at least one key"), "{err}");
    let err = parse_in(
        dir.path(),
        "[plugins]\ntrusted-keys = [\"ssh-ed25519 AAAA\"]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("invalid trusted key") && err.contains(":6:"),
        "{err}"
    );
}

#[test]
fn a_pipeline_that_builds_nothing_needs_no_dockerfile() {
    let dir = tempfile::tempdir().unwrap();
    let body = "\
[service.commands]
check = \"true\"

[[stage]]
name = \"check\"
uses = \"builtin:command\"
[stage.grants]
containers = true
[stage.with]
command = \"check\"
";
    let config = parse_in(dir.path(), body).unwrap();
    assert_eq!(config.services[0].dockerfile, "Dockerfile");
}

#[test]
fn missing_dockerfile_names_the_stage_that_builds_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let body = "\
[[stage]]
name = \"image\"
uses = \"builtin:build\"
[stage.grants]
images = true
";
    let errors = parse_in(dir.path(), body).unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert!(
        errors.0[0].message.contains("stage 'image' builds it"),
        "{errors}"
    );
}
