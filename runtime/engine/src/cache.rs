//! The on-disk cache of compiled components.
//!
//! Compiling a component costs from 0.2 s (Rust) to 18 s (Python); loading a cached
//! artifact costs under a millisecond. Entries are keyed by the component's sha256,
//! the wasmtime version and a fingerprint of the engine configuration, because a
//! precompiled artifact only loads on an engine with the same settings.

use crate::error::EngineError;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A directory of precompiled components (`<key>.cwasm`).
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
    config_fingerprint: String,
}

/// Whether a load was served from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// The artifact was on disk.
    Hit,
    /// The component was compiled and stored.
    Miss,
}

impl ComponentCache {
    /// A cache in `dir`, for engines configured as `config_fingerprint` describes.
    pub fn new(dir: PathBuf, config_fingerprint: &str) -> Self {
        Self {
            dir,
            config_fingerprint: config_fingerprint.to_owned(),
        }
    }

    /// The directory entries live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cache key of a component: sha256 of its bytes, the wasmtime version and the
    /// engine configuration.
    pub fn key(&self, component_sha256: &str) -> String {
        let mut h = Sha256::new();
        h.update(component_sha256.as_bytes());
        h.update(b"\0wasmtime-48.0.8\0");
        h.update(self.config_fingerprint.as_bytes());
        hex::encode(h.finalize())
    }

    /// Loads the component from the cache, or compiles and stores it.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        component_sha256: &str,
    ) -> Result<(Component, CacheOutcome), EngineError> {
        let path = self
            .dir
            .join(format!("{}.cwasm", self.key(component_sha256)));
        if path.is_file() {
            // SAFETY: the file was written by `Engine::precompile_component` of this
            // wasmtime version with this configuration (both are in the key), into a
            // directory only the runtime writes.
            #[allow(unsafe_code)]
            let loaded = unsafe { Component::deserialize_file(engine, &path) };
            match loaded {
                Ok(c) => return Ok((c, CacheOutcome::Hit)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unreadable cached component");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let artifact = engine
            .precompile_component(bytes)
            .map_err(|e| EngineError::Compile(format!("{e:#}")))?;
        std::fs::create_dir_all(&self.dir).map_err(|e| EngineError::Cache {
            path: self.dir.clone(),
            reason: e.to_string(),
        })?;
        // Unique per process and per call: two runs of one server may compile the
        // same component at once, and each renames only its own file into place.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tmp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            self.key(component_sha256),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&tmp, &artifact)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| EngineError::Cache {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        // SAFETY: as above; the artifact was produced just now by this engine.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, &artifact) }
            .map_err(|e| EngineError::Compile(format!("{e:#}")))?;
        Ok((component, CacheOutcome::Miss))
    }
}

/// The sha256 of a component's bytes, as hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The smallest valid component: the preamble and nothing else.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    #[test]
    fn concurrent_compiles_of_one_component_all_succeed_and_leave_one_entry() {
        let engine = Engine::default();
        let sha = sha256_hex(EMPTY_COMPONENT);
        // Many rounds, each on an empty cache, so the writers really overlap.
        for _ in 0..50 {
            let dir = tempfile::tempdir().unwrap();
            let cache = ComponentCache::new(dir.path().to_owned(), "test");
            let start = std::sync::Barrier::new(8);
            std::thread::scope(|s| {
                let loads: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            cache.load_or_compile(&engine, EMPTY_COMPONENT, &sha)
                        })
                    })
                    .collect();
                for load in loads {
                    load.join().unwrap().unwrap();
                }
            });
            let entries: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(
                entries,
                [format!("{}.cwasm", cache.key(&sha))],
                "no temp file left"
            );
            let (_, outcome) = cache
                .load_or_compile(&engine, EMPTY_COMPONENT, &sha)
                .unwrap();
            assert_eq!(outcome, CacheOutcome::Hit);
        }
    }
}
