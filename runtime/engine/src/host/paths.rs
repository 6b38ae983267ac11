//! Checks on workspace-relative paths a plugin passes in.

use std::path::{Component, Path};

/// Whether `p` is relative and stays inside the directory it is relative to.
pub(crate) fn is_contained(p: &str) -> bool {
    let path = Path::new(p);
    !path.is_absolute()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::is_contained;

    #[test]
    fn paths_that_escape_the_workspace_are_refused() {
        assert!(is_contained("."));
        assert!(is_contained("services/api"));
        assert!(!is_contained("../etc"));
        assert!(!is_contained("a/../../b"));
        assert!(!is_contained("/etc"));
    }
}
