//! Capabilities: what a plugin may do, and the one rule for whether a declaration or a
//! stage's grants cover it.
//!
//! Config validation ([`check_http_grant`]), the scheduler's pre-run check of a plugin
//! bundle and the engine's check of each host call all use this module, so they cannot
//! disagree. The rule:
//! - booleans and secrets are covered only by themselves;
//! - a host without a port (`api.example.com`) covers every port of that host; a
//!   `host:port` covers that port only;
//! - `*` (declared, or granted for `http`) covers every host or environment;
//! - a request for `*` (a bundle that may call any host) is granted when the stage grants
//!   at least one value, and the engine then allows only the granted ones.

use std::fmt;

use crate::config::{Grants, StageOrigin};

#[cfg(test)]
mod tests;

/// Something a plugin may be allowed to do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    /// Start, wait for and stop containers.
    Containers,
    /// Build images.
    Images,
    /// Read one named secret.
    Secret(String),
    /// Write to the workspace.
    WorkspaceWrite,
    /// Create and remove networks.
    Networks,
    /// Deploy to one environment ([`ANY`]: any environment).
    Deploy(String),
    /// Send HTTP requests to one host, `host` or `host:port` ([`ANY`]: any host).
    Http(String),
}

/// The value that stands for any environment or host.
pub const ANY: &str = "*";

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capability::Containers => f.write_str("containers"),
            Capability::Images => f.write_str("images"),
            Capability::Secret(name) => write!(f, "secret '{name}'"),
            Capability::WorkspaceWrite => f.write_str("workspace-write"),
            Capability::Networks => f.write_str("networks"),
            Capability::Deploy(env) => write!(f, "deploy '{env}'"),
            Capability::Http(host) => write!(f, "http '{host}'"),
        }
    }
}

impl Capability {
    /// The `[stage.grants]` line that grants this capability. A request for any host or
    /// environment gets a placeholder to fill in, not `*`.
    pub fn grant_line(&self) -> String {
        match self {
            Capability::Containers => "containers = true".to_owned(),
            Capability::Images => "images = true".to_owned(),
            Capability::Secret(name) => format!("secrets = [\"{name}\"]"),
            Capability::WorkspaceWrite => "workspace-write = true".to_owned(),
            Capability::Networks => "networks = true".to_owned(),
            Capability::Deploy(env) if env == ANY => "deploy = [\"<environment>\"]".to_owned(),
            Capability::Deploy(env) => format!("deploy = [\"{env}\"]"),
            Capability::Http(host) if host == ANY => "http = [\"<host>\"]".to_owned(),
            Capability::Http(host) => format!("http = [\"{host}\"]"),
        }
    }

    /// How to grant this capability to `stage`, defined at `origin`: the one place the
    /// "add `...` under [stage.grants]" hint is written.
    pub fn grant_hint(&self, stage: &str, origin: &StageOrigin) -> String {
        let line = self.grant_line();
        if origin.is_default_pipeline() {
            format!(
                "add `{line}` under [stage.grants] of stage '{stage}'; \
                 it comes from the embedded default pipeline, so first define the pipeline's \
                 [[stage]] tables in seamless.toml"
            )
        } else {
            format!(
                "add `{line}` under [stage.grants] of stage '{stage}' ({})",
                origin.grants_location()
            )
        }
    }

    /// The capability as messages name it: `'containers'`, `secret 'TOKEN'`,
    /// `http '127.0.0.1:9'`.
    pub fn described(&self) -> String {
        match self {
            Capability::Secret(_) | Capability::Deploy(_) | Capability::Http(_) => self.to_string(),
            _ => format!("'{self}'"),
        }
    }

    /// The capability as a bundle's capability list and `seamless.lock` write it:
    /// `containers`, `deploy staging`, `http api.example.com`, `secret TOKEN`.
    pub fn listed(&self) -> String {
        match self {
            Capability::Secret(name) => format!("secret {name}"),
            Capability::Deploy(env) => format!("deploy {env}"),
            Capability::Http(host) => format!("http {host}"),
            other => other.to_string(),
        }
    }

    /// Whether a declaration of `self` (in a plugin's manifest, a bundle's manifest or a
    /// stage's grants) covers `needed`.
    pub fn covers(&self, needed: &Capability) -> bool {
        match (self, needed) {
            (Capability::Deploy(d), Capability::Deploy(n)) => d == ANY || d == n,
            (Capability::Http(d), Capability::Http(n)) => d == ANY || host_matches(d, n),
            (d, n) => d == n,
        }
    }

    /// Whether `grants` allow this capability: some grant covers it, or it asks for any
    /// host or environment and the stage grants at least one.
    pub fn is_granted(&self, grants: &Grants) -> bool {
        match self {
            Capability::Deploy(env) if env == ANY => !grants.deploy.is_empty(),
            Capability::Http(host) if host == ANY => !grants.http.is_empty(),
            _ => grants.capabilities().iter().any(|g| g.covers(self)),
        }
    }
}

impl Grants {
    /// Every capability these grants allow, one per value.
    pub fn capabilities(&self) -> Vec<Capability> {
        let mut out = Vec::new();
        for (on, cap) in [
            (self.containers, Capability::Containers),
            (self.images, Capability::Images),
            (self.networks, Capability::Networks),
            (self.workspace_write, Capability::WorkspaceWrite),
        ] {
            if on {
                out.push(cap);
            }
        }
        out.extend(self.deploy.iter().cloned().map(Capability::Deploy));
        out.extend(self.http.iter().cloned().map(Capability::Http));
        out.extend(self.secrets.iter().cloned().map(Capability::Secret));
        out
    }
}

/// Whether the host `granted` (`host` or `host:port`) allows requests to `authority`
/// (`host` or `host:port`, as in a URL). A host without a port allows every port.
/// Only an exact host matches: `*` is handled by [`Capability::covers`].
pub fn host_matches(granted: &str, authority: &str) -> bool {
    let authority = authority.to_ascii_lowercase();
    let granted = granted.to_ascii_lowercase();
    if granted == authority {
        return true;
    }
    let host_only = |a: &str| -> String {
        if a.starts_with('[') {
            a.split_once(']')
                .map_or(a.to_string(), |(h, _)| format!("{h}]"))
        } else {
            a.rsplit_once(':')
                .map_or(a.to_string(), |(h, _)| h.to_string())
        }
    };
    let granted_has_port = if granted.starts_with('[') {
        granted.contains("]:")
    } else {
        granted.contains(':')
    };
    !granted_has_port && host_only(&authority) == granted
}

/// Checks one `http` grant as written in `seamless.toml` and returns it lowercased: a
/// host, a `host:port`, or `*` for every host. The error says what to write instead.
pub fn check_http_grant(value: &str) -> Result<String, String> {
    let valid = !value.is_empty()
        && !value.contains("://")
        && !value.contains('/')
        && !value.contains(char::is_whitespace);
    if !valid {
        return Err(format!(
            "invalid http host \"{value}\"; give a host or host:port without scheme or \
             path, like \"hooks.slack.com\" or \"127.0.0.1:8080\", or \"*\" for every host"
        ));
    }
    if value != ANY && value.contains('*') {
        return Err(format!(
            "invalid http host \"{value}\"; a partial wildcard is not supported: list each \
             host, or grant \"*\" for every host"
        ));
    }
    Ok(value.to_ascii_lowercase())
}
