//! Bundles in OCI registries (any distribution registry: ECR, GHCR, Harbor, a
//! self-hosted `docker-registry`), through `oci-client`: push, pull (checked like a
//! layout: digests, media types, sizes, the manifest), resolve a tag to its digest,
//! list tags and repositories.
//!
//! Credentials: [`auth`]. Registries are spoken to over HTTPS, unless listed in
//! `SEAMLESS_INSECURE_REGISTRIES` (comma-separated `host:port`); a registry on a
//! loopback address is spoken to over HTTPS if it answers TLS, else over plain HTTP (as
//! Docker does). The certificate is always verified, against the system's CA
//! certificates plus those of [`tls`] (`SEAMLESS_REGISTRY_CA`, Docker's
//! `certs.d/<host:port>/*.crt`); one that is not trusted is refused with
//! [`RegistryError::Untrusted`], which says how to trust it.

pub mod auth;
pub mod tls;

use std::collections::BTreeMap;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

pub use auth::auth_for;
use tls::ExtraCas;

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
    /// The registry's TLS certificate is not signed by a trusted CA.
    #[error(transparent)]
    Untrusted(Box<tls::Untrusted>),
    /// A CA certificate for the registry cannot be used.
    #[error(transparent)]
    Ca(#[from] tls::CaError),
    /// The HTTP client could not be made.
    #[error("cannot make a client for registry {registry}: {reason}")]
    Client {
        /// The registry.
        registry: String,
        /// Why.
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
    registry: String,
    cas: ExtraCas,
}

impl Registry {
    /// A client for `registry` (`host[:port]`): its protocol (a loopback registry is
    /// probed for TLS), the extra CA certificates it trusts and its credentials. Fails
    /// when a CA file cannot be used.
    pub async fn for_registry(registry: &str) -> Result<Self, RegistryError> {
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
        if is_loopback(registry)
            && !plain.iter().any(|h| h == registry)
            && !tls::speaks_tls(registry).await
        {
            plain.push(registry.to_string());
        }
        let cas = ExtraCas::from_env(registry)?;
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(plain),
            extra_root_certificates: cas.to_oci(),
            ..ClientConfig::default()
        };
        let client = Client::try_from(config).map_err(|e| RegistryError::Client {
            registry: registry.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            client,
            auth: auth_for(registry),
            registry: registry.to_string(),
            cas,
        })
    }

    /// The error for `e` while doing `action` to `reference`: [`RegistryError::Untrusted`]
    /// when the registry's certificate was refused.
    fn fail(
        &self,
        action: &'static str,
        reference: &Reference,
        e: OciDistributionError,
    ) -> RegistryError {
        if let Some(reason) = tls::certificate_error(&e) {
            return RegistryError::Untrusted(Box::new(tls::Untrusted {
                action,
                reference: reference.whole(),
                registry: self.registry.clone(),
                reason,
                trusted: self.cas.describe(),
                certs_dir: self.cas.certs_root.display().to_string(),
            }));
        }
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
            .map_err(|e| self.fail("signing in to push", reference, e))?;
        for bytes in blobs {
            let d = digest::of(&bytes);
            self.client
                .push_blob(reference, bytes, &d)
                .await
                .map_err(|e| self.fail("pushing a blob of", reference, e))?;
        }
        let content_type = http::HeaderValue::from_static(media::OCI_MANIFEST);
        self.client
            .push_manifest_raw(reference, bundle.oci_manifest.clone(), content_type)
            .await
            .map_err(|e| self.fail("pushing the manifest of", reference, e))?;
        Ok(bundle.digest())
    }

    /// The digest `reference` points to now.
    pub async fn resolve(&self, reference: &Reference) -> Result<String, RegistryError> {
        let (bytes, _) = self
            .client
            .pull_manifest_raw(reference, &self.auth, &[media::OCI_MANIFEST])
            .await
            .map_err(|e| self.fail("resolving", reference, e))?;
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
            .map_err(|e| self.fail("pulling", reference, e))?;
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
                .map_err(|e| self.fail("pulling a layer of", reference, e))?;
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
            .map_err(|e| self.fail("reading", reference, e))?;
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
            Err(e) => return Err(self.fail("reading the signatures of", &sig_ref, e)),
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
            .map_err(|e| self.fail("pulling the signatures of", &sig_ref, e))?;
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
            .map_err(|e| self.fail("signing in to push", &sig_ref, e))?;
        for bytes in [EMPTY_JSON.to_vec(), body] {
            let d = digest::of(&bytes);
            self.client
                .push_blob(&sig_ref, bytes, &d)
                .await
                .map_err(|e| self.fail("pushing a blob of", &sig_ref, e))?;
        }
        let content_type = http::HeaderValue::from_static(media::OCI_MANIFEST);
        self.client
            .push_manifest_raw(&sig_ref, manifest, content_type)
            .await
            .map_err(|e| self.fail("pushing the signatures to", &sig_ref, e))?;
        Ok(sig_ref)
    }

    /// The tags of `reference`'s repository.
    pub async fn tags(&self, reference: &Reference) -> Result<Vec<String>, RegistryError> {
        let answer = self
            .client
            .list_tags(reference, &self.auth, None, None)
            .await
            .map_err(|e| self.fail("listing the tags of", reference, e))?;
        Ok(answer.tags)
    }

    /// The repositories of `reference`'s registry.
    pub async fn repositories(&self, reference: &Reference) -> Result<Vec<String>, RegistryError> {
        let answer = self
            .client
            .catalog(reference, &self.auth, None, None)
            .await
            .map_err(|e| self.fail("listing the repositories of", reference, e))?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn loopback_registries_are_recognised() {
        assert!(is_loopback("127.0.0.1:5001") && is_loopback("localhost:5000"));
        assert!(!is_loopback("ghcr.io"));
        assert!(parse_reference("127.0.0.1:5001/plugins/lint:1.0.0").is_ok());
        assert!(parse_reference("Not A Reference").is_err());
    }
}
