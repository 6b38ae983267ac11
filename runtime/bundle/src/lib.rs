//! Plugin bundles: a stage plugin packaged as an OCI artifact.
//!
//! A bundle is an OCI image manifest (artifact type [`media::ARTIFACT`]) with an empty
//! config and two layers: the component ([`media::COMPONENT`], `application/wasm`) and
//! the plugin's manifest ([`media::MANIFEST`], JSON: [`BundleManifest`]), plus the
//! standard `org.opencontainers.image.*` annotations. A bundle is addressed by the
//! digest of its OCI manifest.
//!
//! On disk a bundle is an OCI image layout ([`layout`]), as a directory or a tar: the
//! format of `seamless plugin pack` and of offline installs. Reading one checks every
//! digest, the media types, the layout's paths and sizes, and the manifest itself; a
//! bad bundle is refused with an error that says what is wrong.
//!
//! Installed bundles live in a content-addressed [`store`]; `seamless.lock` ([`lock`])
//! pins each reference to a digest; bundles may be signed with ed25519 ([`signature`]).
//! [`registry`] pushes and pulls bundles through `oci-client`.

pub mod digest;
mod error;
pub mod layout;
pub mod lock;
pub mod manifest;
pub mod media;
pub mod oci;
pub mod registry;
pub mod resolve;
pub mod signature;
pub mod store;

pub use error::BundleError;
pub use manifest::{BundleManifest, Capabilities, Limits};

use std::collections::BTreeMap;

/// The largest component a bundle may carry.
pub const MAX_COMPONENT: u64 = 64 * 1024 * 1024;
/// The largest plugin manifest a bundle may carry.
pub const MAX_MANIFEST: u64 = 64 * 1024;

/// A plugin bundle in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The plugin's manifest.
    pub manifest: BundleManifest,
    /// Its JSON, as carried in the manifest layer.
    pub manifest_json: Vec<u8>,
    /// The component.
    pub component: Vec<u8>,
    /// The OCI manifest, as stored (its digest addresses the bundle).
    pub oci_manifest: Vec<u8>,
}

impl Bundle {
    /// Packs `component` with `manifest` (validated first).
    pub fn new(manifest: BundleManifest, component: Vec<u8>) -> Result<Self, BundleError> {
        manifest.validate()?;
        if component.len() as u64 > MAX_COMPONENT {
            return Err(BundleError::TooLarge {
                what: "the component".into(),
                size: component.len() as u64,
                limit: MAX_COMPONENT,
            });
        }
        if !component.starts_with(b"\0asm") {
            return Err(BundleError::NotWasm);
        }
        let manifest_json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| BundleError::Invalid(format!("cannot write the manifest: {e}")))?;
        let oci_manifest = oci::image_manifest(&manifest, &manifest_json, &component);
        Ok(Self {
            manifest,
            manifest_json,
            component,
            oci_manifest,
        })
    }

    /// The bundle's address: `sha256:` and the hex digest of its OCI manifest.
    pub fn digest(&self) -> String {
        digest::of(&self.oci_manifest)
    }

    /// The OCI annotations it carries.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        oci::annotations(&self.manifest)
    }
}
