//! Bad plugin bundles (issue 5): each is refused by `seamless plugin install` with an
//! error that says what is wrong, and nothing is left in the plugin store or the lock.

use crate::support::{Scratch, misbehave_wasm, seamless_bin};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn blob(dir: &Path, digest: &str) -> PathBuf {
    dir.join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A good bundle of the misbehave fixture, as a layout directory at `dir`.
fn good_layout(s: &Scratch, dir: &Path) {
    let project = s.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("plugin.toml"),
        "name = \"misbehave\"\nversion = \"1.0.0\"\ndescription = \"misbehaves\"\n\
         license = \"MIT\"\nstages = [\"code-quality\"]\nlang = \"rust\"\n\
         [capabilities]\ncontainers = true\n",
    )
    .unwrap();
    let out = std::process::Command::new(seamless_bin())
        .args(["plugin", "pack", "--component"])
        .arg(misbehave_wasm())
        .arg("-o")
        .arg(dir)
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// The manifest's digest from index.json.
fn manifest_digest(dir: &Path) -> String {
    json(&dir.join("index.json"))["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Replaces the OCI manifest with `f(manifest)`, stored under its new digest and named
/// by index.json: a consistent layout around whatever `f` changed.
fn rewrite_manifest(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let old = manifest_digest(dir);
    let mut manifest = json(&blob(dir, &old));
    f(&mut manifest);
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let new = sha(&bytes);
    std::fs::write(blob(dir, &new), &bytes).unwrap();
    let mut index = json(&dir.join("index.json"));
    index["manifests"][0]["digest"] = new.clone().into();
    index["manifests"][0]["size"] = bytes.len().into();
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// Replaces the layer of `media_type` with `f(bytes)`, consistently.
fn rewrite_layer(dir: &Path, media_type: &str, f: impl FnOnce(Vec<u8>) -> Vec<u8>) {
    let manifest = json(&blob(dir, &manifest_digest(dir)));
    let layers = manifest["layers"].as_array().unwrap();
    let i = layers
        .iter()
        .position(|l| l["mediaType"] == media_type)
        .unwrap();
    let old = layers[i]["digest"].as_str().unwrap().to_string();
    let bytes = f(std::fs::read(blob(dir, &old)).unwrap());
    let new = sha(&bytes);
    std::fs::write(blob(dir, &new), &bytes).unwrap();
    rewrite_manifest(dir, |m| {
        m["layers"][i]["digest"] = new.into();
        m["layers"][i]["size"] = bytes.len().into();
    });
}

/// `seamless plugin install PATH --yes`: it fails, says `expected`, and leaves no trace.
fn refused(s: &Scratch, path: &Path, expected: &str) {
    let out = std::process::Command::new(seamless_bin())
        .args(["plugin", "install"])
        .arg(path)
        .args(["--yes", "--data-dir"])
        .arg(s.data.path())
        .current_dir(s.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{path:?} was accepted");
    assert!(
        stderr.contains(expected),
        "{path:?}: expected '{expected}' in:\n{stderr}"
    );
    assert!(!s.path().join("seamless.lock").exists(), "lock written");
    let stored = s.data.path().join("plugins/sha256");
    let left: Vec<_> = std::fs::read_dir(&stored)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left in the store: {left:?}");
}

const MANIFEST: &str = "application/vnd.seamless.plugin.manifest.v1+json";
const WASM: &str = "application/wasm";

#[test]
fn bad_bundles_are_refused_with_a_clear_error_and_leave_nothing_behind() {
    let s = Scratch::empty();
    let case = |name: &str| {
        let dir = s.path().join(name);
        good_layout(&s, &dir);
        dir
    };

    // Corrupt: a byte of the component changed.
    let dir = case("corrupt");
    let m = json(&blob(&dir, &manifest_digest(&dir)));
    let wasm = m["layers"][0]["digest"].as_str().unwrap().to_string();
    let mut bytes = std::fs::read(blob(&dir, &wasm)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(blob(&dir, &wasm), bytes).unwrap();
    refused(&s, &dir, "the bundle is corrupt or was changed");

    // Wrong digest: index.json names the manifest by a digest its bytes do not have.
    let dir = case("wrong-digest");
    let real = manifest_digest(&dir);
    let fake = format!("sha256:{}", "0".repeat(64));
    std::fs::copy(blob(&dir, &real), blob(&dir, &fake)).unwrap();
    let text = std::fs::read_to_string(dir.join("index.json")).unwrap();
    std::fs::write(dir.join("index.json"), text.replace(&real, &fake)).unwrap();
    refused(&s, &dir, &format!("not {fake}"));

    // Missing layer: the manifest layer's blob is gone.
    let dir = case("missing-layer");
    let m = json(&blob(&dir, &manifest_digest(&dir)));
    let layer = m["layers"][1]["digest"].as_str().unwrap().to_string();
    std::fs::remove_file(blob(&dir, &layer)).unwrap();
    refused(&s, &dir, "is missing from the bundle");

    // The plugin manifest layer under another media type.
    let dir = case("media-type");
    rewrite_manifest(&dir, |m| {
        m["layers"][1]["mediaType"] = "application/json".into()
    });
    refused(&s, &dir, "media type 'application/json'");

    // A WIT major version this runtime does not support.
    let dir = case("wit-major");
    rewrite_layer(&dir, MANIFEST, |bytes| {
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        v["wit"] = "seamless:plugin@1.0.0".into();
        serde_json::to_vec(&v).unwrap()
    });
    refused(
        &s,
        &dir,
        "targets seamless:plugin@1.0.0, but this runtime supports",
    );

    // An oversized component (over 64 MiB).
    let dir = case("oversized");
    rewrite_layer(&dir, WASM, |mut bytes| {
        bytes.resize(65 * 1024 * 1024, 0);
        bytes
    });
    refused(&s, &dir, "over the limit of");

    // A tar whose entry climbs out of the bundle.
    let dir = case("traversal");
    let tar_path = s.path().join("traversal.tar");
    let mut tar = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
    for name in ["oci-layout", "index.json"] {
        tar.append_path_with_name(dir.join(name), name).unwrap();
    }
    let data = b"owned";
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    // `set_path` refuses `..`; write the name bytes directly, as an attacker would.
    header.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"../escaped.sh");
    header.set_cksum();
    tar.append(&header, &data[..]).unwrap();
    tar.finish().unwrap();
    drop(tar);
    refused(&s, &tar_path, "points outside the bundle");
    assert!(!s.path().join("escaped.sh").exists());
}

#[test]
fn validate_reports_a_bundle_that_seamless_lock_does_not_pin() {
    let s = Scratch::empty();
    s.write("Dockerfile", "FROM seamless/busybox\n");
    s.write(
        "seamless.toml",
        "version = 1\npipeline = \"p\"\n[[service]]\nname = \"svc\"\n[[stage]]\n\
         name = \"lint\"\nuses = \"ghcr.io/acme/lint:1.0\"\n",
    );
    let out = s.seamless(&["validate", s.path().to_str().unwrap()], &[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr
            .contains("seamless.toml:6:1: stage 'lint' uses the plugin 'ghcr.io/acme/lint:1.0'")
            && out
                .stderr
                .contains("seamless plugin install ghcr.io/acme/lint:1.0"),
        "{}",
        out.all()
    );
}
