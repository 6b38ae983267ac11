//! The commit a run builds.

use std::path::Path;
use std::process::Command;

/// The checked-out commit of the repository at `dir` (40 hex digits). Outside a git
/// repository, `local-` plus a digest of the directory listing and modification
/// times, so an image tag still changes when the files do.
pub fn commit_sha(dir: &Path) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output();
    if let Ok(out) = out
        && out.status.success()
    {
        let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return sha;
        }
    }
    format!("local-{:016x}", listing_digest(dir))
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
