//! Facts about the run and the service the stage instance works on.

use std::fmt;

use crate::bindings::seamless::plugin::run_info as host;
use crate::types::lookup;

pub use host::{Info, Service, Trigger};

/// Returns the facts about this run.
pub fn current() -> Info {
    host::current()
}

impl Service {
    /// The service's command named `name`, such as `unit-test`, if it has one.
    pub fn command(&self, name: &str) -> Option<&str> {
        lookup(&self.commands, name)
    }
}

impl Info {
    /// The commit's first 12 characters, as people read it in a summary.
    pub fn short_commit(&self) -> &str {
        short_sha(&self.commit_sha)
    }
}

/// The first 12 characters of a commit SHA (all of it when shorter).
pub fn short_sha(sha: &str) -> &str {
    sha.char_indices().nth(12).map_or(sha, |(i, _)| &sha[..i])
}

impl Trigger {
    /// The trigger as the contract spells it: `manual`, `push`, `pull-request` or
    /// `rollback`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Push => "push",
            Self::PullRequest => "pull-request",
            Self::Rollback => "rollback",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_are_spelled_as_in_the_contract() {
        assert_eq!(Trigger::PullRequest.to_string(), "pull-request");
        assert_eq!(Trigger::Manual.as_str(), "manual");
        assert_eq!(Trigger::Push.as_str(), "push");
        assert_eq!(Trigger::Rollback.as_str(), "rollback");
    }

    #[test]
    fn short_sha_keeps_twelve_characters() {
        assert_eq!(
            short_sha("3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b"),
            "3f2a9c0d1e2f"
        );
        assert_eq!(short_sha("abc"), "abc");
    }
}
