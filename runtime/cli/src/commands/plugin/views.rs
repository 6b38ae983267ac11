//! What `seamless plugin list`, `search` and `inspect` print with `--output json`.

use super::fetch::Fetched;
use seamless_bundle::lock::LockedPlugin;
use serde::Serialize;
use std::collections::BTreeMap;

/// A plugin pinned in seamless.lock.
#[derive(Debug, Serialize)]
pub struct PinnedView {
    /// The reference as `uses` writes it.
    pub reference: String,
    /// The pinned digest.
    pub digest: String,
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The capabilities accepted with it.
    pub capabilities: Vec<String>,
    /// Whether the local plugin store holds its bytes.
    pub stored: bool,
}

impl PinnedView {
    /// The view of `p`.
    pub fn new(p: &LockedPlugin, stored: bool) -> Self {
        Self {
            reference: p.reference.clone(),
            digest: p.digest.clone(),
            name: p.name.clone(),
            version: p.version.clone(),
            capabilities: p.capabilities.clone(),
            stored,
        }
    }
}

/// A plugin bundle found in a registry.
#[derive(Debug, Serialize)]
pub struct FoundView {
    /// Its reference, `registry/repository:tag`.
    pub reference: String,
    /// The plugin's name (the image title).
    pub name: String,
    /// Its version.
    pub version: String,
    /// One line on what it does.
    pub description: String,
}

/// A bundle's manifest, digest, signatures and annotations.
#[derive(Debug, Serialize)]
pub struct InspectView {
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its licence.
    pub license: String,
    /// One line on what it does.
    pub description: String,
    /// The bundle's digest.
    pub digest: String,
    /// The WIT world it targets.
    pub wit: String,
    /// The stages it is meant for.
    pub stages: Vec<String>,
    /// The capabilities it requests.
    pub capabilities: Vec<String>,
    /// The memory it needs, in MiB.
    pub memory_mb: Option<u32>,
    /// The time it needs, in seconds.
    pub timeout_secs: Option<u32>,
    /// The component's size in bytes.
    pub component_bytes: usize,
    /// The ids of the keys that signed it.
    pub signed_by: Vec<String>,
    /// Its OCI annotations.
    pub annotations: BTreeMap<String, String>,
}

impl From<&Fetched> for InspectView {
    fn from(f: &Fetched) -> Self {
        let b = &f.bundle;
        let m = &b.manifest;
        Self {
            name: m.name.clone(),
            version: m.version.clone(),
            license: m.license.clone(),
            description: m.description.clone(),
            digest: b.digest(),
            wit: m.wit.clone(),
            stages: m.stages.clone(),
            capabilities: m.capabilities.list(),
            memory_mb: m.limits.memory_mb,
            timeout_secs: m.limits.timeout_secs,
            component_bytes: b.component.len(),
            signed_by: f.signatures.iter().map(|s| s.key_id.clone()).collect(),
            annotations: b.annotations(),
        }
    }
}
