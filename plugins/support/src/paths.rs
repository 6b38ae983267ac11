//! Where things are in the workspace, and which inputs a stage was handed.

use std::path::PathBuf;

use seamless_sdk::KeyValue;

/// Where the run's workspace appears, to the plugin (WASI) and in containers.
pub const WORKSPACE: &str = "/workspace";

/// The absolute directory of a service whose path is relative to the workspace
/// root (`.` or empty for the root).
pub fn service_dir(service_path: &str) -> String {
    let path = service_path.trim_start_matches("./").trim_matches('/');
    if path.is_empty() || path == "." {
        WORKSPACE.to_owned()
    } else {
        format!("{WORKSPACE}/{path}")
    }
}

/// A path from `[stage.with]`, taken from the service's directory unless it is
/// absolute, as an absolute path under `/workspace`. Fails when it leaves the
/// workspace.
pub fn in_service_dir(service_path: &str, path: &str) -> Result<PathBuf, String> {
    let rel = workspace_relative(service_path, path)?;
    Ok(PathBuf::from(if rel == "." {
        WORKSPACE.to_owned()
    } else {
        format!("{WORKSPACE}/{rel}")
    }))
}

/// `path` (relative to the workspace directory `base`, or absolute under
/// `/workspace`) as a path relative to the workspace root; `.` for the root. Fails
/// when it leaves the workspace.
pub fn workspace_relative(base: &str, path: &str) -> Result<String, String> {
    let joined = match path.strip_prefix("/workspace") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest.to_owned(),
        _ if path.starts_with('/') => {
            return Err(format!("`{path}` is outside the workspace"));
        }
        _ => format!("{base}/{path}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("`{path}` is outside the workspace"));
                }
            }
            p => parts.push(p),
        }
    }
    Ok(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

/// The one input whose key ends with `suffix` (such as `.image`), as `(key, value)`.
/// `Ok(None)` when there is none; an error naming them all when there are several.
pub fn single_input_ending<'a>(
    inputs: &'a [KeyValue],
    suffix: &str,
) -> Result<Option<(&'a str, &'a str)>, String> {
    let found: Vec<&KeyValue> = inputs
        .iter()
        .filter(|kv| kv.key.ends_with(suffix))
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((one.key.as_str(), one.value.as_str()))),
        many => Err(format!(
            "more than one input ends with `{suffix}` ({}); say which to use",
            many.iter()
                .map(|kv| kv.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The input `<stage>.<key>` next to an input key `<stage>.<other>`, such as the
/// `build.digest` that goes with `build.image`.
pub fn sibling_input<'a>(inputs: &'a [KeyValue], key: &str, sibling: &str) -> Option<&'a str> {
    let stage = key.rsplit_once('.').map_or("", |(stage, _)| stage);
    let wanted = format!("{stage}.{sibling}");
    inputs
        .iter()
        .find(|kv| kv.key == wanted)
        .map(|kv| kv.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(pairs: &[(&str, &str)]) -> Vec<KeyValue> {
        pairs.iter().map(|(k, v)| KeyValue::new(*k, *v)).collect()
    }

    #[test]
    fn root_and_nested_service_dirs() {
        assert_eq!(service_dir("."), "/workspace");
        assert_eq!(service_dir(""), "/workspace");
        assert_eq!(
            service_dir("./services/hello/"),
            "/workspace/services/hello"
        );
    }

    #[test]
    fn relative_paths_are_taken_from_the_service_dir() {
        let path = |s: &str| Ok(PathBuf::from(s));
        assert_eq!(
            in_service_dir("services/api", "./reports/junit.xml"),
            path("/workspace/services/api/reports/junit.xml")
        );
        assert_eq!(
            in_service_dir(".", "junit.xml"),
            path("/workspace/junit.xml")
        );
        assert_eq!(
            in_service_dir("services/api", "/workspace/out.xml"),
            path("/workspace/out.xml")
        );
        assert_eq!(
            in_service_dir("shop/gateway", "../reports"),
            path("/workspace/shop/reports")
        );
        assert!(in_service_dir("svc", "../../x").is_err());
    }

    #[test]
    fn single_input_is_found_missing_or_ambiguous() {
        let one = inputs(&[("build.image", "a:1"), ("build.digest", "sha256:x")]);
        assert_eq!(
            single_input_ending(&one, ".image"),
            Ok(Some(("build.image", "a:1")))
        );
        assert_eq!(single_input_ending(&one, ".nothing"), Ok(None));
        let two = inputs(&[("build.image", "a:1"), ("other.image", "b:2")]);
        let Err(err) = single_input_ending(&two, ".image") else {
            panic!("two `.image` inputs must be ambiguous");
        };
        assert!(err.contains("build.image, other.image"), "{err}");
    }

    #[test]
    fn sibling_input_shares_the_stage() {
        let all = inputs(&[
            ("build.image", "a:1"),
            ("build.digest", "sha256:x"),
            ("other.digest", "sha256:y"),
        ]);
        assert_eq!(
            sibling_input(&all, "build.image", "digest"),
            Some("sha256:x")
        );
        assert_eq!(sibling_input(&all, "rollback.image", "digest"), None);
    }

    #[test]
    fn paths_are_made_relative_to_the_workspace_root() {
        assert_eq!(
            workspace_relative("services/api", "./db"),
            Ok("services/api/db".into())
        );
        assert_eq!(
            workspace_relative("services/api", ".."),
            Ok("services".into())
        );
        assert_eq!(workspace_relative(".", "."), Ok(".".into()));
        assert_eq!(workspace_relative("svc", "/workspace/x"), Ok("x".into()));
        assert!(workspace_relative("svc", "../..").is_err());
        assert!(workspace_relative("svc", "/etc").is_err());
    }
}
