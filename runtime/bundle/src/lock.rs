//! `seamless.lock`: the digest each plugin reference is pinned to, with what it was
//! when it was accepted (name, version, capabilities). A run uses only the locked digest.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::BundleError;

/// The lock file's name, beside `seamless.toml`.
pub const LOCK_FILE: &str = "seamless.lock";

/// A pinned plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LockedPlugin {
    /// The reference as `uses` writes it (`registry/repo:tag`, `...@sha256:...`, or a
    /// bundle path).
    pub reference: String,
    /// The digest of the bundle accepted for it.
    pub digest: String,
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The capabilities it requested when accepted.
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// The whole lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The format's version (1).
    pub version: u32,
    /// The pinned plugins, by reference.
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<LockedPlugin>,
}

const HEADER: &str = "# Written by `seamless plugin install` and `seamless plugin update`; commit it.\n\
                      # A run uses each plugin only at the digest pinned here.\n";

impl Lock {
    /// Reads the lock at `path`; an absent file is an empty lock.
    pub fn load(path: &Path) -> Result<Self, BundleError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    version: 1,
                    plugins: Vec::new(),
                });
            }
            Err(e) => return Err(BundleError::io(path, e)),
        };
        let lock: Self = toml::from_str(&text).map_err(|e| BundleError::Io {
            path: path.display().to_string(),
            reason: format!("not a valid lock file: {e}"),
        })?;
        if lock.version != 1 {
            return Err(BundleError::Io {
                path: path.display().to_string(),
                reason: format!("lock file version {} is not supported (1 is)", lock.version),
            });
        }
        Ok(lock)
    }

    /// Writes the lock to `path` (atomically: a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> Result<(), BundleError> {
        let mut sorted = self.clone();
        sorted.version = 1;
        sorted.plugins.sort_by(|a, b| a.reference.cmp(&b.reference));
        let body = toml::to_string(&sorted).map_err(|e| BundleError::io(path, e))?;
        let tmp = path.with_extension("lock.tmp");
        std::fs::write(&tmp, format!("{HEADER}\n{body}")).map_err(|e| BundleError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| BundleError::io(path, e))
    }

    /// The pin of `reference`.
    pub fn get(&self, reference: &str) -> Option<&LockedPlugin> {
        self.plugins.iter().find(|p| p.reference == reference)
    }

    /// Pins a plugin (replacing the pin of the same reference).
    pub fn put(&mut self, plugin: LockedPlugin) {
        self.plugins.retain(|p| p.reference != plugin.reference);
        self.plugins.push(plugin);
    }

    /// Unpins `reference`; returns whether it was pinned.
    pub fn remove(&mut self, reference: &str) -> bool {
        let before = self.plugins.len();
        self.plugins.retain(|p| p.reference != reference);
        before != self.plugins.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn pin(reference: &str, digest: &str) -> LockedPlugin {
        LockedPlugin {
            reference: reference.into(),
            digest: digest.into(),
            name: "lint-yaml".into(),
            version: "1.2.0".into(),
            capabilities: vec!["containers".into()],
        }
    }

    #[test]
    fn pins_are_saved_sorted_and_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(LOCK_FILE);
        let mut lock = Lock::load(&path).unwrap();
        assert!(lock.plugins.is_empty());
        lock.put(pin("r.example/b:1", "sha256:bb"));
        lock.put(pin("r.example/a:1", "sha256:aa"));
        lock.put(pin("r.example/b:1", "sha256:b2"));
        lock.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Written by"), "{text}");
        let back = Lock::load(&path).unwrap();
        let refs: Vec<_> = back.plugins.iter().map(|p| p.reference.as_str()).collect();
        assert_eq!(refs, ["r.example/a:1", "r.example/b:1"]);
        assert_eq!(back.get("r.example/b:1").unwrap().digest, "sha256:b2");
        let mut back = back;
        assert!(back.remove("r.example/a:1"));
        assert!(!back.remove("r.example/a:1"));

        std::fs::write(&path, "version = 9\n").unwrap();
        assert!(
            Lock::load(&path)
                .unwrap_err()
                .to_string()
                .contains("version 9")
        );
        std::fs::write(&path, "nonsense = [").unwrap();
        assert!(
            Lock::load(&path)
                .unwrap_err()
                .to_string()
                .contains("not a valid lock file")
        );
    }
}
