//! The media types of a bundle.

/// The artifact type of a bundle's OCI manifest.
pub const ARTIFACT: &str = "application/vnd.seamless.plugin.v1";
/// The component layer.
pub const COMPONENT: &str = "application/wasm";
/// The plugin manifest layer (JSON).
pub const MANIFEST: &str = "application/vnd.seamless.plugin.manifest.v1+json";
/// The empty config of OCI artifacts.
pub const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The layer of a signature artifact: a JSON list of [`crate::signature::BundleSignature`].
pub const SIGNATURES: &str = "application/vnd.seamless.plugin.signatures.v1+json";
/// The artifact type of a signature artifact (tag `sha256-<hex>.sig`).
pub const SIGNATURE_ARTIFACT: &str = "application/vnd.seamless.plugin.signature.v1";
