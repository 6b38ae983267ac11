//! Scratch git repositories: git with a fixed identity, no signing, and no system or
//! terminal configuration, so a test behaves the same on every machine.

use std::path::Path;
use std::process::Command;

/// Git failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// It could not start.
    #[error("cannot run git: {0}")]
    Spawn(#[from] std::io::Error),
    /// It exited with an error.
    #[error("git {args} in {dir} failed: {stderr}")]
    Failed {
        /// The arguments, joined.
        args: String,
        /// The directory it ran in.
        dir: String,
        /// What it said.
        stderr: String,
    },
}

/// Runs git in `dir`; its trimmed stdout.
pub fn try_git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Seamless Tests",
            "-c",
            "user.email=tests@seamless.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()?;
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            dir: dir.display().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// [`try_git`], panicking with git's stderr when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    try_git(dir, args).unwrap_or_else(|e| panic!("{e}"))
}

/// Makes `dir` a repository on `main` and commits what it holds; the commit.
pub fn try_init_and_commit(dir: &Path, message: &str) -> Result<String, GitError> {
    try_git(dir, &["init", "-q", "-b", "main"])?;
    try_commit_all(dir, message)
}

/// [`try_init_and_commit`], panicking when git fails.
pub fn init_and_commit(dir: &Path, message: &str) -> String {
    try_init_and_commit(dir, message).unwrap_or_else(|e| panic!("{e}"))
}

/// Commits everything in `dir` (new, changed and removed files); the commit.
pub fn try_commit_all(dir: &Path, message: &str) -> Result<String, GitError> {
    try_git(dir, &["add", "-A"])?;
    try_git(dir, &["commit", "-q", "--allow-empty", "-m", message])?;
    try_git(dir, &["rev-parse", "HEAD"])
}

/// [`try_commit_all`], panicking when git fails.
pub fn commit_all(dir: &Path, message: &str) -> String {
    try_commit_all(dir, message).unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_made_and_failures_carry_gits_message() {
        let dir = std::env::temp_dir().join(format!("seamless-git-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("a"), "a\n").unwrap_or_else(|e| panic!("{e}"));
        let first = init_and_commit(&dir, "one");
        assert_eq!(first.len(), 40, "{first}");
        assert_eq!(git(&dir, &["branch", "--show-current"]), "main");
        std::fs::remove_file(dir.join("a")).unwrap_or_else(|e| panic!("{e}"));
        let second = commit_all(&dir, "two");
        assert_ne!(first, second);
        assert_eq!(git(&dir, &["ls-files"]), "");
        let err = try_git(&dir, &["rev-parse", "no-such-ref"]).err();
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("git rev-parse no-such-ref"), "{err}");
        assert!(err.contains("no-such-ref"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
