//! The OCI documents of a bundle: descriptors, the image manifest and the image index
//! of a layout (the fields this crate writes and checks).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::manifest::BundleManifest;
use crate::{digest, media};

/// The empty JSON config of OCI artifacts.
pub const EMPTY_JSON: &[u8] = b"{}";

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The content's media type.
    pub media_type: String,
    /// Its digest.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// The descriptor of `bytes` as `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Self {
        Self {
            media_type: media_type.to_string(),
            digest: digest::of(bytes),
            size: bytes.len() as u64,
            annotations: BTreeMap::new(),
        }
    }
}

/// An OCI image manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`media::OCI_MANIFEST`].
    #[serde(default)]
    pub media_type: Option<String>,
    /// [`media::ARTIFACT`] for a bundle.
    #[serde(default)]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers.
    pub layers: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image index (a layout's `index.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    pub schema_version: u32,
    /// [`media::OCI_INDEX`].
    #[serde(default)]
    pub media_type: Option<String>,
    /// The manifests.
    pub manifests: Vec<Descriptor>,
}

/// The annotation that names a manifest's tag in a layout's index.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// The standard annotations of a bundle, from its manifest.
pub fn annotations(m: &BundleManifest) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("org.opencontainers.image.title".into(), m.name.clone()),
        ("org.opencontainers.image.version".into(), m.version.clone()),
        (
            "org.opencontainers.image.description".into(),
            m.description.clone(),
        ),
        (
            "org.opencontainers.image.licenses".into(),
            m.license.clone(),
        ),
        ("dev.seamless.plugin.wit".into(), m.wit.clone()),
        ("dev.seamless.plugin.stages".into(), m.stages.join(",")),
    ])
}

/// The OCI manifest of a bundle (deterministic: the same inputs give the same digest).
pub fn image_manifest(m: &BundleManifest, manifest_json: &[u8], component: &[u8]) -> Vec<u8> {
    let mut wasm = Descriptor::of(media::COMPONENT, component);
    wasm.annotations.insert(
        "org.opencontainers.image.title".into(),
        format!("{}.wasm", m.name),
    );
    let doc = ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.into()),
        artifact_type: Some(media::ARTIFACT.into()),
        config: Descriptor::of(media::EMPTY_CONFIG, EMPTY_JSON),
        layers: vec![wasm, Descriptor::of(media::MANIFEST, manifest_json)],
        annotations: annotations(m),
    };
    // Serializing these plain structs cannot fail.
    serde_json::to_vec(&doc).unwrap_or_default()
}
