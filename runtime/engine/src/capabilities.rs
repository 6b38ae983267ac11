//! Capability checks: a host call is allowed only when the plugin's manifest
//! declares the capability and the stage's grants in `seamless.toml` allow it.

use seamless_core::config::{Grants, StageOrigin};
use std::fmt;

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
    /// Deploy to one environment (`*` in a manifest: any environment).
    Deploy(String),
    /// Send HTTP requests to one host (`*` in a manifest: any host).
    Http(String),
}

/// The manifest value that stands for any environment or host.
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
    /// The `[stage.grants]` line that grants this capability.
    pub fn grant_line(&self) -> String {
        match self {
            Capability::Containers => "containers = true".to_owned(),
            Capability::Images => "images = true".to_owned(),
            Capability::Secret(name) => format!("secrets = [\"{name}\"]"),
            Capability::WorkspaceWrite => "workspace-write = true".to_owned(),
            Capability::Networks => "networks = true".to_owned(),
            Capability::Deploy(env) => format!("deploy = [\"{env}\"]"),
            Capability::Http(host) => format!("http = [\"{host}\"]"),
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

    /// Whether a manifest that declares `self` covers a call that needs `needed`
    /// (`deploy("*")` and `http("*")` cover every environment or host).
    pub fn covers(&self, needed: &Capability) -> bool {
        match (self, needed) {
            (Capability::Deploy(d), Capability::Deploy(n)) => d == ANY || d == n,
            (Capability::Http(d), Capability::Http(n)) => d == ANY || host_matches(d, n),
            (d, n) => d == n,
        }
    }

    /// Whether `grants` allow this capability.
    pub fn is_granted(&self, grants: &Grants) -> bool {
        match self {
            Capability::Containers => grants.containers,
            Capability::Images => grants.images,
            Capability::Secret(name) => grants.secrets.contains(name),
            Capability::WorkspaceWrite => grants.workspace_write,
            Capability::Networks => grants.networks,
            Capability::Deploy(env) => grants.deploy.contains(env),
            Capability::Http(host) => grants.http.iter().any(|g| host_matches(g, host)),
        }
    }
}

/// Whether the grant `granted` (`host` or `host:port`) allows requests to `authority`
/// (`host` or `host:port`, as in a URL). A grant without a port allows every port.
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

/// A host call that the stage is not allowed to make. Its message names the plugin,
/// the capability and the `seamless.toml` line that would allow it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CapabilityDenied {
    /// The full message for the user.
    pub message: String,
}

/// What a capability check needs to know about the stage.
#[derive(Debug, Clone)]
pub struct CapabilityPolicy {
    /// The plugin's name (from its manifest, or its `uses` value before that is known).
    pub plugin: String,
    /// The stage's name.
    pub stage: String,
    /// The grants from `seamless.toml`.
    pub grants: Grants,
    /// What the plugin declared it needs.
    pub declared: Vec<Capability>,
    /// Where the stage is defined.
    pub origin: StageOrigin,
}

impl CapabilityPolicy {
    /// Allows `cap` for the host function `call`, or says why not.
    pub fn check(&self, cap: &Capability, call: &str) -> Result<(), CapabilityDenied> {
        if !self.declared.iter().any(|d| d.covers(cap)) {
            return Err(CapabilityDenied {
                message: format!(
                    "plugin '{}' (stage '{}') called {call}, which needs capability {}, \
                     but its manifest does not declare it; the plugin must list it in describe()",
                    self.plugin,
                    self.stage,
                    cap.described()
                ),
            });
        }
        if !cap.is_granted(&self.grants) {
            return Err(CapabilityDenied {
                message: format!(
                    "plugin '{}' (stage '{}') called {call}, which needs capability {}, \
                     not granted: {}",
                    self.plugin,
                    self.stage,
                    cap.described(),
                    self.origin.grant_hint(&self.stage, &cap.grant_line())
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_grant_without_port_allows_every_port() {
        assert!(host_matches("hooks.slack.com", "hooks.slack.com"));
        assert!(host_matches("hooks.slack.com", "hooks.slack.com:443"));
        assert!(host_matches("127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(!host_matches("127.0.0.1:8080", "127.0.0.1:8081"));
        assert!(!host_matches("127.0.0.1:8080", "127.0.0.1"));
        assert!(!host_matches("slack.com", "evil-slack.com"));
        assert!(!host_matches("slack.com", "hooks.slack.com"));
    }

    #[test]
    fn wildcard_declarations_cover_any_environment_or_host() {
        let any_env = Capability::Deploy(ANY.into());
        assert!(any_env.covers(&Capability::Deploy("production".into())));
        assert!(!any_env.covers(&Capability::Http("x".into())));
        let staging = Capability::Deploy("staging".into());
        assert!(!staging.covers(&Capability::Deploy("production".into())));
        assert!(Capability::Http(ANY.into()).covers(&Capability::Http("a:1".into())));
    }

    #[test]
    fn grant_lines_name_the_toml_to_add() {
        assert_eq!(
            Capability::Deploy("production".into()).grant_line(),
            "deploy = [\"production\"]"
        );
        assert_eq!(
            Capability::Http("127.0.0.1:9".into()).grant_line(),
            "http = [\"127.0.0.1:9\"]"
        );
        assert_eq!(Capability::Networks.grant_line(), "networks = true");
    }
}
