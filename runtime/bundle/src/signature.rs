//! Ed25519 signatures of bundles: a signature covers the bundle's digest (and so every
//! byte of it). Keys are written `seamless-ed25519 <hex>`; a signature names the key
//! that made it by its id (the first 16 hex digits of the SHA-256 of the public key).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::BundleError;

/// The prefix of a written public key.
pub const PUBLIC_PREFIX: &str = "seamless-ed25519 ";
/// The prefix of a written secret key.
pub const SECRET_PREFIX: &str = "seamless-ed25519-secret ";

/// What is signed: a fixed context and the bundle's digest.
fn message(digest: &str) -> Vec<u8> {
    format!("seamless plugin bundle v1\n{digest}\n").into_bytes()
}

/// A bundle's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BundleSignature {
    /// The bundle's digest.
    pub digest: String,
    /// The id of the key that signed.
    pub key_id: String,
    /// The signature, hex.
    pub signature: String,
}

/// A public key, as trusted in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads `seamless-ed25519 <64 hex>`.
    pub fn parse(text: &str) -> Result<Self, BundleError> {
        let bad = || {
            BundleError::Invalid(format!(
                "'{}' is not a public key (seamless-ed25519 <64 hex digits>)",
                text.trim()
            ))
        };
        let hex = text.trim().strip_prefix(PUBLIC_PREFIX).ok_or_else(bad)?;
        let bytes: [u8; 32] = hex::decode(hex.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| bad())
    }

    /// The key id: 16 hex digits of the SHA-256 of the key.
    pub fn id(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))[..16].to_string()
    }

    /// As written: `seamless-ed25519 <hex>`.
    pub fn to_text(&self) -> String {
        format!("{PUBLIC_PREFIX}{}", hex::encode(self.0.as_bytes()))
    }
}

/// A key that signs bundles.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A key from 32 random bytes.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&seed))
    }

    /// Reads `seamless-ed25519-secret <64 hex>`.
    pub fn parse(text: &str) -> Result<Self, BundleError> {
        let bad = || {
            BundleError::Invalid(
                "not a secret key (seamless-ed25519-secret <64 hex digits>)".into(),
            )
        };
        let hex = text.trim().strip_prefix(SECRET_PREFIX).ok_or_else(bad)?;
        let bytes: [u8; 32] = hex::decode(hex.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        Ok(Self::from_seed(bytes))
    }

    /// As written: `seamless-ed25519-secret <hex>`.
    pub fn to_text(&self) -> String {
        format!("{SECRET_PREFIX}{}", hex::encode(self.0.to_bytes()))
    }

    /// Its public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs the bundle with `digest`.
    pub fn sign(&self, digest: &str) -> BundleSignature {
        BundleSignature {
            digest: digest.to_string(),
            key_id: self.public().id(),
            signature: hex::encode(self.0.sign(&message(digest)).to_bytes()),
        }
    }
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature came with the bundle.
    #[error(
        "the bundle {digest} is not signed; this pipeline requires a signature by one of: \
         {expected}; sign it with `seamless plugin sign` and one of those keys, then push it again"
    )]
    Unsigned {
        /// The bundle.
        digest: String,
        /// The trusted keys' ids.
        expected: String,
    },
    /// Signed, but not by a trusted key, or not validly.
    #[error(
        "the bundle {digest} is not signed by a trusted key (signatures by: {found}); expected \
         one of: {expected}; if you trust its signer, add their public key to `trusted-keys` \
         under [plugins] in seamless.toml"
    )]
    Untrusted {
        /// The bundle.
        digest: String,
        /// The ids of the keys that signed.
        found: String,
        /// The trusted keys' ids.
        expected: String,
    },
}

/// Accepts the bundle `digest` if one of `signatures` is a valid signature of it by one
/// of `trusted`; returns that key's id.
pub fn verify(
    digest: &str,
    signatures: &[BundleSignature],
    trusted: &[PublicKey],
) -> Result<String, SignatureError> {
    let expected = trusted
        .iter()
        .map(PublicKey::id)
        .collect::<Vec<_>>()
        .join(", ");
    if signatures.is_empty() {
        return Err(SignatureError::Unsigned {
            digest: digest.to_string(),
            expected,
        });
    }
    for s in signatures.iter().filter(|s| s.digest == digest) {
        let Some(key) = trusted.iter().find(|k| k.id() == s.key_id) else {
            continue;
        };
        let Some(sig) = hex::decode(&s.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| Signature::from_bytes(&b))
        else {
            continue;
        };
        if key.0.verify(&message(digest), &sig).is_ok() {
            return Ok(key.id());
        }
    }
    Err(SignatureError::Untrusted {
        digest: digest.to_string(),
        found: signatures
            .iter()
            .map(|s| s.key_id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        expected,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_a_trusted_key_over_the_same_digest_is_accepted() {
        let alice = SecretKey::from_seed([1; 32]);
        let mallory = SecretKey::from_seed([2; 32]);
        let trusted = [PublicKey::parse(&alice.public().to_text()).unwrap()];
        let digest = "sha256:aaaa";
        let good = alice.sign(digest);
        assert_eq!(
            verify(digest, std::slice::from_ref(&good), &trusted).unwrap(),
            alice.public().id()
        );

        let err = verify(digest, &[], &trusted).unwrap_err();
        assert!(err.to_string().contains(&alice.public().id()), "{err}");
        let err = verify(digest, &[mallory.sign(digest)], &trusted).unwrap_err();
        assert!(matches!(err, SignatureError::Untrusted { .. }), "{err}");
        // A signature of another bundle, or a forged one under the trusted key's id.
        assert!(verify("sha256:bbbb", std::slice::from_ref(&good), &trusted).is_err());
        let mut forged = mallory.sign(digest);
        forged.key_id = good.key_id.clone();
        assert!(verify(digest, &[forged], &trusted).is_err());

        let back = SecretKey::parse(&alice.to_text()).unwrap();
        assert_eq!(back.public(), alice.public());
        assert!(PublicKey::parse("ssh-ed25519 AAAA").is_err());
    }
}
