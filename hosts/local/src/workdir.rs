//! Maps a container working directory onto the host.
//!
//! A local process sees the host file system, so a working directory given as a path
//! inside the workspace mount (`/workspace/app`) becomes the same place under the
//! workspace's host path.

use seamless_host_api::ContainerSpec;
use std::path::PathBuf;

/// The host directory a process for `spec` starts in, or `None` to inherit the
/// runtime's own.
///
/// - A `workdir` under the workspace's `container_path` maps to the host path joined
///   with the remainder.
/// - Any other `workdir` is taken as a host path.
/// - Without a `workdir`, the workspace's host path is used.
pub(crate) fn host_workdir(spec: &ContainerSpec) -> Option<PathBuf> {
    match (&spec.workdir, &spec.workspace) {
        (Some(workdir), Some(ws)) => Some(match inside(workdir, &ws.container_path) {
            Some("") => ws.host_path.clone(),
            Some(rest) => ws.host_path.join(rest),
            None => PathBuf::from(workdir),
        }),
        (Some(workdir), None) => Some(PathBuf::from(workdir)),
        (None, Some(ws)) => Some(ws.host_path.clone()),
        (None, None) => None,
    }
}

/// The part of `path` below `base`, if `path` is `base` or inside it.
fn inside<'a>(path: &'a str, base: &str) -> Option<&'a str> {
    let base = base.trim_end_matches('/');
    let rest = path.strip_prefix(base)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/').map(|r| r.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seamless_host_api::WorkspaceMount;
    use std::path::Path;

    fn with(workdir: Option<&str>, workspace: bool) -> ContainerSpec {
        ContainerSpec {
            workdir: workdir.map(str::to_string),
            workspace: workspace.then(|| WorkspaceMount {
                host_path: PathBuf::from("/srv/ws"),
                container_path: "/workspace".to_string(),
                read_only: false,
            }),
            ..ContainerSpec::default()
        }
    }

    #[test]
    fn workdir_inside_the_workspace_maps_to_the_host_path() {
        let dir = host_workdir(&with(Some("/workspace/app/src"), true));
        assert_eq!(dir.as_deref(), Some(Path::new("/srv/ws/app/src")));
    }

    #[test]
    fn workdir_equal_to_the_mount_is_the_host_path() {
        let dir = host_workdir(&with(Some("/workspace/"), true));
        assert_eq!(dir.as_deref(), Some(Path::new("/srv/ws")));
    }

    #[test]
    fn similar_prefix_is_not_inside_the_workspace() {
        let dir = host_workdir(&with(Some("/workspace2/x"), true));
        assert_eq!(dir.as_deref(), Some(Path::new("/workspace2/x")));
    }

    #[test]
    fn no_workdir_means_the_workspace() {
        let dir = host_workdir(&with(None, true));
        assert_eq!(dir.as_deref(), Some(Path::new("/srv/ws")));
    }

    #[test]
    fn nothing_given_inherits_the_current_directory() {
        assert_eq!(host_workdir(&with(None, false)), None);
    }
}
