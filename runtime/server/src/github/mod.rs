//! GitHub: commit statuses of the runs a server starts, and auto-merge.
//!
//! [`GitHubClient`] makes the two REST calls (`POST /repos/{o}/{r}/statuses/{sha}`,
//! `PUT /repos/{o}/{r}/pulls/{n}/merge`) against a configurable API base URL, so tests
//! point it at a local stand-in. [`StatusReporter`] posts each run's `pending` and final
//! status (and merges a pull request whose run passed, when `[triggers.pull-request]
//! auto-merge` is on) in a background task, retrying a call that got no answer, a 5xx or
//! a 429 with a doubling pause; a call that keeps failing is logged and dropped, never
//! failing or delaying the run.
//!
//! The token lives only in this process's memory; it is not a secret of the pipeline,
//! so no stage sees it unless `seamless.toml` declares it as one and grants it.

mod client;
mod error;
mod reporter;

pub use client::{
    CommitStatus, DEFAULT_API_URL, GitHubClient, MAX_DESCRIPTION, StatusState, Token,
};
pub use error::GitHubError;
pub use reporter::{CommitRef, CommitReport, Ending, Retry, StatusReporter};

#[cfg(test)]
mod tests;
