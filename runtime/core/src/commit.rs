//! The commit a run builds: one validated type from the webhook (or the CLI) to the
//! plugin, the container labels and the image tags.
//!
//! A commit is one of:
//! - a git object id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits;
//! - a dirty work tree of one: `<sha>-dirty-<8 hex digits>` (`seamless run` copies
//!   uncommitted changes, so its images must not carry the clean commit's name);
//! - a directory outside git: `local-<16 hex digits>`.
//!
//! Every form is a valid image tag and Docker label value, and holds nothing but
//! `[0-9a-z-]`, so it can go into a path, a URL or a shell word as it is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A commit's text, validated ([module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Commit(String);

/// Why a text is not a [`Commit`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{shown}' is not a commit: expected 40 or 64 lowercase hex digits (a git commit id), \
     optionally followed by -dirty-<8 hex digits>, or local-<16 hex digits>"
)]
pub struct NotACommit {
    /// The text, cut to 80 characters.
    pub shown: String,
}

impl Commit {
    /// Validates `text` as a commit. Uppercase hex digits are accepted and lowered (git
    /// prints lowercase; some tools do not).
    pub fn parse(text: &str) -> Result<Self, NotACommit> {
        Self::checked(text, is_commit)
    }

    /// Validates `text` as a git commit id only (40 or 64 hex digits): what a remote
    /// repository or a webhook names. Uppercase is lowered.
    pub fn git(text: &str) -> Result<Self, NotACommit> {
        Self::checked(text, is_hex_id)
    }

    /// `text`, lowered, if `valid` accepts it.
    fn checked(text: &str, valid: fn(&str) -> bool) -> Result<Self, NotACommit> {
        let lowered = text.to_ascii_lowercase();
        if valid(&lowered) {
            Ok(Self(lowered))
        } else {
            Err(NotACommit {
                shown: text.chars().take(80).collect(),
            })
        }
    }

    /// The commit of a work tree of `sha` with uncommitted changes whose digest is
    /// `digest`.
    pub fn dirty(sha: &Commit, digest: u32) -> Self {
        Self(format!(
            "{}-dirty-{digest:08x}",
            sha.git_id().unwrap_or(&sha.0)
        ))
    }

    /// The commit of a directory outside git whose contents digest to `digest`.
    pub fn local(digest: u64) -> Self {
        Self(format!("local-{digest:016x}"))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The git object id, for a commit of git (clean or dirty).
    pub fn git_id(&self) -> Option<&str> {
        let id = self.0.split('-').next()?;
        is_hex_id(id).then_some(id)
    }

    /// Whether this is a clean git commit (not dirty, not local): one a remote
    /// repository can have.
    pub fn is_clean(&self) -> bool {
        is_hex_id(&self.0)
    }

    /// The first 12 characters, for people.
    pub fn short(&self) -> &str {
        self.0.get(..12).unwrap_or(&self.0)
    }
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_hex_id(text: &str) -> bool {
    is_hex(text, 40) || is_hex(text, 64)
}

fn is_commit(text: &str) -> bool {
    if is_hex_id(text) {
        return true;
    }
    if let Some(digest) = text.strip_prefix("local-") {
        return is_hex(digest, 16);
    }
    match text.split_once("-dirty-") {
        Some((id, digest)) => is_hex_id(id) && is_hex(digest, 8),
        None => false,
    }
}

impl fmt::Display for Commit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Commit {
    type Err = NotACommit;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for Commit {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Commit {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Commit {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Commit {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl Serialize for Commit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Commit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA1: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn every_form_parses_and_prints_as_given() {
        let sha256 = "ab".repeat(32);
        for text in [
            SHA1.to_owned(),
            sha256,
            format!("{SHA1}-dirty-0badf00d"),
            "local-0123456789abcdef".to_owned(),
        ] {
            let commit = Commit::parse(&text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(commit.as_str(), text);
            assert_eq!(commit.to_string(), text);
        }
    }

    #[test]
    fn uppercase_is_lowered() {
        let commit = Commit::parse(&SHA1.to_uppercase()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(commit, SHA1);
    }

    #[test]
    fn anything_else_is_refused_with_what_is_expected() {
        for text in [
            "",
            "main",
            "0123456",
            &SHA1[..39],
            &format!("{SHA1}0"),
            &format!("{SHA1}-dirty-"),
            &format!("{SHA1}-dirty-0badf00d0"),
            "local-xyz",
            "../../etc/passwd",
            &format!("{SHA1}; rm -rf /"),
            "-dirty-0badf00d",
            &format!("g{}", &SHA1[1..]),
        ] {
            let err = Commit::parse(text).expect_err(text);
            assert!(
                err.to_string().contains("40 or 64 lowercase hex digits"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_git_id_and_short_form() {
        let dirty =
            Commit::parse(&format!("{SHA1}-dirty-0badf00d")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dirty.git_id(), Some(SHA1));
        assert!(!dirty.is_clean());
        assert_eq!(dirty.short(), &SHA1[..12]);
        let local = Commit::local(1);
        assert_eq!(local.as_str(), "local-0000000000000001");
        assert_eq!(local.git_id(), None);
        let clean = Commit::parse(SHA1).unwrap_or_else(|e| panic!("{e}"));
        assert!(clean.is_clean());
        assert_eq!(
            Commit::dirty(&clean, 0xbad),
            format!("{SHA1}-dirty-00000bad")
        );
        assert!(Commit::git(SHA1).is_ok());
        assert!(Commit::git(dirty.as_str()).is_err(), "only a git id");
        assert!(Commit::git(local.as_str()).is_err(), "only a git id");
    }

    #[test]
    fn serde_refuses_an_invalid_commit() {
        let ok: Commit =
            serde_json::from_str(&format!("\"{SHA1}\"")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok, SHA1);
        let bad = serde_json::from_str::<Commit>("\"not a commit\"").expect_err("refused");
        assert!(bad.to_string().contains("is not a commit"), "{bad}");
    }
}
