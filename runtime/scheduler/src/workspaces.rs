//! Run workspaces: one directory per run under `<data>/workspaces/<run-id>`, so two
//! runs of one commit never share files. Old ones are removed, newest kept.

use std::path::{Path, PathBuf};

/// The workspace directory of a run.
pub fn path(data_dir: &Path, run_id: &str) -> PathBuf {
    data_dir.join("workspaces").join(run_id)
}

/// Creates the (empty) workspace of a run.
pub fn create(data_dir: &Path, run_id: &str) -> std::io::Result<PathBuf> {
    let dir = path(data_dir, run_id);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Removes all but the `keep` newest run workspaces, never one in `active`. Returns
/// the removed directories.
pub fn prune(data_dir: &Path, keep: usize, active: &[String]) -> Vec<PathBuf> {
    let root = data_dir.join("workspaces");
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut dirs: Vec<(std::time::SystemTime, PathBuf, String)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| {
            let modified = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (
                modified,
                e.path(),
                e.file_name().to_string_lossy().into_owned(),
            )
        })
        .collect();
    // Newest first; run ids are time-ordered UUIDs, which break ties.
    dirs.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.2.cmp(&a.2)));
    let mut removed = Vec::new();
    for (_, dir, name) in dirs.into_iter().skip(keep) {
        if active.contains(&name) {
            continue;
        }
        if std::fs::remove_dir_all(&dir).is_ok() {
            removed.push(dir);
        }
    }
    removed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prune_keeps_the_newest_and_the_active_ones() {
        let data = tempfile::tempdir().unwrap();
        for id in ["a", "b", "c", "d"] {
            create(data.path(), id).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let removed = prune(data.path(), 2, &["a".to_string()]);
        assert_eq!(removed, [path(data.path(), "b")]);
        for id in ["a", "c", "d"] {
            assert!(path(data.path(), id).is_dir(), "{id} must be kept");
        }
    }
}
