//! Puts a run's source into its workspace: a copy of a directory, or a git clone at
//! the run's commit. Used by `source.checkout`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use seamless_core::commit::Commit;
use seamless_git::Git;

use crate::invocation::SourceSpec;

/// What a checkout put into the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The commit now in the workspace (the run's commit for a directory copy).
    pub commit_sha: Commit,
    /// Files written.
    pub files: u32,
}

/// Why a checkout failed; the message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CheckoutError(pub String);

/// Empties `workspace` and fills it from `source` at `commit` (ignored for a
/// directory, which is copied as it is).
pub fn checkout(
    source: &SourceSpec,
    commit: &Commit,
    workspace: &Path,
) -> Result<Checkout, CheckoutError> {
    empty_dir(workspace)?;
    match source {
        SourceSpec::Directory(dir) => {
            let files = copy_directory(dir, workspace)?;
            Ok(Checkout {
                commit_sha: commit.clone(),
                files,
            })
        }
        SourceSpec::Git(url) => clone(url, commit, workspace),
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> CheckoutError {
    CheckoutError(format!("cannot {what} '{}': {e}", path.display()))
}

/// Removes everything inside `dir`, creating it if needed.
fn empty_dir(dir: &Path) -> Result<(), CheckoutError> {
    std::fs::create_dir_all(dir).map_err(|e| io_error("create", dir, e))?;
    for entry in std::fs::read_dir(dir).map_err(|e| io_error("read", dir, e))? {
        let path = entry.map_err(|e| io_error("read", dir, e))?.path();
        let result = if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        result.map_err(|e| io_error("remove", &path, e))?;
    }
    Ok(())
}

/// Runs `git` and turns its failure into a checkout error.
fn run(git: &Git) -> Result<String, CheckoutError> {
    git.run().map_err(|e| CheckoutError(e.to_string()))
}

/// The files to copy from `dir`: what git tracks or would track there, or every file
/// outside `.git` when `dir` is not in a git work tree.
fn files_of(dir: &Path) -> Result<Vec<PathBuf>, CheckoutError> {
    let in_git = Git::in_dir(dir, "rev-parse")
        .args(["--is-inside-work-tree"])
        .run()
        .is_ok_and(|out| out.trim() == "true");
    if in_git {
        let listed = run(&Git::in_dir(dir, "ls-files")
            .args(["-z", "--cached", "--others", "--exclude-standard"])
            .paths(std::iter::empty::<&str>()))?;
        return Ok(listed
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect());
    }
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let here = dir.join(&relative);
        for entry in std::fs::read_dir(&here).map_err(|e| io_error("read", &here, e))? {
            let entry = entry.map_err(|e| io_error("read", &here, e))?;
            let name = entry.file_name();
            if name == ".git" {
                continue;
            }
            let path = relative.join(&name);
            let kind = entry.file_type().map_err(|e| io_error("read", &here, e))?;
            if kind.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn copy_directory(dir: &Path, workspace: &Path) -> Result<u32, CheckoutError> {
    if !dir.is_dir() {
        return Err(CheckoutError(format!(
            "source directory '{}' does not exist",
            dir.display()
        )));
    }
    let mut count = 0u32;
    for relative in files_of(dir)? {
        let from = dir.join(&relative);
        let to = workspace.join(&relative);
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            // Listed by git but deleted in the work tree: it is not part of the copy.
            continue;
        };
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error("create", parent, e))?;
        }
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&from).map_err(|e| io_error("read", &from, e))?;
            std::os::unix::fs::symlink(&target, &to).map_err(|e| io_error("write", &to, e))?;
        } else if meta.is_file() {
            std::fs::copy(&from, &to).map_err(|e| io_error("copy", &from, e))?;
        } else {
            continue;
        }
        count += 1;
    }
    Ok(count)
}

fn clone(url: &str, commit: &Commit, workspace: &Path) -> Result<Checkout, CheckoutError> {
    let Some(wanted) = commit.git_id() else {
        return Err(CheckoutError(format!(
            "commit '{commit}' is not a git commit, so it cannot be checked out of {url}; \
             run with the commit of a branch the repository has"
        )));
    };
    if !commit.is_clean() {
        return Err(CheckoutError(format!(
            "commit '{commit}' has uncommitted changes, which {url} cannot have; commit and \
             push them, or run the directory instead of the repository"
        )));
    }
    run(&Git::new("clone")
        .args(["--quiet", "--no-checkout"])
        .paths([OsStr::new(url), workspace.as_os_str()]))?;
    Git::in_dir(workspace, "checkout")
        .args(["--quiet", "--detach"])
        .value(wanted)
        .and_then(|git| git.run())
        .map_err(|e| {
            CheckoutError(format!(
                "commit '{wanted}' cannot be checked out of {url}: {e}; push it, or run with the \
             commit of a branch the repository has"
            ))
        })?;
    let head = run(&Git::in_dir(workspace, "rev-parse").args(["HEAD"]))?;
    let commit_sha = Commit::parse(head.trim())
        .map_err(|e| CheckoutError(format!("the checkout of {url} has an unexpected HEAD: {e}")))?;
    let listed = run(&Git::in_dir(workspace, "ls-files").args(["-z"]))?;
    let files = listed.split('\0').filter(|p| !p.is_empty()).count();
    Ok(Checkout {
        commit_sha,
        files: u32::try_from(files).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use seamless_test_support::git::git;

    use seamless_test_support::fs::write;

    #[test]
    fn a_plain_directory_is_copied_without_git_and_the_workspace_is_emptied_first() {
        let src = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        write(&src.path().join("a.txt"), "a");
        write(&src.path().join("sub/b.txt"), "b");
        write(&src.path().join(".git/config"), "not a repo");
        write(&ws.path().join("stale.txt"), "old");
        let out = checkout(
            &SourceSpec::Directory(src.path().to_path_buf()),
            &Commit::local(7),
            ws.path(),
        )
        .unwrap();
        assert_eq!(out.files, 2);
        assert_eq!(out.commit_sha, Commit::local(7));
        assert_eq!(
            std::fs::read_to_string(ws.path().join("sub/b.txt")).unwrap(),
            "b"
        );
        assert!(!ws.path().join("stale.txt").exists());
        assert!(!ws.path().join(".git").exists());
    }

    #[test]
    fn a_git_directory_is_copied_without_ignored_files() {
        let src = tempfile::tempdir().unwrap();
        git(src.path(), &["init", "-q"]);
        write(&src.path().join(".gitignore"), "target/\n");
        write(&src.path().join("app.py"), "print(1)");
        write(&src.path().join("target/big.bin"), "x");
        write(&src.path().join("new.txt"), "untracked but not ignored");
        git(src.path(), &["add", ".gitignore", "app.py"]);
        git(src.path(), &["commit", "-qm", "one"]);
        let ws = tempfile::tempdir().unwrap();
        let out = checkout(
            &SourceSpec::Directory(src.path().to_path_buf()),
            &Commit::local(1),
            ws.path(),
        )
        .unwrap();
        assert_eq!(out.files, 3);
        assert!(ws.path().join("new.txt").exists());
        assert!(!ws.path().join("target").exists());
    }

    #[test]
    fn a_git_url_is_cloned_at_the_commit() {
        let repo = tempfile::tempdir().unwrap();
        git(repo.path(), &["init", "-q", "-b", "main"]);
        write(&repo.path().join("v.txt"), "one");
        git(repo.path(), &["add", "."]);
        git(repo.path(), &["commit", "-qm", "one"]);
        let first = run(&Git::in_dir(repo.path(), "rev-parse").args(["HEAD"])).unwrap();
        write(&repo.path().join("v.txt"), "two");
        git(repo.path(), &["commit", "-qam", "two"]);

        let ws = tempfile::tempdir().unwrap();
        let url = format!("file://{}", repo.path().display());
        let first = Commit::parse(first.trim()).unwrap();
        let out = checkout(&SourceSpec::Git(url.clone()), &first, ws.path()).unwrap();
        assert_eq!(out.commit_sha, first);
        assert_eq!(
            std::fs::read_to_string(ws.path().join("v.txt")).unwrap(),
            "one"
        );

        let unknown = Commit::parse(&"0123456789abcdef".repeat(5)[..40]).unwrap();
        let error = checkout(&SourceSpec::Git(url.clone()), &unknown, ws.path()).unwrap_err();
        assert!(error.0.contains("cannot be checked out"), "{error}");

        let dirty = Commit::dirty(&first, 1);
        let error = checkout(&SourceSpec::Git(url), &dirty, ws.path()).unwrap_err();
        assert!(error.0.contains("uncommitted changes"), "{error}");
    }
}
