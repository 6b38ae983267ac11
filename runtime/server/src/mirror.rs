//! Bare mirrors of the repositories that deliveries name, under
//! `<data-dir>/repos/<sanitized full name>.git`, used to list the files a push or a
//! pull request changed.
//!
//! The first use clones with `git clone --mirror` (into a temporary directory, renamed
//! into place only once complete); later uses `git fetch --prune`. One repository's
//! mirror is used by one request at a time.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seamless_git::{Git, GitError};
use tokio::process::Command;

/// How long one git command may take.
const GIT_TIMEOUT: Duration = Duration::from_secs(600);

/// The two commits to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range<'a> {
    /// What changed from `base` to `head` (a push: `before..after`).
    Between {
        /// The older commit.
        base: &'a str,
        /// The newer commit.
        head: &'a str,
    },
    /// What `head` changed since it forked from `base` (a pull request:
    /// `base...head`, as GitHub shows a pull request's files).
    SinceFork {
        /// The base branch's commit.
        base: &'a str,
        /// The pull request's head.
        head: &'a str,
    },
}

impl Range<'_> {
    fn spec(&self) -> String {
        match self {
            Range::Between { base, head } => format!("{base}..{head}"),
            Range::SinceFork { base, head } => format!("{base}...{head}"),
        }
    }
}

/// The mirrors of one data directory.
#[derive(Debug)]
pub struct Mirrors {
    root: PathBuf,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Mirrors {
    /// The mirrors kept under `<data_dir>/repos`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("repos"),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// Where the mirror of `repository` (`owner/name`) is kept.
    pub fn path(&self, repository: &str) -> PathBuf {
        self.root.join(format!("{}.git", sanitize(repository)))
    }

    /// The files (relative to the repository root) that differ over `range`, after
    /// bringing the mirror of `repository` up to date from `clone_url`.
    pub async fn changed_files(
        &self,
        repository: &str,
        clone_url: &str,
        range: Range<'_>,
    ) -> Result<Vec<String>, String> {
        let lock = self.lock(repository);
        let _held = lock.lock().await;
        let mirror = self.path(repository);
        if let Err(e) = self.sync(&mirror, clone_url).await {
            if !mirror.exists() {
                return Err(e);
            }
            // The commits may be there from an earlier fetch.
            tracing::warn!(repository, error = %e, "cannot update the mirror; using it as it is");
        }
        let diff = Git::on_git_dir(&mirror, "diff")
            .args(["--name-only", "--no-renames"])
            .value(range.spec())
            .map_err(|e| e.to_string())?
            .paths(std::iter::empty::<&str>());
        let out = run(diff).await?;
        Ok(out.lines().map(str::to_string).collect())
    }

    fn lock(&self, repository: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = match self.locks.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        locks.entry(repository.to_string()).or_default().clone()
    }

    async fn sync(&self, mirror: &Path, clone_url: &str) -> Result<(), String> {
        if mirror.exists() {
            run(Git::on_git_dir(mirror, "remote")
                .args(["set-url"])
                .paths(["origin", clone_url]))
            .await?;
            run(Git::on_git_dir(mirror, "fetch").args(["--prune", "--quiet", "origin"])).await?;
            return Ok(());
        }
        std::fs::create_dir_all(&self.root)
            .map_err(|e| format!("cannot create '{}': {e}", self.root.display()))?;
        let name = mirror
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = self.root.join(format!(
            ".tmp-{}-{}-{name}",
            std::process::id(),
            seamless_store::now_ms()
        ));
        let cloned = run(Git::new("clone")
            .args(["--mirror", "--quiet"])
            .paths([OsStr::new(clone_url), tmp.as_os_str()]))
        .await
        .and_then(|_| {
            std::fs::rename(&tmp, mirror)
                .map_err(|e| format!("cannot move the mirror into place: {e}"))
        });
        if cloned.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        cloned
    }
}

/// `owner/name` as one file name: characters other than ASCII letters, digits, `-`, `_`
/// and `.` become `_`, and a leading `.` becomes `_`.
pub fn sanitize(repository: &str) -> String {
    let mut name: String = repository
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with('.') {
        name.insert(0, '_');
    }
    name
}

/// Runs `git` as an async process that is killed when dropped or after
/// [`GIT_TIMEOUT`], and returns its stdout.
async fn run(git: Git) -> Result<String, String> {
    let mut command = Command::from(git.command());
    command.kill_on_drop(true);
    let out = tokio::time::timeout(GIT_TIMEOUT, command.output())
        .await
        .map_err(|_| format!("git {} took longer than {GIT_TIMEOUT:?}", git.subcommand()))?
        .map_err(|e| GitError::Missing(e).to_string())?;
    git.read_output(out).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    use seamless_test_support::git::git as sh_git;

    #[test]
    fn names_are_sanitized_into_one_file_name() {
        assert_eq!(sanitize("octo-org/shop"), "octo-org_shop");
        assert_eq!(sanitize("../etc"), "_.._etc");
        assert_eq!(sanitize(".hidden"), "_.hidden");
        assert_eq!(sanitize(""), "_");
        let m = Mirrors::new(Path::new("/data"));
        assert_eq!(
            m.path("octo-org/shop.js"),
            Path::new("/data/repos/octo-org_shop.js.git")
        );
    }

    #[tokio::test]
    async fn a_mirror_is_cloned_then_fetched_and_diffs_both_ways() {
        let repo = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        sh_git(repo.path(), &["init", "-q", "-b", "main"]);
        std::fs::write(repo.path().join("a.txt"), "1").unwrap();
        sh_git(repo.path(), &["add", "."]);
        sh_git(repo.path(), &["commit", "-qm", "one"]);
        let one = sh_git(repo.path(), &["rev-parse", "HEAD"]);
        std::fs::create_dir(repo.path().join("svc")).unwrap();
        std::fs::write(repo.path().join("svc/b.txt"), "2").unwrap();
        sh_git(repo.path(), &["add", "."]);
        sh_git(repo.path(), &["commit", "-qm", "two"]);
        let two = sh_git(repo.path(), &["rev-parse", "HEAD"]);
        let url = format!("file://{}", repo.path().display());

        let mirrors = Mirrors::new(data.path());
        let changed = mirrors
            .changed_files(
                "t/r",
                &url,
                Range::Between {
                    base: &one,
                    head: &two,
                },
            )
            .await
            .unwrap();
        assert_eq!(changed, ["svc/b.txt"]);
        assert!(mirrors.path("t/r").join("HEAD").exists());

        // A commit made after the clone is fetched.
        std::fs::write(repo.path().join("a.txt"), "3").unwrap();
        sh_git(repo.path(), &["commit", "-qam", "three"]);
        let three = sh_git(repo.path(), &["rev-parse", "HEAD"]);
        let changed = mirrors
            .changed_files(
                "t/r",
                &url,
                Range::SinceFork {
                    base: &two,
                    head: &three,
                },
            )
            .await
            .unwrap();
        assert_eq!(changed, ["a.txt"]);

        // An unknown commit is an error, not an empty list.
        let unknown = "0123456789012345678901234567890123456789";
        assert!(
            mirrors
                .changed_files(
                    "t/r",
                    &url,
                    Range::Between {
                        base: unknown,
                        head: &three
                    }
                )
                .await
                .is_err()
        );
    }
}
