//! Capability checks: a host call is allowed only when the plugin's manifest
//! declares the capability and the stage's grants in `seamless.toml` allow it. The
//! rule itself (what covers what) is `seamless_core::capability`, shared with config
//! validation and the scheduler's pre-run check of plugin bundles.

pub use seamless_core::capability::Capability;
use seamless_core::config::{Grants, StageOrigin};

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
                    cap.grant_hint(&self.stage, &self.origin)
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use seamless_core::capability::ANY;

    #[test]
    fn a_wildcard_http_grant_allows_any_host_the_manifest_declares() {
        let policy = CapabilityPolicy {
            plugin: "notify".into(),
            stage: "notify".into(),
            grants: Grants {
                http: [ANY.to_string()].into(),
                ..Grants::default()
            },
            declared: vec![Capability::Http(ANY.into())],
            origin: StageOrigin::default(),
        };
        policy
            .check(&Capability::Http("hooks.slack.com:443".into()), "http.send")
            .unwrap();
    }

    #[test]
    fn an_ungranted_call_names_the_line_to_add() {
        let policy = CapabilityPolicy {
            plugin: "notify".into(),
            stage: "notify".into(),
            grants: Grants::default(),
            declared: vec![Capability::Http(ANY.into())],
            origin: StageOrigin {
                file: "seamless.toml".into(),
                line: 7,
                ..StageOrigin::default()
            },
        };
        let err = policy
            .check(&Capability::Http("api.x:443".into()), "http.send")
            .unwrap_err();
        assert!(
            err.message.contains(
                "add `http = [\"api.x:443\"]` under [stage.grants] of stage 'notify' \
                 (seamless.toml:7)"
            ),
            "{err}"
        );
    }
}
