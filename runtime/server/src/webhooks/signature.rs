//! `X-Hub-Signature-256`: HMAC-SHA256 of the raw body, keyed with the webhook secret,
//! sent as `sha256=<64 lowercase hex digits>`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying the signature (lower case, as `http` names headers).
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

const PREFIX: &[u8] = b"sha256=";
const DIGEST_LEN: usize = 32;

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header.
    #[error("the request has no X-Hub-Signature-256 header; set a secret on the webhook")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("X-Hub-Signature-256 is not of the form sha256=<64 hex digits>")]
    Malformed,
    /// The signature does not match the body and the secret.
    #[error("X-Hub-Signature-256 does not match the payload and the webhook secret")]
    Mismatch,
}

fn mac(secret: &[u8]) -> Result<HmacSha256, SignatureError> {
    // HMAC takes keys of any length; this cannot fail, but fail closed if it did.
    HmacSha256::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)
}

/// The `X-Hub-Signature-256` value for `body` under `secret` (`sha256=<hex>`).
pub fn sign(secret: &[u8], body: &[u8]) -> Result<String, SignatureError> {
    let mut mac = mac(secret)?;
    mac.update(body);
    Ok(format!(
        "sha256={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// Checks `header` (the raw `X-Hub-Signature-256` value, if any) against `body` and
/// `secret`. The digest comparison is constant-time (`Mac::verify_slice`).
pub fn verify(secret: &[u8], body: &[u8], header: Option<&[u8]>) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let digits = header
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::Malformed)?;
    let expected = hex::decode(digits).map_err(|_| SignatureError::Malformed)?;
    if expected.len() != DIGEST_LEN {
        return Err(SignatureError::Malformed);
    }
    let mut mac = mac(secret)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// From GitHub's "Validating webhook deliveries" page, "Testing the webhook payload
    /// validation".
    const GITHUB_SECRET: &str = "It's a Secret to Everybody";
    const GITHUB_PAYLOAD: &str = "Hello, World!";
    const GITHUB_SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_documented_example_signs_and_verifies() {
        let secret = GITHUB_SECRET.as_bytes();
        let body = GITHUB_PAYLOAD.as_bytes();
        assert_eq!(sign(secret, body).unwrap(), GITHUB_SIGNATURE);
        assert_eq!(
            verify(secret, body, Some(GITHUB_SIGNATURE.as_bytes())),
            Ok(())
        );
    }

    #[test]
    fn an_independently_computed_hmac_verifies() {
        let secret = b"pipeline-secret";
        let body = br#"{"ref":"refs/heads/main"}"#;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(body);
        let header = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(verify(secret, body, Some(header.as_bytes())), Ok(()));
        let upper = format!("sha256={}", header["sha256=".len()..].to_uppercase());
        assert_eq!(verify(secret, body, Some(upper.as_bytes())), Ok(()));
    }

    #[test]
    fn a_wrong_secret_or_a_changed_body_is_a_mismatch() {
        let body = GITHUB_PAYLOAD.as_bytes();
        let header = Some(GITHUB_SIGNATURE.as_bytes());
        assert_eq!(
            verify(b"another secret", body, header),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(GITHUB_SECRET.as_bytes(), b"Hello, World?", header),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_missing_or_malformed_header_is_refused() {
        let secret = GITHUB_SECRET.as_bytes();
        let body = GITHUB_PAYLOAD.as_bytes();
        assert_eq!(verify(secret, body, None), Err(SignatureError::Missing));
        let digits = &GITHUB_SIGNATURE["sha256=".len()..];
        for bad in [
            String::new(),
            digits.to_string(),
            format!("sha1={digits}"),
            format!("sha256={}", &digits[..62]),
            format!("sha256={digits}00"),
            format!("sha256={}zz", &digits[..62]),
            format!("sha256= {digits}"),
        ] {
            assert_eq!(
                verify(secret, body, Some(bad.as_bytes())),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
        }
    }
}
