//! Each safety property, checked against real git in temporary directories.

#![allow(clippy::unwrap_used)]

use super::*;
use seamless_test_support::git::git as plain_git;

/// A repository with one commit of `file`, made with plain git (not through [`Git`]).
fn repo_with(file: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), "x").unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "--", file],
        &["commit", "-qm", "one"],
    ] {
        plain_git(dir.path(), args);
    }
    dir
}

/// Installs an executable script at `path` that creates `marker` when it runs.
fn marker_script(path: &Path, marker: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_repository_hook_does_not_run() {
    let repo = repo_with("a.txt");
    let marker = repo.path().join("hook-ran");
    marker_script(&repo.path().join(".git/hooks/post-checkout"), &marker);
    plain_git(repo.path(), &["checkout", "-q", "--detach", "HEAD"]);
    assert!(marker.exists(), "the hook runs under plain git");
    std::fs::remove_file(&marker).unwrap();

    Git::in_dir(repo.path(), "checkout")
        .args(["--quiet", "--detach"])
        .value("HEAD")
        .unwrap()
        .run()
        .unwrap();
    assert!(!marker.exists(), "the hook ran through Git");
}

#[test]
fn a_repository_fsmonitor_does_not_run() {
    let repo = repo_with("a.txt");
    let marker = repo.path().join("fsmonitor-ran");
    let script = repo.path().join(".git/fsmonitor.sh");
    marker_script(&script, &marker);
    plain_git(
        repo.path(),
        &["config", "core.fsmonitor", &script.to_string_lossy()],
    );
    plain_git(repo.path(), &["status", "--porcelain"]);
    assert!(marker.exists(), "the fsmonitor runs under plain git");
    std::fs::remove_file(&marker).unwrap();

    Git::in_dir(repo.path(), "status")
        .args(["--porcelain"])
        .run()
        .unwrap();
    assert!(!marker.exists(), "the fsmonitor ran through Git");
}

#[test]
fn git_sees_only_the_kept_environment() {
    let repo = repo_with("a.txt");
    // An alias that prints git's environment, set in the repository's own config.
    plain_git(repo.path(), &["config", "alias.show-env", "!env"]);
    assert!(
        std::env::var_os("CARGO_PKG_NAME").is_some(),
        "cargo sets it"
    );
    let env = Git::in_dir(repo.path(), "show-env").run().unwrap();
    let names: Vec<&str> = env.lines().filter_map(|l| l.split('=').next()).collect();
    assert!(!names.contains(&"CARGO_PKG_NAME"), "{env}");
    assert!(env.lines().any(|l| l == "GIT_TERMINAL_PROMPT=0"), "{env}");
    assert!(env.lines().any(|l| l == "GIT_CONFIG_NOSYSTEM=1"), "{env}");
}

#[test]
fn paths_after_the_separator_are_never_options() {
    let repo = repo_with("-v.txt");
    let listed = Git::in_dir(repo.path(), "ls-files")
        .paths(["-v.txt"])
        .run_trimmed()
        .unwrap();
    assert_eq!(listed, "-v.txt");
}

#[test]
fn a_value_that_looks_like_an_option_is_refused() {
    let err = Git::new("ls-remote")
        .value("--upload-pack=touch x")
        .unwrap_err();
    assert!(matches!(err, GitError::OptionLike(_)), "{err}");
    assert!(Git::new("ls-remote").value("file:///r").is_ok());
}

#[test]
fn a_failure_carries_the_subcommand_and_what_git_said() {
    let dir = tempfile::tempdir().unwrap();
    let err = Git::in_dir(dir.path(), "rev-parse")
        .args(["HEAD"])
        .run()
        .unwrap_err();
    let GitError::Failed { command, stderr } = &err else {
        panic!("{err}");
    };
    assert_eq!(command, "rev-parse");
    assert!(stderr.contains("not a git repository"), "{stderr}");
}

#[test]
fn a_bare_repository_is_read_through_its_git_dir() {
    let repo = repo_with("a.txt");
    let head = Git::on_git_dir(&repo.path().join(".git"), "rev-parse")
        .args(["HEAD"])
        .run_trimmed()
        .unwrap();
    assert_eq!(head.len(), 40, "{head}");
}
