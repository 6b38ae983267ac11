//! Bundle errors against golden files (`tests/golden/<case>.err`), as the
//! configuration's errors are checked: each case builds one bad bundle, manifest,
//! layout or signature and must fail with exactly the message on file. Temporary
//! paths are written `<layout>`. `BLESS=1` rewrites the files (refused under `CI`).

#![allow(clippy::unwrap_used, missing_docs)]

use seamless_bundle::manifest::SUPPORTED_WIT;
use seamless_bundle::signature::{SecretKey, verify};
use seamless_bundle::{Bundle, BundleManifest, layout};
use std::path::{Path, PathBuf};

fn manifest() -> BundleManifest {
    let json = format!(
        r#"{{"name": "lint-yaml", "version": "1.0.0", "wit": "{SUPPORTED_WIT}",
            "stages": ["code-quality"], "description": "Lints YAML files",
            "license": "Apache-2.0", "capabilities": {{"containers": true}}}}"#
    );
    BundleManifest::from_json(json.as_bytes()).unwrap()
}

fn component() -> Vec<u8> {
    let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
    bytes.extend_from_slice(&[7; 64]);
    bytes
}

fn good() -> Bundle {
    Bundle::new(manifest(), component()).unwrap()
}

/// The path of the component's blob in a layout written from [`good`].
fn component_blob(dir: &Path) -> PathBuf {
    let digest = seamless_bundle::digest::of(&component());
    dir.join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// Writes [`good`] as a layout, lets `spoil` change it, and reads it back.
fn read_spoiled(spoil: impl FnOnce(&Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    layout::write_dir(&good(), "1.0.0", dir.path()).unwrap();
    spoil(dir.path());
    let err = layout::read(dir.path()).unwrap_err().to_string();
    err.replace(&dir.path().display().to_string(), "<layout>")
}

/// Every case: its name and the error it must give.
fn cases() -> Vec<(&'static str, String)> {
    let with = |change: fn(&mut BundleManifest)| {
        let mut m = manifest();
        change(&mut m);
        Bundle::new(m, component()).unwrap_err().to_string()
    };
    let key = SecretKey::from_seed([1; 32]);
    let stranger = SecretKey::from_seed([2; 32]);
    let digest = good().digest();
    vec![
        (
            "manifest-not-json",
            BundleManifest::from_json(b"{\"name\": 1}")
                .unwrap_err()
                .to_string(),
        ),
        (
            "manifest-unknown-field",
            BundleManifest::from_json(
                br#"{"name":"x","version":"1.0.0","wit":"seamless:plugin@0.2.0","stages":["build"],
                    "description":"d","license":"MIT","capabilities":{"root":true}}"#,
            )
            .unwrap_err()
            .to_string(),
        ),
        ("bad-name", with(|m| m.name = "Lint_YAML".into())),
        ("bad-version", with(|m| m.version = "one".into())),
        (
            "unsupported-wit",
            with(|m| m.wit = "seamless:plugin@9.0.0".into()),
        ),
        ("no-stages", with(|m| m.stages.clear())),
        (
            "not-wasm",
            Bundle::new(manifest(), b"MZ\x90\0 a Windows program".to_vec())
                .unwrap_err()
                .to_string(),
        ),
        (
            "corrupt-component",
            read_spoiled(|dir| std::fs::write(component_blob(dir), b"\0asm changed").unwrap()),
        ),
        (
            "missing-component",
            read_spoiled(|dir| std::fs::remove_file(component_blob(dir)).unwrap()),
        ),
        (
            "not-a-layout",
            read_spoiled(|dir| std::fs::remove_file(dir.join("index.json")).unwrap()),
        ),
        ("tar-traversal", tar_with_entry("../../etc/cron.d/evil")),
        (
            "unsigned",
            verify(&digest, &[], &[key.public()])
                .unwrap_err()
                .to_string(),
        ),
        (
            "untrusted-signature",
            verify(&digest, &[stranger.sign(&digest)], &[key.public()])
                .unwrap_err()
                .to_string(),
        ),
    ]
}

/// Reads a layout tar holding one entry at `path` (written raw, as an attacker would).
fn tar_with_entry(path: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evil.tar");
    let mut header = tar::Header::new_gnu();
    let body = b"* * * * * root id\n";
    {
        let name = &mut header.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
    }
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    let mut builder = tar::Builder::new(std::fs::File::create(&file).unwrap());
    builder.append(&header, &body[..]).unwrap();
    builder.finish().unwrap();
    drop(builder);
    let err = layout::read(&file).unwrap_err().to_string();
    err.replace(&dir.path().display().to_string(), "<layout>")
}

#[test]
fn every_bad_bundle_fails_with_the_message_on_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let failures: Vec<String> = cases()
        .into_iter()
        .filter_map(|(name, error)| {
            seamless_test_support::golden::compare(
                &dir.join(format!("{name}.err")),
                &format!("{error}\n"),
            )
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_good_bundle_reads_back_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    layout::write_dir(&good(), "1.0.0", dir.path()).unwrap();
    assert_eq!(layout::read(dir.path()).unwrap(), good());
    let key = SecretKey::from_seed([1; 32]);
    let digest = good().digest();
    assert_eq!(
        verify(&digest, &[key.sign(&digest)], &[key.public()]).unwrap(),
        key.public().id()
    );
}
