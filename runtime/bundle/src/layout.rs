//! Bundles as OCI image layouts on disk: a directory, or a tar of one.
//!
//! Writing puts `oci-layout`, `index.json` (one manifest, tagged) and the blobs under
//! `blobs/sha256/`. Reading takes a directory or a `.tar`; tar entries are checked
//! before anything is read (no absolute paths, `..` or links; bounded sizes), and every
//! blob is checked against its digest.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path};

use crate::oci::{Descriptor, ImageIndex, ImageManifest, REF_NAME};
use crate::{Bundle, BundleError, BundleManifest, MAX_COMPONENT, MAX_MANIFEST, digest, media, oci};

/// The most bytes a layout tar may unpack to.
const MAX_TAR: u64 = MAX_COMPONENT + 4 * 1024 * 1024;

/// The blobs of a layout, by path inside it.
type Files = BTreeMap<String, Vec<u8>>;

fn files_of(bundle: &Bundle, tag: &str) -> Files {
    let blob = |bytes: &[u8]| {
        let d = digest::of(bytes);
        (
            format!("blobs/sha256/{}", d.trim_start_matches("sha256:")),
            bytes.to_vec(),
        )
    };
    let mut index_entry = Descriptor::of(media::OCI_MANIFEST, &bundle.oci_manifest);
    index_entry
        .annotations
        .insert(REF_NAME.into(), tag.to_string());
    let index = ImageIndex {
        schema_version: 2,
        media_type: Some(media::OCI_INDEX.into()),
        manifests: vec![index_entry],
    };
    let mut files: Files = [
        blob(&bundle.oci_manifest),
        blob(oci::EMPTY_JSON),
        blob(&bundle.component),
        blob(&bundle.manifest_json),
    ]
    .into_iter()
    .collect();
    files.insert(
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    );
    files.insert(
        "index.json".into(),
        serde_json::to_vec(&index).unwrap_or_default(),
    );
    files
}

/// Writes `bundle` as a layout directory at `dir` (created), tagged `tag`.
pub fn write_dir(bundle: &Bundle, tag: &str, dir: &Path) -> Result<(), BundleError> {
    for (path, bytes) in files_of(bundle, tag) {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| BundleError::io(parent, e))?;
        }
        std::fs::write(&target, bytes).map_err(|e| BundleError::io(&target, e))?;
    }
    Ok(())
}

/// Writes `bundle` as a layout tar at `file`, tagged `tag`.
pub fn write_tar(bundle: &Bundle, tag: &str, file: &Path) -> Result<(), BundleError> {
    let out = std::fs::File::create(file).map_err(|e| BundleError::io(file, e))?;
    let mut tar = tar::Builder::new(out);
    for (path, bytes) in files_of(bundle, tag) {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        tar.append_data(&mut header, &path, bytes.as_slice())
            .map_err(|e| BundleError::io(file, e))?;
    }
    tar.finish().map_err(|e| BundleError::io(file, e))
}

/// Reads a layout directory, or a tar of one, and checks the bundle in it.
pub fn read(path: &Path) -> Result<Bundle, BundleError> {
    let files = if path.is_dir() {
        read_dir_files(path)?
    } else {
        read_tar_files(path)?
    };
    bundle_of(&files)
}

fn read_dir_files(dir: &Path) -> Result<Files, BundleError> {
    let mut files = Files::new();
    for name in ["oci-layout", "index.json"] {
        let p = dir.join(name);
        let bytes =
            std::fs::read(&p).map_err(|e| BundleError::Layout(format!("{}: {e}", p.display())))?;
        files.insert(name.into(), bytes);
    }
    let blobs = dir.join("blobs/sha256");
    let entries = std::fs::read_dir(&blobs)
        .map_err(|e| BundleError::Layout(format!("{}: {e}", blobs.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| BundleError::io(&blobs, e))?;
        let meta = entry
            .metadata()
            .map_err(|e| BundleError::io(&entry.path(), e))?;
        if !meta.is_file() {
            continue;
        }
        if meta.len() > MAX_TAR {
            return Err(BundleError::TooLarge {
                what: entry.path().display().to_string(),
                size: meta.len(),
                limit: MAX_TAR,
            });
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).map_err(|e| BundleError::io(&entry.path(), e))?;
        files.insert(format!("blobs/sha256/{name}"), bytes);
    }
    Ok(files)
}

/// The path of a tar entry inside the layout, if it is a plain relative one.
fn safe_path(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn read_tar_files(file: &Path) -> Result<Files, BundleError> {
    let f = std::fs::File::open(file).map_err(|e| BundleError::io(file, e))?;
    let mut archive = tar::Archive::new(f);
    let mut files = Files::new();
    let mut total = 0u64;
    let entries = archive
        .entries()
        .map_err(|e| BundleError::Layout(format!("{} is not a tar: {e}", file.display())))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| BundleError::Layout(format!("{}: {e}", file.display())))?;
        let raw = entry
            .path()
            .map_err(|e| BundleError::Layout(format!("{}: {e}", file.display())))?
            .into_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            if safe_path(&raw).is_none() && raw.as_os_str() != "." && raw.as_os_str() != "./" {
                return Err(BundleError::PathTraversal(raw.display().to_string()));
            }
            continue;
        }
        let Some(path) = safe_path(&raw).filter(|_| kind.is_file()) else {
            return Err(BundleError::PathTraversal(raw.display().to_string()));
        };
        let size = entry.header().size().unwrap_or(u64::MAX);
        total = total.saturating_add(size);
        if total > MAX_TAR {
            return Err(BundleError::TooLarge {
                what: format!("the tar {}", file.display()),
                size: total,
                limit: MAX_TAR,
            });
        }
        let mut bytes = Vec::new();
        entry
            .by_ref()
            .take(MAX_TAR)
            .read_to_end(&mut bytes)
            .map_err(|e| BundleError::io(file, e))?;
        files.insert(path, bytes);
    }
    Ok(files)
}

fn blob<'a>(
    files: &'a Files,
    what: &str,
    d: &Descriptor,
    limit: u64,
) -> Result<&'a [u8], BundleError> {
    if d.size > limit {
        return Err(BundleError::TooLarge {
            what: what.to_string(),
            size: d.size,
            limit,
        });
    }
    let hex = digest::hex_of(&d.digest)?;
    let bytes = files
        .get(&format!("blobs/sha256/{hex}"))
        .ok_or_else(|| BundleError::Missing(format!("{what} ({})", d.digest)))?;
    digest::verify(what, bytes, &d.digest)?;
    Ok(bytes)
}

fn expect_type(what: &str, found: &str, expected: &str) -> Result<(), BundleError> {
    if found != expected {
        return Err(BundleError::MediaType {
            what: what.to_string(),
            found: found.to_string(),
            expected: expected.to_string(),
        });
    }
    Ok(())
}

/// Checks the OCI manifest `bytes` of a bundle and takes its layers from `fetch`.
pub fn bundle_from_manifest(
    oci_manifest: &[u8],
    mut fetch: impl FnMut(&str, &Descriptor, u64) -> Result<Vec<u8>, BundleError>,
) -> Result<Bundle, BundleError> {
    let doc: ImageManifest = serde_json::from_slice(oci_manifest)
        .map_err(|e| BundleError::Layout(format!("the OCI manifest is not valid JSON: {e}")))?;
    if let Some(t) = &doc.artifact_type {
        expect_type("the OCI manifest's artifact type", t, media::ARTIFACT)?;
    }
    let layer = |media_type: &str| doc.layers.iter().find(|l| l.media_type == media_type);
    let wasm = layer(media::COMPONENT).ok_or_else(|| {
        BundleError::Missing(format!("the component layer ({})", media::COMPONENT))
    })?;
    let manifest_layer = layer(media::MANIFEST).ok_or_else(|| {
        match doc.layers.iter().find(|l| l.media_type != media::COMPONENT) {
            Some(other) => BundleError::MediaType {
                what: "the manifest layer".into(),
                found: other.media_type.clone(),
                expected: media::MANIFEST.into(),
            },
            None => BundleError::Missing(format!("the manifest layer ({})", media::MANIFEST)),
        }
    })?;
    if doc.layers.len() != 2 {
        return Err(BundleError::Layout(format!(
            "a bundle has 2 layers (component and manifest), this one {}",
            doc.layers.len()
        )));
    }
    let manifest_json = fetch("the manifest layer", manifest_layer, MAX_MANIFEST)?;
    let manifest = BundleManifest::from_json(&manifest_json)?;
    let component = fetch("the component layer", wasm, MAX_COMPONENT)?;
    if !component.starts_with(b"\0asm") {
        return Err(BundleError::NotWasm);
    }
    Ok(Bundle {
        manifest,
        manifest_json,
        component,
        oci_manifest: oci_manifest.to_vec(),
    })
}

fn bundle_of(files: &Files) -> Result<Bundle, BundleError> {
    let layout = files
        .get("oci-layout")
        .ok_or_else(|| BundleError::Layout("no oci-layout file".into()))?;
    let version: serde_json::Value = serde_json::from_slice(layout)
        .map_err(|e| BundleError::Layout(format!("oci-layout is not JSON: {e}")))?;
    if version["imageLayoutVersion"] != "1.0.0" {
        return Err(BundleError::Layout(format!(
            "unsupported oci-layout {version}"
        )));
    }
    let index: ImageIndex = serde_json::from_slice(
        files
            .get("index.json")
            .ok_or_else(|| BundleError::Layout("no index.json".into()))?,
    )
    .map_err(|e| BundleError::Layout(format!("index.json is not an OCI index: {e}")))?;
    let [entry] = index.manifests.as_slice() else {
        return Err(BundleError::Layout(format!(
            "index.json lists {} manifests; a bundle layout holds one",
            index.manifests.len()
        )));
    };
    expect_type("the index entry", &entry.media_type, media::OCI_MANIFEST)?;
    let manifest = blob(files, "the OCI manifest", entry, MAX_MANIFEST)?;
    bundle_from_manifest(manifest, |what, d, limit| {
        blob(files, what, d, limit).map(<[u8]>::to_vec)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::manifest::tests::sample;

    fn component() -> Vec<u8> {
        let mut c = b"\0asm\x0d\0\x01\0".to_vec();
        c.extend_from_slice(&[7; 100]);
        c
    }

    fn bundle() -> Bundle {
        Bundle::new(sample(), component()).unwrap()
    }

    #[test]
    fn a_bundle_round_trips_through_a_directory_and_a_tar() {
        let b = bundle();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("layout");
        write_dir(&b, "1.2.0", &dir).unwrap();
        assert_eq!(read(&dir).unwrap(), b);
        let tar = tmp.path().join("bundle.tar");
        write_tar(&b, "1.2.0", &tar).unwrap();
        assert_eq!(read(&tar).unwrap(), b);
        assert_eq!(
            Bundle::new(sample(), component()).unwrap().digest(),
            b.digest(),
            "deterministic"
        );
        assert!(b.annotations()["org.opencontainers.image.description"].contains("YAML"));
    }

    #[test]
    fn a_changed_blob_a_missing_layer_and_a_wrong_media_type_are_refused() {
        let b = bundle();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("layout");
        write_dir(&b, "v", &dir).unwrap();
        let wasm = dir
            .join("blobs/sha256")
            .join(digest::of(&b.component).trim_start_matches("sha256:"));

        std::fs::write(&wasm, b"\0asm tampered").unwrap();
        assert!(matches!(
            read(&dir).unwrap_err(),
            BundleError::DigestMismatch { .. }
        ));
        std::fs::remove_file(&wasm).unwrap();
        let err = read(&dir).unwrap_err();
        assert!(matches!(err, BundleError::Missing(_)), "{err}");
        assert!(err.to_string().contains("component"), "{err}");

        // The manifest layer under another media type.
        let mut doc: ImageManifest = serde_json::from_slice(&b.oci_manifest).unwrap();
        doc.layers[1].media_type = "application/json".into();
        let changed = serde_json::to_vec(&doc).unwrap();
        let err = bundle_from_manifest(&changed, |_, _, _| Ok(Vec::new())).unwrap_err();
        assert!(matches!(err, BundleError::MediaType { .. }), "{err}");
    }

    #[test]
    fn tar_entries_outside_the_layout_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let tar_path = tmp.path().join("evil.tar");
        let mut tar = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
        let mut header = tar::Header::new_gnu();
        let data = b"x";
        header.set_size(1);
        header.set_mode(0o644);
        header.set_cksum();
        // `append_data` refuses `..`, so the name is written into the header directly.
        let name = b"../../escaped";
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_cksum();
        tar.append(&header, &data[..]).unwrap();
        tar.finish().unwrap();
        drop(tar);
        let err = read(&tar_path).unwrap_err();
        assert!(matches!(err, BundleError::PathTraversal(_)), "{err}");
        assert!(!tmp.path().parent().unwrap().join("escaped").exists());
    }

    #[test]
    fn oversized_components_and_non_wasm_are_refused() {
        let big = vec![0u8; (MAX_COMPONENT + 1) as usize];
        assert!(matches!(
            Bundle::new(sample(), big).unwrap_err(),
            BundleError::TooLarge { .. }
        ));
        assert!(matches!(
            Bundle::new(sample(), b"MZ....".to_vec()).unwrap_err(),
            BundleError::NotWasm
        ));
    }
}
