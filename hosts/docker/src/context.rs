//! Packs a build context directory into an in-memory tar for `POST /build`.
//!
//! `.dockerignore` is not honoured: every file under the context goes to the engine.
//! Symbolic links are stored as links, not followed.

use seamless_host_api::HostError;
use std::path::{Component, Path};

/// Checks that `dockerfile` is a relative path inside `context_dir` naming a file.
pub(crate) fn check_dockerfile(context_dir: &Path, dockerfile: &str) -> Result<(), HostError> {
    let relative = Path::new(dockerfile);
    let inside = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if dockerfile.is_empty() || !inside {
        return Err(HostError::Invalid(format!(
            "dockerfile '{dockerfile}' must be a relative path inside the build context"
        )));
    }
    if !context_dir.join(relative).is_file() {
        return Err(HostError::Invalid(format!(
            "dockerfile '{dockerfile}' not found in build context '{}'; create it or fix the path",
            context_dir.display()
        )));
    }
    Ok(())
}

/// Returns the context directory as an uncompressed tar archive.
pub(crate) fn tar_context(context_dir: &Path) -> Result<Vec<u8>, HostError> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder
        .append_dir_all(".", context_dir)
        .and_then(|()| builder.into_inner())
        .map_err(|err| {
            HostError::Invalid(format!(
                "cannot read build context '{}': {err}",
                context_dir.display()
            ))
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn context_tar_holds_nested_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.txt"), "x").unwrap();
        let bytes = tar_context(dir.path()).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert!(names.iter().any(|n| n.ends_with("Dockerfile")), "{names:?}");
        assert!(
            names.iter().any(|n| n.ends_with("src/main.txt")),
            "{names:?}"
        );
    }

    #[test]
    fn dockerfile_outside_the_context_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_dockerfile(dir.path(), "../Dockerfile").unwrap_err();
        assert!(err.to_string().contains("'../Dockerfile'"), "{err}");
    }

    #[test]
    fn missing_dockerfile_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_dockerfile(dir.path(), "Dockerfile.ci").unwrap_err();
        assert!(
            err.to_string().contains("'Dockerfile.ci' not found"),
            "{err}"
        );
    }
}
