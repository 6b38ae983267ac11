//! `sha256:<hex>` digests.

use sha2::{Digest, Sha256};

use crate::BundleError;

/// The digest of `bytes`, `sha256:<hex>`.
pub fn of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The hex part of a `sha256:` digest, checked (64 lowercase hex digits).
pub fn hex_of(digest: &str) -> Result<&str, BundleError> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or_else(|| BundleError::Layout(format!("'{digest}' is not a sha256 digest")))?;
    Ok(hex)
}

/// Checks that `bytes` have `expected` as digest.
pub fn verify(what: &str, bytes: &[u8], expected: &str) -> Result<(), BundleError> {
    let actual = of(bytes);
    if actual != expected {
        return Err(BundleError::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn digests_are_checked_for_form_and_content() {
        let d = of(b"hello");
        assert_eq!(
            d,
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(hex_of(&d).is_ok());
        for bad in [
            "sha256:xyz",
            "md5:abc",
            "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
            "sha256:../../etc",
        ] {
            assert!(hex_of(bad).is_err(), "{bad}");
        }
        assert!(verify("x", b"hello", &d).is_ok());
        assert!(matches!(
            verify("x", b"other", &d),
            Err(BundleError::DigestMismatch { .. })
        ));
    }
}
