//! Deploy records: one revision per deploy of a service to an environment.

/// One deploy of a service to an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Its id.
    pub id: String,
    /// The service.
    pub service: String,
    /// The environment.
    pub environment: String,
    /// The image reference.
    pub image: String,
    /// The image digest, if known.
    pub digest: Option<String>,
    /// The commit the image was built from.
    pub commit_sha: crate::commit::Commit,
    /// The run that deployed it.
    pub run_id: String,
    /// When the deploy started, in Unix milliseconds.
    pub started_at: i64,
    /// When it ended, in Unix milliseconds.
    pub finished_at: Option<i64>,
    /// `in-progress`, `success` or `failure`.
    pub result: String,
    /// Why a failed deploy failed.
    pub reason: Option<String>,
    /// Where the environment serves.
    pub endpoint: String,
}

impl Revision {
    /// Result of a deploy that has not ended.
    pub const IN_PROGRESS: &'static str = "in-progress";
    /// Result of a deploy that was switched over to.
    pub const SUCCESS: &'static str = "success";
    /// Result of a deploy that was abandoned.
    pub const FAILURE: &'static str = "failure";
}
