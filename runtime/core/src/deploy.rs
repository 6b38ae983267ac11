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

/// The reference to run: `repo@digest` when the digest is known, so the deploy runs
/// exactly what was pushed. A rollback checks that this reference can still be had.
pub fn pinned_image(image: &str, digest: Option<&str>) -> String {
    let Some(digest) = digest.filter(|d| d.starts_with("sha256:")) else {
        return image.to_string();
    };
    if image.contains('@') {
        return image.to_string();
    }
    let (path, last) = image.rsplit_once('/').unwrap_or(("", image));
    let name = last.split(':').next().unwrap_or(last);
    if path.is_empty() {
        format!("{name}@{digest}")
    } else {
        format!("{path}/{name}@{digest}")
    }
}

#[cfg(test)]
mod tests {
    use super::pinned_image;

    #[test]
    fn a_known_digest_pins_the_image() {
        let d = "sha256:abc";
        assert_eq!(
            pinned_image("127.0.0.1:5001/shop/web:3f2a", Some(d)),
            "127.0.0.1:5001/shop/web@sha256:abc"
        );
        assert_eq!(pinned_image("web:1", Some(d)), "web@sha256:abc");
        assert_eq!(pinned_image("web:1", None), "web:1");
        assert_eq!(pinned_image("web@sha256:x", Some(d)), "web@sha256:x");
    }
}
