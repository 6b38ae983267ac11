//! `seamless doctor`: checks what runs need and names the fix for each problem: the
//! Docker engine and its API version, the registry that seamless.toml pushes images
//! to, the data directory, the compiled-plugin cache, the `wasm32-wasip2` target (to
//! build plugins) and free disk space. Exits 1 when a check fails; a warning does not.

use crate::args::DoctorArgs;
use crate::output;
use seamless_bundle::registry::{Registry, RegistryError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The oldest Docker engine API the Docker host speaks.
const MIN_DOCKER_API: (u32, u32) = (1, 41);
/// Below this much free space a run fails to build or check out; below
/// [`LOW_DISK_BYTES`] it is worth a warning.
const MIN_DISK_BYTES: u64 = 1 << 30;
const LOW_DISK_BYTES: u64 = 5 << 30;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but something is missing or low.
    Warn,
    /// Runs will fail until it is fixed.
    Fail,
}

/// One check, as the text and the JSON output show it.
#[derive(Debug, serde::Serialize)]
pub struct Check {
    /// What was checked, such as `docker`.
    pub name: &'static str,
    /// How it came out.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about a warning or a failure.
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn bad(name: &'static str, status: Status, detail: String, fix: impl Into<String>) -> Self {
        Self {
            name,
            status,
            detail,
            fix: Some(fix.into()),
        }
    }
}

/// Runs every check and prints them.
pub async fn doctor(args: &DoctorArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let mut checks = vec![docker().await, registry(&args.path).await];
    match crate::data_dir::resolve(data_dir) {
        Ok(dir) => {
            checks.push(data_directory(&dir));
            checks.push(plugin_cache(&dir));
            checks.push(disk_space(&dir));
        }
        Err(e) => checks.push(Check::bad(
            "data-dir",
            Status::Fail,
            format!("{e:#}"),
            "give a writable directory with --data-dir or $SEAMLESS_DATA_DIR",
        )),
    }
    checks.push(wasm_target());
    if args.output.is_json() {
        output::json(&checks)?;
    } else {
        for c in &checks {
            let status = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            println!("{status}  {:<10}  {}", c.name, c.detail);
            if let Some(fix) = &c.fix {
                println!("      {:<10}  fix: {fix}", "");
            }
        }
    }
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `1.43` as `(1, 43)`.
fn api_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

async fn docker() -> Check {
    const START: &str = "start the engine (as root: `dockerd > /tmp/dockerd.log 2>&1 &`) or \
                         set DOCKER_HOST; without it runs use `--host local`, without isolation";
    let connected = match bollard::Docker::connect_with_local_defaults() {
        Ok(d) => d.negotiate_version().await,
        Err(e) => Err(e),
    };
    let version = match connected {
        Ok(docker) => docker.version().await,
        Err(e) => Err(e),
    };
    match version {
        Ok(v) => {
            let api = v.api_version.unwrap_or_default();
            let engine = v.version.unwrap_or_else(|| "?".into());
            let detail = format!("engine {engine}, API {api}");
            match api_version(&api) {
                Some(found) if found >= MIN_DOCKER_API => Check::ok("docker", detail),
                _ => Check::bad(
                    "docker",
                    Status::Fail,
                    detail,
                    format!(
                        "upgrade the Docker engine to API {}.{} or newer",
                        MIN_DOCKER_API.0, MIN_DOCKER_API.1
                    ),
                ),
            }
        }
        Err(e) => Check::bad(
            "docker",
            Status::Fail,
            format!("no Docker engine answers: {e}"),
            START,
        ),
    }
}

/// The registry seamless.toml pushes built images to: its catalog must answer.
async fn registry(config: &Path) -> Check {
    let config = match seamless_core::config::load(config) {
        Ok(c) => c,
        Err(_) => {
            return Check::ok(
                "registry",
                "not checked: no valid seamless.toml here (`seamless validate` says why)",
            );
        }
    };
    let Some(registry) = config.registry else {
        return Check::ok(
            "registry",
            "not checked: seamless.toml names no `registry` (images stay local)",
        );
    };
    let host = registry.split('/').next().unwrap_or(&registry).to_string();
    let probe =
        match seamless_bundle::registry::parse_reference(&format!("{host}/seamless-doctor:latest"))
        {
            Ok(p) => p,
            Err(e) => {
                return Check::bad(
                    "registry",
                    Status::Fail,
                    format!("'{registry}': {e}"),
                    "fix `registry` in seamless.toml (host[:port][/path])",
                );
            }
        };
    let client = match Registry::for_registry(probe.registry()).await {
        Ok(c) => c,
        Err(e) => {
            return Check::bad(
                "registry",
                Status::Fail,
                format!("{host}: {e}"),
                "fix or remove the CA file it names",
            );
        }
    };
    match client.repositories(&probe).await {
        Ok(repos) => Check::ok(
            "registry",
            format!("{host} answers ({} repositories)", repos.len()),
        ),
        // Its certificate is not trusted: nothing will reach it until it is.
        Err(RegistryError::Untrusted(u)) => Check::bad(
            "registry",
            Status::Fail,
            format!("{host}: {u}"),
            format!(
                "set SEAMLESS_REGISTRY_CA to its CA certificate (PEM), or put it in \
                 {}/{}/ca.crt (Docker's convention; the engine reads /etc/docker/certs.d)",
                u.certs_dir, u.registry
            ),
        ),
        // A registry without a catalog (or one that needs other credentials) may
        // still take pushes, so this is a warning.
        Err(e) => Check::bad(
            "registry",
            Status::Warn,
            format!("{host} does not list its repositories: {e}"),
            format!(
                "start the registry, or log in (`docker login {host}`, or \
                 SEAMLESS_REGISTRY_USERNAME/PASSWORD)"
            ),
        ),
    }
}

/// Whether `dir` takes a new file.
fn writable(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".seamless-doctor-{}", std::process::id()));
    std::fs::write(&probe, b"ok")?;
    std::fs::remove_file(&probe)
}

fn data_directory(dir: &Path) -> Check {
    if let Err(e) = writable(dir) {
        return Check::bad(
            "data-dir",
            Status::Fail,
            format!("{} is not writable: {e}", dir.display()),
            "give a writable directory with --data-dir or $SEAMLESS_DATA_DIR",
        );
    }
    match seamless_store::Store::open(dir) {
        Ok(_) => Check::ok("data-dir", format!("{} (store opens)", dir.display())),
        Err(e) => Check::bad(
            "data-dir",
            Status::Fail,
            format!("the store in {} does not open: {e}", dir.display()),
            "move the damaged seamless.db aside, or use another --data-dir",
        ),
    }
}

fn plugin_cache(dir: &Path) -> Check {
    // Where `seamless run` keeps compiled components (see `commands::session`).
    let cache = dir.join("cache").join("components");
    if let Err(e) = writable(&cache) {
        return Check::bad(
            "cache",
            Status::Fail,
            format!("{} is not writable: {e}", cache.display()),
            format!("make {} writable, or delete it", cache.display()),
        );
    }
    let entries = std::fs::read_dir(&cache).map_or(0, Iterator::count);
    Check::ok(
        "cache",
        format!("{} ({entries} compiled components)", cache.display()),
    )
}

fn disk_space(dir: &Path) -> Check {
    let stat = match rustix::fs::statvfs(dir) {
        Ok(s) => s,
        Err(e) => {
            return Check::bad(
                "disk",
                Status::Warn,
                format!("cannot read the free space of {}: {e}", dir.display()),
                "check the file system of the data directory",
            );
        }
    };
    let free = stat.f_bavail.saturating_mul(stat.f_frsize);
    let detail = format!("{:.1} GiB free for {}", gib(free), dir.display());
    let fix = "free space (`docker system prune`, old run workspaces) or use another --data-dir";
    if free < MIN_DISK_BYTES {
        Check::bad("disk", Status::Fail, detail, fix)
    } else if free < LOW_DISK_BYTES {
        Check::bad("disk", Status::Warn, detail, fix)
    } else {
        Check::ok("disk", detail)
    }
}

#[allow(clippy::cast_precision_loss)]
fn gib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1u32 << 30)
}

/// The Rust target plugins are built for; runs need it only to build plugins.
fn wasm_target() -> Check {
    const FIX: &str = "rustup target add wasm32-wasip2 (needed to build Rust plugins)";
    match std::process::Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
    {
        Ok(out) if out.status.success() => {
            let listed = String::from_utf8_lossy(&out.stdout);
            if listed.lines().any(|l| l.trim() == "wasm32-wasip2") {
                Check::ok("wasm", "the wasm32-wasip2 target is installed")
            } else {
                Check::bad(
                    "wasm",
                    Status::Warn,
                    "the wasm32-wasip2 target is not installed".into(),
                    FIX,
                )
            }
        }
        Ok(out) => Check::bad(
            "wasm",
            Status::Warn,
            format!(
                "`rustup target list` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            FIX,
        ),
        Err(e) => Check::bad(
            "wasm",
            Status::Warn,
            format!("no rustup: {e}"),
            "install rustup, then rustup target add wasm32-wasip2 (needed to build Rust plugins)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::api_version;

    #[test]
    fn engine_api_versions_compare_as_numbers() {
        assert_eq!(api_version("1.41"), Some((1, 41)));
        assert!(api_version("1.9").unwrap_or_default() < (1, 41));
        assert!(api_version("1.43").unwrap_or_default() >= (1, 41));
        assert_eq!(api_version("garbage"), None);
    }
}
