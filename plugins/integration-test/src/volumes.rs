//! Compose bind mounts of workspace directories. Containers here can only mount the
//! whole workspace, at `/workspace`; so a service that binds a workspace directory
//! gets the workspace mounted, and a `working_dir` inside a bind target is moved to
//! the same place under `/workspace`.

use docker_compose_types::Volumes;
use plugin_support::paths;

/// A workspace directory a service binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// Where the Compose file mounts it in the container, such as `/shop`.
    pub target: String,
    /// The directory, relative to the workspace root (`.` for the root).
    pub source: String,
}

/// The workspace binds among `volumes` (sources relative to `compose_dir`). Named
/// and anonymous volumes, and sources outside the workspace, are left out with a
/// warning.
pub fn binds(
    volumes: &[Volumes],
    compose_dir: &str,
    service: &str,
    warnings: &mut Vec<String>,
) -> Vec<Bind> {
    let mut out = Vec::new();
    for volume in volumes {
        let (source, target) = match volume {
            Volumes::Simple(spec) => {
                let mut parts = spec.split(':');
                match (parts.next(), parts.next()) {
                    (Some(src), Some(dst)) if src.starts_with(['.', '/']) => (src, dst),
                    _ => {
                        warnings.push(format!(
                            "service `{service}`: volume `{spec}` is left out; only binds of workspace directories are supported"
                        ));
                        continue;
                    }
                }
            }
            Volumes::Advanced(v) => match (&v.source, v._type.as_str()) {
                (Some(src), "bind") => (src.as_str(), v.target.as_str()),
                _ => {
                    warnings.push(format!(
                        "service `{service}`: the {} volume at `{}` is left out; only binds of workspace directories are supported",
                        v._type, v.target
                    ));
                    continue;
                }
            },
        };
        match paths::workspace_relative(compose_dir, source) {
            Ok(source) => out.push(Bind {
                target: target.trim_end_matches('/').to_owned(),
                source,
            }),
            Err(e) => warnings.push(format!("service `{service}`: volume left out: {e}")),
        }
    }
    out
}

/// `path` inside a bind target, moved to the same place under `/workspace`;
/// `None` when it is inside none.
pub fn rewrite(path: &str, binds: &[Bind]) -> Option<String> {
    binds.iter().find_map(|b| {
        let rest = path.strip_prefix(b.target.as_str())?;
        if !rest.is_empty() && !rest.starts_with('/') {
            return None;
        }
        let base = if b.source == "." {
            paths::WORKSPACE.to_owned()
        } else {
            format!("{}/{}", paths::WORKSPACE, b.source)
        };
        Some(format!("{base}{rest}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volumes(yaml: &str) -> Vec<Volumes> {
        serde_norway::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn workspace_binds_are_kept_and_others_warned_about() {
        let mut warnings = Vec::new();
        let v = volumes(
            "- ./:/shop\n- ./data:/data:ro\n- pgdata:/var/lib/postgresql\n- /etc:/host-etc\n\
             - type: bind\n  source: ../tools\n  target: /tools\n\
             - type: volume\n  source: cache\n  target: /cache\n",
        );
        let b = binds(&v, "examples/shop", "tests", &mut warnings);
        let pairs: Vec<(&str, &str)> = b
            .iter()
            .map(|b| (b.target.as_str(), b.source.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("/shop", "examples/shop"),
                ("/data", "examples/shop/data"),
                ("/tools", "examples/tools"),
            ]
        );
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].contains("`pgdata:/var/lib/postgresql`"));
        assert!(warnings[1].contains("outside the workspace"));
    }

    #[test]
    fn paths_inside_a_bind_move_under_the_workspace() {
        let b = vec![
            Bind {
                target: "/shop".into(),
                source: "examples/shop".into(),
            },
            Bind {
                target: "/root".into(),
                source: ".".into(),
            },
        ];
        assert_eq!(
            rewrite("/shop", &b).as_deref(),
            Some("/workspace/examples/shop")
        );
        assert_eq!(
            rewrite("/shop/reports", &b).as_deref(),
            Some("/workspace/examples/shop/reports")
        );
        assert_eq!(rewrite("/root/x", &b).as_deref(), Some("/workspace/x"));
        assert_eq!(rewrite("/shopping", &b), None);
        assert_eq!(rewrite("/app", &b), None);
    }
}
