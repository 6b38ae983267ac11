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
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capability::Containers => f.write_str("containers"),
            Capability::Images => f.write_str("images"),
            Capability::Secret(name) => write!(f, "secret '{name}'"),
            Capability::WorkspaceWrite => f.write_str("workspace-write"),
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
        }
    }

    /// Whether `grants` allow this capability.
    pub fn is_granted(&self, grants: &Grants) -> bool {
        match self {
            Capability::Containers => grants.containers,
            Capability::Images => grants.images,
            Capability::Secret(name) => grants.secrets.contains(name),
            Capability::WorkspaceWrite => grants.workspace_write,
        }
    }
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
        if !self.declared.contains(cap) {
            return Err(CapabilityDenied {
                message: format!(
                    "plugin '{}' (stage '{}') called {call}, which needs capability '{cap}', \
                     but its manifest does not declare it; the plugin must list it in describe()",
                    self.plugin, self.stage
                ),
            });
        }
        if !cap.is_granted(&self.grants) {
            return Err(CapabilityDenied {
                message: format!(
                    "plugin '{}' (stage '{}') called {call}, which needs capability '{cap}', \
                     not granted: {}",
                    self.plugin,
                    self.stage,
                    self.origin.grant_hint(&self.stage, &cap.grant_line())
                ),
            });
        }
        Ok(())
    }
}
