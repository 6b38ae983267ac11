//! The local plugin store: installed bundles by digest, each an OCI image layout under
//! `<root>/sha256/<hex>`. A bundle is written to a temporary directory beside its place
//! and renamed into it, so a failed or interrupted install leaves nothing behind, and a
//! bundle read back is checked against its digest again.

use std::path::{Path, PathBuf};

use crate::signature::BundleSignature;
use crate::{Bundle, BundleError, digest, layout};

/// A plugin store rooted at a directory.
#[derive(Debug, Clone)]
pub struct PluginStore {
    root: PathBuf,
}

impl PluginStore {
    /// The store at `root` (created on the first install).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn place(&self, digest: &str) -> Result<PathBuf, BundleError> {
        Ok(self.root.join("sha256").join(digest::hex_of(digest)?))
    }

    /// Stores `bundle`; returns its digest. Storing it again changes nothing.
    pub fn install(&self, bundle: &Bundle) -> Result<String, BundleError> {
        let digest = bundle.digest();
        let place = self.place(&digest)?;
        if place.is_dir() {
            return Ok(digest);
        }
        let parent = place.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| BundleError::io(&parent, e))?;
        let tmp = parent.join(format!(
            ".partial-{}-{}",
            std::process::id(),
            digest::hex_of(&digest)?
        ));
        let _ = std::fs::remove_dir_all(&tmp);
        let written = layout::write_dir(bundle, &bundle.manifest.version, &tmp)
            .and_then(|()| std::fs::rename(&tmp, &place).map_err(|e| BundleError::io(&place, e)));
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&tmp);
            // Another process may have installed it meanwhile.
            if place.is_dir() {
                return Ok(digest);
            }
            return Err(e);
        }
        Ok(digest)
    }

    /// The bundle stored under `digest`, checked.
    pub fn get(&self, digest: &str) -> Result<Option<Bundle>, BundleError> {
        let place = self.place(digest)?;
        if !place.is_dir() {
            return Ok(None);
        }
        let bundle = layout::read(&place)?;
        if bundle.digest() != digest {
            return Err(BundleError::DigestMismatch {
                what: format!("the stored bundle {}", place.display()),
                expected: digest.to_string(),
                actual: bundle.digest(),
            });
        }
        Ok(Some(bundle))
    }

    /// Every stored bundle's digest.
    pub fn digests(&self) -> Result<Vec<String>, BundleError> {
        let dir = self.root.join("sha256");
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(BundleError::io(&dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| BundleError::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let d = format!("sha256:{name}");
            if digest::hex_of(&d).is_ok() {
                out.push(d);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes the bundle stored under `digest`; returns whether it was there.
    pub fn remove(&self, digest: &str) -> Result<bool, BundleError> {
        let place = self.place(digest)?;
        if !place.is_dir() {
            return Ok(false);
        }
        std::fs::remove_dir_all(&place).map_err(|e| BundleError::io(&place, e))?;
        Ok(true)
    }

    fn signatures_file(&self, digest: &str) -> Result<PathBuf, BundleError> {
        Ok(self
            .root
            .join("signatures")
            .join(format!("sha256-{}.json", digest::hex_of(digest)?)))
    }

    /// The signatures kept for the bundle `digest` (whether or not it is installed).
    pub fn signatures(&self, digest: &str) -> Result<Vec<BundleSignature>, BundleError> {
        let file = self.signatures_file(digest)?;
        match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| BundleError::Io {
                path: file.display().to_string(),
                reason: format!("not a list of signatures: {e}"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(BundleError::io(&file, e)),
        }
    }

    /// Keeps `new` signatures of `digest` beside those already kept (atomically); returns
    /// them all.
    pub fn add_signatures(
        &self,
        digest: &str,
        new: &[BundleSignature],
    ) -> Result<Vec<BundleSignature>, BundleError> {
        let mut all = self.signatures(digest)?;
        for s in new.iter().filter(|s| s.digest == digest) {
            if !all.contains(s) {
                all.push(s.clone());
            }
        }
        let file = self.signatures_file(digest)?;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| BundleError::io(dir, e))?;
        }
        let body = serde_json::to_vec_pretty(&all).map_err(|e| BundleError::io(&file, e))?;
        let tmp = file.with_extension(format!("tmp-{}", std::process::id()));
        std::fs::write(&tmp, body).map_err(|e| BundleError::io(&tmp, e))?;
        std::fs::rename(&tmp, &file).map_err(|e| BundleError::io(&file, e))?;
        Ok(all)
    }

    /// Where the store lives.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::manifest::tests::sample;

    #[test]
    fn bundles_are_stored_by_digest_read_back_checked_and_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let store = PluginStore::new(tmp.path().join("plugins"));
        assert!(store.digests().unwrap().is_empty());
        let bundle = Bundle::new(sample(), b"\0asm\x0d\0\x01\0rest".to_vec()).unwrap();
        let digest = store.install(&bundle).unwrap();
        assert_eq!(digest, bundle.digest());
        assert_eq!(store.install(&bundle).unwrap(), digest, "idempotent");
        assert_eq!(store.get(&digest).unwrap().unwrap(), bundle);
        assert_eq!(store.digests().unwrap(), std::slice::from_ref(&digest));
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("plugins/sha256"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");

        // A stored blob changed on disk is caught.
        let wasm = tmp
            .path()
            .join("plugins/sha256")
            .join(digest::hex_of(&digest).unwrap())
            .join("blobs/sha256")
            .join(digest::of(&bundle.component).trim_start_matches("sha256:"));
        std::fs::write(&wasm, b"\0asm changed").unwrap();
        assert!(matches!(
            store.get(&digest),
            Err(BundleError::DigestMismatch { .. })
        ));

        let key = crate::signature::SecretKey::from_seed([7; 32]);
        assert!(store.signatures(&digest).unwrap().is_empty());
        let sig = key.sign(&digest);
        store
            .add_signatures(&digest, std::slice::from_ref(&sig))
            .unwrap();
        let all = store
            .add_signatures(&digest, &[sig.clone(), key.sign("sha256:other")])
            .unwrap();
        assert_eq!(all, vec![sig], "deduplicated, other digests ignored");

        assert!(store.remove(&digest).unwrap());
        assert!(!store.remove(&digest).unwrap());
        assert!(store.get(&digest).unwrap().is_none());
        assert!(store.get("sha256:../../etc").is_err());
    }
}
