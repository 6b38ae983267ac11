//! Bundles in OCI registries (any distribution registry: ECR, GHCR, Harbor, a
//! self-hosted `docker-registry`), through `oci-client`: push, pull (checked like a
//! layout: digests, media types, sizes, the manifest), resolve a tag to its digest,
//! list tags and repositories.
//!
//! Credentials ([`auth_for`]): `SEAMLESS_REGISTRY_TOKEN` (bearer), or
//! `SEAMLESS_REGISTRY_USERNAME` and `SEAMLESS_REGISTRY_PASSWORD` (basic), or the
//! registry's entry in the Docker config (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`), else anonymous. Registries on loopback addresses are spoken
//! to over plain HTTP (as Docker does); others over HTTPS, unless listed in
//! `SEAMLESS_INSECURE_REGISTRIES` (comma-separated `host:port`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use crate::oci::{Descriptor, EMPTY_JSON, ImageManifest};
use crate::signature::BundleSignature;
use crate::{Bundle, BundleError, MAX_COMPONENT, MAX_MANIFEST, digest, layout, media};

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The reference cannot be parsed.
    #[error(
        "'{reference}' is not an OCI reference (registry/repository:tag or @sha256:...): {reason}"
    )]
    Reference {
        /// What was given.
        reference: String,
        /// Why it is not one.
        reason: String,
    },
    /// The registry refused or failed.
    #[error("{action} {reference}: {reason}")]
    Registry {
        /// What was being done.
        action: &'static str,
        /// The reference.
        reference: String,
        /// The registry's answer.
        reason: String,
    },
    /// The registry answered with something that is not a good bundle.
    #[error("{reference}: {source}")]
    Bundle {
        /// The reference.
        reference: String,
        /// What is wrong with it.
        source: BundleError,
    },
}

/// Parses an OCI reference.
pub fn parse_reference(reference: &str) -> Result<Reference, RegistryError> {
    reference
        .parse::<Reference>()
        .map_err(|e| RegistryError::Reference {
            reference: reference.to_string(),
            reason: e.to_string(),
        })
}

fn is_loopback(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    name == "localhost" || name.starts_with("127.") || name == "[::1]"
}

/// A client of the registry of `reference`, with its credentials.
pub struct Registry {
    client: Client,
    auth: RegistryAuth,
}

impl Registry {
    /// A client for `registry` (`host[:port]`).
    pub fn for_registry(registry: &str) -> Self {
        // TLS uses ring (already built for the rest of the runtime); installing it
        // twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut plain: Vec<String> = std::env::var("SEAMLESS_INSECURE_REGISTRIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_string)
            .collect();
        if is_loopback(registry) {
            plain.push(registry.to_string());
        }
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(plain),
            ..ClientConfig::default()
        };
        Self {
            client: Client::new(config),
            auth: auth_for(registry),
        }
    }

    fn fail(action: &'static str, reference: &Reference, e: OciDistributionError) -> RegistryError {
        RegistryError::Registry {
            action,
            reference: reference.whole(),
            reason: e.to_string(),
        }
    }

    /// Pushes `bundle` as `reference`; returns its digest.
    pub async fn push(
        &self,
        bundle: &Bundle,
        reference: &Reference,
    ) -> Result<String, RegistryError> {
        let blobs = [
            EMPTY_JSON.to_vec(),
            bundle.component.clone(),
            bundle.manifest_json.clone(),
        ];
        self.client
            .auth(reference, &self.auth, oci_client::RegistryOperation::Push)
            .await
            .map_err(|e| Self::fail("signing in to push", reference, e))?;
        for bytes in blobs {
            let d = digest::of(&bytes);
            self.client
                .push_blob(reference, bytes, &d)
                .await
                .map_err(|e| Self::fail("pushing a blob of", reference, e))?;
        }
        let content_type = http::HeaderValue::from_static(media::OCI_MANIFEST);
        self.client
            .push_manifest_raw(reference, bundle.oci_manifest.clone(), content_type)
            .await
            .map_err(|e| Self::fail("pushing the manifest of", reference, e))?;
        Ok(bundle.digest())
    }

    /// The digest `reference` points to now.
    pub async fn resolve(&self, reference: &Reference) -> Result<String, RegistryError> {
        let (bytes, _) = self
            .client
            .pull_manifest_raw(reference, &self.auth, &[media::OCI_MANIFEST])
            .await
            .map_err(|e| Self::fail("resolving", reference, e))?;
        Ok(digest::of(&bytes))
    }

    /// Pulls and checks the bundle `reference` points to (and, for `@sha256:`
    /// references, that it is that digest).
    pub async fn pull(&self, reference: &Reference) -> Result<Bundle, RegistryError> {
        let bad = |source: BundleError| RegistryError::Bundle {
            reference: reference.whole(),
            source,
        };
        let (bytes, _) = self
            .client
            .pull_manifest_raw(reference, &self.auth, &[media::OCI_MANIFEST])
            .await
            .map_err(|e| Self::fail("pulling", reference, e))?;
        if bytes.len() as u64 > MAX_MANIFEST {
            return Err(bad(BundleError::TooLarge {
                what: "the OCI manifest".into(),
                size: bytes.len() as u64,
                limit: MAX_MANIFEST,
            }));
        }
        if let Some(expected) = reference.digest() {
            digest::verify("the OCI manifest", &bytes, expected).map_err(bad)?;
        }
        let doc: ImageManifest = serde_json::from_slice(&bytes).map_err(|e| {
            bad(BundleError::Layout(format!(
                "the OCI manifest is not valid JSON: {e}"
            )))
        })?;
        let mut blobs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for layer in &doc.layers {
            let limit = match layer.media_type.as_str() {
                media::COMPONENT => MAX_COMPONENT,
                media::MANIFEST => MAX_MANIFEST,
                // Anything else is refused by the checks below, without downloading it.
                _ => continue,
            };
            if layer.size > limit {
                continue;
            }
            let mut out = Vec::with_capacity(usize::try_from(layer.size).unwrap_or(0));
            self.client
                .pull_blob(reference, &to_oci(layer), &mut out)
                .await
                .map_err(|e| Self::fail("pulling a layer of", reference, e))?;
            blobs.insert(layer.digest.clone(), out);
        }
        layout::bundle_from_manifest(&bytes, |what, d, limit| {
            if d.size > limit {
                return Err(BundleError::TooLarge {
                    what: what.to_string(),
                    size: d.size,
                    limit,
                });
            }
            let data = blobs
                .get(&d.digest)
                .ok_or_else(|| BundleError::Missing(format!("{what} ({})", d.digest)))?;
            digest::verify(what, data, &d.digest)?;
            Ok(data.clone())
        })
        .map_err(bad)
    }

    /// The annotations of the manifest `reference` points to.
    pub async fn annotations(
        &self,
        reference: &Reference,
    ) -> Result<BTreeMap<String, String>, RegistryError> {
        let (bytes, _) = self
            .client
            .pull_manifest_raw(reference, &self.auth, &[media::OCI_MANIFEST])
            .await
            .map_err(|e| Self::fail("reading", reference, e))?;
        let doc: ImageManifest =
            serde_json::from_slice(&bytes).map_err(|e| RegistryError::Bundle {
                reference: reference.whole(),
                source: BundleError::Layout(format!("the OCI manifest is not valid JSON: {e}")),
            })?;
        Ok(doc.annotations)
    }

    /// The reference of the signatures of bundle `digest` in `reference`'s repository:
    /// the tag `sha256-<hex>.sig` (the cosign convention; it needs no referrers API).
    pub fn signature_reference(
        reference: &Reference,
        digest: &str,
    ) -> Result<Reference, RegistryError> {
        let hex = crate::digest::hex_of(digest).map_err(|source| RegistryError::Bundle {
            reference: reference.whole(),
            source,
        })?;
        Ok(Reference::with_tag(
            reference.registry().to_string(),
            reference.repository().to_string(),
            format!("sha256-{hex}.sig"),
        ))
    }

    /// The signatures of bundle `digest` kept in `reference`'s repository (none if there
    /// is no signature artifact).
    pub async fn pull_signatures(
        &self,
        reference: &Reference,
        digest: &str,
    ) -> Result<Vec<BundleSignature>, RegistryError> {
        let sig_ref = Self::signature_reference(reference, digest)?;
        let bytes = match self
            .client
            .pull_manifest_raw(&sig_ref, &self.auth, &[media::OCI_MANIFEST])
            .await
        {
            Ok((bytes, _)) => bytes,
            Err(OciDistributionError::ImageManifestNotFoundError(_)) => return Ok(Vec::new()),
            Err(OciDistributionError::RegistryError { envelope, .. })
                if envelope
                    .errors
                    .iter()
                    .any(|e| format!("{:?}", e.code).contains("ManifestUnknown")) =>
            {
                return Ok(Vec::new());
            }
            Err(e) => return Err(Self::fail("reading the signatures of", &sig_ref, e)),
        };
        let bad = |m: String| RegistryError::Bundle {
            reference: sig_ref.whole(),
            source: BundleError::Layout(m),
        };
        let doc: ImageManifest = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("the signature manifest is not valid JSON: {e}")))?;
        let layer = doc
            .layers
            .iter()
            .find(|l| l.media_type == media::SIGNATURES)
            .ok_or_else(|| {
                bad(format!(
                    "the signature artifact has no {} layer",
                    media::SIGNATURES
                ))
            })?;
        if layer.size > MAX_MANIFEST {
            return Err(bad(format!(
                "the signatures are {} bytes, over {MAX_MANIFEST}",
                layer.size
            )));
        }
        let mut out = Vec::new();
        self.client
            .pull_blob(&sig_ref, &to_oci(layer), &mut out)
            .await
            .map_err(|e| Self::fail("pulling the signatures of", &sig_ref, e))?;
        digest::verify("the signatures", &out, &layer.digest).map_err(|source| {
            RegistryError::Bundle {
                reference: sig_ref.whole(),
                source,
            }
        })?;
        let signatures: Vec<BundleSignature> = serde_json::from_slice(&out)
            .map_err(|e| bad(format!("the signatures are not valid: {e}")))?;
        Ok(signatures
            .into_iter()
            .filter(|s| s.digest == digest)
            .collect())
    }

    /// Adds `signature` to those kept for its bundle in `reference`'s repository.
    pub async fn push_signature(
        &self,
        reference: &Reference,
        signature: &BundleSignature,
    ) -> Result<Reference, RegistryError> {
        let mut all = self.pull_signatures(reference, &signature.digest).await?;
        if !all.contains(signature) {
            all.push(signature.clone());
        }
        let sig_ref = Self::signature_reference(reference, &signature.digest)?;
        let body = serde_json::to_vec(&all).unwrap_or_default();
        let doc = ImageManifest {
            schema_version: 2,
            media_type: Some(media::OCI_MANIFEST.into()),
            artifact_type: Some(media::SIGNATURE_ARTIFACT.into()),
            config: Descriptor::of(media::EMPTY_CONFIG, EMPTY_JSON),
            layers: vec![Descriptor::of(media::SIGNATURES, &body)],
            annotations: BTreeMap::from([(
                "dev.seamless.plugin.signed".to_string(),
                signature.digest.clone(),
            )]),
        };
        let manifest = serde_json::to_vec(&doc).unwrap_or_default();
        self.client
            .auth(&sig_ref, &self.auth, oci_client::RegistryOperation::Push)
            .await
            .map_err(|e| Self::fail("signing in to push", &sig_ref, e))?;
        for bytes in [EMPTY_JSON.to_vec(), body] {
            let d = digest::of(&bytes);
            self.client
                .push_blob(&sig_ref, bytes, &d)
                .await
                .map_err(|e| Self::fail("pushing a blob of", &sig_ref, e))?;
        }
        let content_type = http::HeaderValue::from_static(media::OCI_MANIFEST);
        self.client
            .push_manifest_raw(&sig_ref, manifest, content_type)
            .await
            .map_err(|e| Self::fail("pushing the signatures to", &sig_ref, e))?;
        Ok(sig_ref)
    }

    /// The tags of `reference`'s repository.
    pub async fn tags(&self, reference: &Reference) -> Result<Vec<String>, RegistryError> {
        let answer = self
            .client
            .list_tags(reference, &self.auth, None, None)
            .await
            .map_err(|e| Self::fail("listing the tags of", reference, e))?;
        Ok(answer.tags)
    }

    /// The repositories of `reference`'s registry.
    pub async fn repositories(&self, reference: &Reference) -> Result<Vec<String>, RegistryError> {
        let answer = self
            .client
            .catalog(reference, &self.auth, None, None)
            .await
            .map_err(|e| Self::fail("listing the repositories of", reference, e))?;
        Ok(answer.repositories)
    }
}

fn to_oci(d: &Descriptor) -> oci_client::manifest::OciDescriptor {
    oci_client::manifest::OciDescriptor {
        media_type: d.media_type.clone(),
        digest: d.digest.clone(),
        size: i64::try_from(d.size).unwrap_or(i64::MAX),
        ..Default::default()
    }
}

fn docker_config() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) => Some(PathBuf::from(dir).join("config.json")),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")),
    }
}

/// The credentials for `registry`: see the module's documentation.
pub fn auth_for(registry: &str) -> RegistryAuth {
    if let Ok(token) = std::env::var("SEAMLESS_REGISTRY_TOKEN") {
        return RegistryAuth::Bearer(token);
    }
    if let (Ok(user), Ok(password)) = (
        std::env::var("SEAMLESS_REGISTRY_USERNAME"),
        std::env::var("SEAMLESS_REGISTRY_PASSWORD"),
    ) {
        return RegistryAuth::Basic(user, password);
    }
    docker_config()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|bytes| from_docker_config(&bytes, registry))
        .unwrap_or(RegistryAuth::Anonymous)
}

/// The entry for `registry` in a Docker `config.json` (`auth`: base64 `user:password`,
/// or `identitytoken`).
fn from_docker_config(bytes: &[u8], registry: &str) -> Option<RegistryAuth> {
    let config: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let auths = config.get("auths")?.as_object()?;
    let entry = auths
        .iter()
        .find(|(k, _)| {
            let k = k
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            k.trim_end_matches('/') == registry
        })?
        .1;
    if let Some(token) = entry.get("identitytoken").and_then(|t| t.as_str()) {
        return Some(RegistryAuth::Bearer(token.to_string()));
    }
    let encoded = entry.get("auth")?.as_str()?;
    let decoded = base64_decode(encoded)?;
    let (user, password) = decoded.split_once(':')?;
    Some(RegistryAuth::Basic(user.to_string(), password.to_string()))
}

/// Standard base64 (with or without padding), as UTF-8.
fn base64_decode(s: &str) -> Option<String> {
    use base64::Engine as _;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    String::from_utf8(engine.decode(s.trim()).ok()?).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn docker_config_entries_give_basic_or_bearer_credentials() {
        let config = br#"{"auths": {"https://r.example:5000/": {"auth": "dXNlcjpwYXNz"},
                                     "t.example": {"identitytoken": "tok"}}}"#;
        match from_docker_config(config, "r.example:5000") {
            Some(RegistryAuth::Basic(u, p)) => {
                assert_eq!((u.as_str(), p.as_str()), ("user", "pass"))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(from_docker_config(config, "t.example"), Some(RegistryAuth::Bearer(t)) if t == "tok")
        );
        assert!(from_docker_config(config, "other.example").is_none());
        assert_eq!(base64_decode("YWxpY2U6czNjcjN0").unwrap(), "alice:s3cr3t");
    }

    #[test]
    fn loopback_registries_are_plain_http() {
        assert!(is_loopback("127.0.0.1:5001") && is_loopback("localhost:5000"));
        assert!(!is_loopback("ghcr.io"));
        assert!(parse_reference("127.0.0.1:5001/plugins/lint:1.0.0").is_ok());
        assert!(parse_reference("Not A Reference").is_err());
    }
}
