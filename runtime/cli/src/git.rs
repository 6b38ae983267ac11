//! The commit a run builds.

use std::path::Path;

use seamless_core::commit::Commit;
use seamless_git::Git;

/// The checked-out commit of the repository at `dir`, with `-dirty-<digest>` when the
/// work tree has uncommitted changes (a run copies the work tree, so its images must
/// not carry the clean commit's name). Outside a git repository, `local-` plus a
/// digest of the directory listing and modification times, so an image tag still
/// changes when the files do. See [`Commit`].
pub fn commit_sha(dir: &Path) -> Commit {
    let head = clean_commit(dir);
    match (head, dirty_digest(dir)) {
        (Some(sha), Some(digest)) => Commit::dirty(&sha, digest),
        (Some(sha), None) => sha,
        (None, _) => Commit::local(listing_digest(dir)),
    }
}

/// A digest of the uncommitted changes of the work tree at `dir`, if it has any.
fn dirty_digest(dir: &Path) -> Option<u32> {
    use std::hash::{Hash, Hasher};
    let status = Git::in_dir(dir, "status")
        .args(["--porcelain", "--untracked-files=all"])
        .paths(["."])
        .run_trimmed()
        .ok()?;
    if status.is_empty() {
        return None;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    Git::in_dir(dir, "diff")
        .args(["HEAD"])
        .paths(["."])
        .run_trimmed()
        .ok()?
        .hash(&mut h);
    let untracked = Git::in_dir(dir, "ls-files")
        .args(["--others", "--exclude-standard"])
        .paths(["."])
        .run_trimmed()
        .ok()?;
    for file in untracked.lines() {
        file.hash(&mut h);
        if let Ok(bytes) = std::fs::read(dir.join(file)) {
            bytes.hash(&mut h);
        }
    }
    Some(h.finish() as u32)
}

/// The checked-out commit of the repository at `dir`, if it is one.
fn clean_commit(dir: &Path) -> Option<Commit> {
    let sha = Git::in_dir(dir, "rev-parse")
        .args(["HEAD"])
        .run_trimmed()
        .ok()?;
    Commit::git(&sha).ok()
}

/// The checked-out branch of the repository at `dir`, if it is on one.
pub fn branch(dir: &Path) -> Option<String> {
    Git::in_dir(dir, "symbolic-ref")
        .args(["--quiet", "--short", "HEAD"])
        .run_trimmed()
        .ok()
        .filter(|b| !b.is_empty())
}

/// The commit `rev` names in the remote repository at `url`: `rev` itself when it is
/// a full commit id, else the branch or tag of that name (`HEAD` when `rev` is `None`).
pub fn remote_commit(url: &str, rev: Option<&str>) -> Result<Commit, String> {
    if let Some(commit) = rev.and_then(|r| Commit::git(r).ok()) {
        return Ok(commit);
    }
    let rev = rev.unwrap_or("HEAD");
    let out = Git::new("ls-remote")
        .value(url)
        .and_then(|git| git.value(rev))
        .and_then(|git| git.run_trimmed())
        .map_err(|e| e.to_string())?;
    let sha = out.split_whitespace().next().ok_or_else(|| {
        format!(
            "'{url}' has no branch or tag '{rev}'; give a branch, a tag or the full \
             40-digit commit id"
        )
    })?;
    Commit::git(sha).map_err(|e| format!("'{url}' answered with {e}"))
}

/// Files (relative to the repository root, `/`-separated) that differ between
/// commits `base` and `head` of the repository at `dir`, as paths relative to `dir`.
pub fn changed_files(dir: &Path, base: &str, head: &Commit) -> Result<Vec<String>, String> {
    let prefix = Git::in_dir(dir, "rev-parse")
        .args(["--show-prefix"])
        .run_trimmed()
        .map_err(|e| e.to_string())?;
    // A dirty work tree's changes are on top of its commit; outside git there is none.
    let head = head.git_id().unwrap_or("HEAD");
    let out = Git::in_dir(dir, "diff")
        .args(["--name-only", "--no-renames"])
        .value(format!("{base}..{head}"))
        .and_then(|git| git.paths(std::iter::empty::<&str>()).run_trimmed())
        .map_err(|e| e.to_string())?;
    Ok(out
        .lines()
        .filter_map(|path| path.strip_prefix(prefix.as_str()))
        .map(str::to_owned)
        .collect())
}

fn listing_digest(dir: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut stack = vec![dir.to_owned()];
    let mut seen = 0usize;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            seen += 1;
            if seen > 10_000 {
                return h.finish();
            }
            e.file_name().hash(&mut h);
            if let Ok(meta) = e.metadata() {
                meta.len().hash(&mut h);
                if let Ok(m) = meta.modified() {
                    m.hash(&mut h);
                }
                if meta.is_dir() {
                    stack.push(e.path());
                }
            }
        }
    }
    h.finish()
}
