//! The plugin's manifest: who it is, what it serves, and what it asks for.

use std::collections::BTreeSet;

use seamless_core::capability::Capability;
use seamless_core::config::Grants;
use serde::{Deserialize, Serialize};

use crate::BundleError;

/// The WIT package this runtime supports, as plugins name it.
pub const SUPPORTED_WIT: &str = "seamless:plugin@0.2.0";

/// A plugin bundle's manifest (the JSON of its manifest layer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BundleManifest {
    /// The plugin's name, `[a-z0-9-]`, 1 to 64 characters.
    pub name: String,
    /// Its version (semver).
    pub version: String,
    /// The WIT package version it targets, such as `seamless:plugin@0.2.0`.
    pub wit: String,
    /// The stage kinds it serves, such as `code-quality`.
    pub stages: Vec<String>,
    /// One line on what it does.
    pub description: String,
    /// Its license (an SPDX expression).
    pub license: String,
    /// What it asks to be granted.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// What it needs to run.
    #[serde(default)]
    pub limits: Limits,
}

/// The capabilities a plugin requests; everything is denied unless granted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Capabilities {
    /// Start containers.
    #[serde(default)]
    pub containers: bool,
    /// Build and push images.
    #[serde(default)]
    pub images: bool,
    /// Create networks.
    #[serde(default)]
    pub networks: bool,
    /// Write to the workspace.
    #[serde(default)]
    pub workspace_write: bool,
    /// Deploy services to these environments (`*`: any).
    #[serde(default)]
    pub deploy: BTreeSet<String>,
    /// Send HTTP requests to these hosts (`*`: any).
    #[serde(default)]
    pub http: BTreeSet<String>,
    /// Read these named secrets.
    #[serde(default)]
    pub secrets: BTreeSet<String>,
}

/// What a plugin needs to run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Limits {
    /// Linear memory, in MiB.
    pub memory_mb: Option<u32>,
    /// Wall time, in seconds.
    pub timeout_secs: Option<u32>,
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        && !s.starts_with('-')
}

/// `(major, minor)` of `seamless:plugin@X.Y.Z`; for 0.x versions the minor is the
/// compatibility boundary, as semver has it.
fn wit_line(wit: &str) -> Option<(u64, u64)> {
    let version = wit.strip_prefix("seamless:plugin@")?;
    let v = semver::Version::parse(version).ok()?;
    Some(if v.major == 0 {
        (0, v.minor)
    } else {
        (v.major, 0)
    })
}

impl Capabilities {
    /// Each capability requested, as the core rule knows it, in a stable order: the
    /// booleans, then environments, hosts and secrets. A stage may run the bundle when
    /// each is [granted](Capability::is_granted); a component may declare what one of
    /// them [covers](Capability::covers).
    pub fn requested(&self) -> Vec<Capability> {
        self.as_grants().capabilities()
    }

    /// The grants that allow exactly what the bundle requests.
    pub fn as_grants(&self) -> Grants {
        Grants {
            containers: self.containers,
            images: self.images,
            secrets: self.secrets.clone(),
            workspace_write: self.workspace_write,
            networks: self.networks,
            deploy: self.deploy.clone(),
            http: self.http.clone(),
        }
    }

    /// Whether the bundle requests a capability that covers `cap`, which its component
    /// declares: a component may not ask for more than its bundle shows at install.
    pub fn covers(&self, cap: &Capability) -> bool {
        self.requested().iter().any(|r| r.covers(cap))
    }

    /// Each capability, as [`Capability::listed`] writes it, in the order of
    /// [`Capabilities::requested`].
    pub fn list(&self) -> Vec<String> {
        self.requested().iter().map(Capability::listed).collect()
    }

    /// What `newer` asks for that `self` did not, and what it no longer asks for.
    pub fn diff(&self, newer: &Capabilities) -> (Vec<String>, Vec<String>) {
        diff_lists(&self.list(), &newer.list())
    }
}

/// What `new` lists that `old` did not, and what it no longer lists (capabilities as
/// [`Capabilities::list`] writes them, such as those pinned in `seamless.lock`).
pub fn diff_lists(old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
    let old: BTreeSet<&String> = old.iter().collect();
    let new: BTreeSet<&String> = new.iter().collect();
    (
        new.difference(&old).map(|s| (*s).clone()).collect(),
        old.difference(&new).map(|s| (*s).clone()).collect(),
    )
}

impl BundleManifest {
    /// Reads a manifest from its JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        let manifest: Self = serde_json::from_slice(bytes)
            .map_err(|e| BundleError::Invalid(format!("its JSON does not fit the format: {e}")))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), BundleError> {
        let invalid = |m: String| Err(BundleError::Invalid(m));
        if !is_name(&self.name) {
            return invalid(format!(
                "name '{}' must be 1 to 64 of a-z, 0-9 and -, not starting with -",
                self.name
            ));
        }
        if semver::Version::parse(&self.version).is_err() {
            return invalid(format!(
                "version '{}' is not a semantic version such as 1.2.0",
                self.version
            ));
        }
        match (wit_line(&self.wit), wit_line(SUPPORTED_WIT)) {
            (None, _) => {
                return invalid(format!(
                    "wit '{}' is not a WIT package version such as {SUPPORTED_WIT}",
                    self.wit
                ));
            }
            (Some(found), Some(supported)) if found != supported => {
                return Err(BundleError::UnsupportedWit {
                    found: self.wit.clone(),
                    supported: SUPPORTED_WIT.to_string(),
                });
            }
            _ => {}
        }
        if self.stages.is_empty() {
            return invalid(
                "stages must name at least one stage kind, such as code-quality".into(),
            );
        }
        if let Some(bad) = self.stages.iter().find(|s| !is_name(s)) {
            return invalid(format!("stage kind '{bad}' must be of a-z, 0-9 and -"));
        }
        if self.description.trim().is_empty() || self.description.len() > 500 {
            return invalid("description must be 1 to 500 characters".into());
        }
        if self.license.trim().is_empty() || self.license.len() > 100 {
            return invalid("license must be an SPDX expression such as Apache-2.0".into());
        }
        let c = &self.capabilities;
        for (what, set) in [
            ("deploy", &c.deploy),
            ("http", &c.http),
            ("secrets", &c.secrets),
        ] {
            if let Some(bad) = set.iter().find(|v| {
                v.is_empty()
                    || v.len() > 253
                    || v.chars().any(|ch| ch.is_whitespace() || ch.is_control())
            }) {
                return invalid(format!("capabilities.{what} has an invalid entry '{bad}'"));
            }
        }
        if self.limits.memory_mb.is_some_and(|m| m == 0 || m > 4096) {
            return invalid("limits.memory-mb must be 1 to 4096".into());
        }
        if self
            .limits
            .timeout_secs
            .is_some_and(|t| t == 0 || t > 86_400)
        {
            return invalid("limits.timeout-secs must be 1 to 86400".into());
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    pub(crate) fn sample() -> BundleManifest {
        BundleManifest {
            name: "lint-yaml".into(),
            version: "1.2.0".into(),
            wit: SUPPORTED_WIT.into(),
            stages: vec!["code-quality".into()],
            description: "Lints YAML files".into(),
            license: "Apache-2.0".into(),
            capabilities: Capabilities {
                containers: true,
                http: ["hooks.example.com".to_string()].into(),
                ..Capabilities::default()
            },
            limits: Limits {
                memory_mb: Some(128),
                timeout_secs: None,
            },
        }
    }

    #[test]
    fn a_good_manifest_round_trips_through_json() {
        let m = sample();
        m.validate().unwrap();
        let json = serde_json::to_vec(&m).unwrap();
        assert_eq!(BundleManifest::from_json(&json).unwrap(), m);
        let text = String::from_utf8(json).unwrap();
        assert!(
            text.contains("\"workspace-write\":false") && text.contains("\"memory-mb\":128"),
            "{text}"
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        type Edit = fn(&mut BundleManifest);
        let cases: Vec<(Edit, &str)> = vec![
            (|m| m.name = "Lint YAML".into(), "name"),
            (|m| m.version = "one".into(), "version"),
            (|m| m.wit = "wasi:cli@0.2.0".into(), "wit"),
            (|m| m.stages.clear(), "stages"),
            (|m| m.description = String::new(), "description"),
            (|m| m.limits.memory_mb = Some(0), "memory-mb"),
            (
                |m| {
                    m.capabilities.http.insert("a b".into());
                },
                "capabilities.http",
            ),
        ];
        for (edit, field) in cases {
            let mut m = sample();
            edit(&mut m);
            let err = m.validate().unwrap_err().to_string();
            assert!(err.contains(field), "{field}: {err}");
        }
        let json = br#"{"name":"x","version":"1.0.0","wit":"seamless:plugin@0.2.0","stages":["s"],"description":"d","license":"MIT","extra":1}"#;
        assert!(
            BundleManifest::from_json(json)
                .unwrap_err()
                .to_string()
                .contains("extra")
        );
    }

    #[test]
    fn another_wit_major_is_refused_and_patches_are_accepted() {
        let mut m = sample();
        m.wit = "seamless:plugin@0.2.7".into();
        m.validate().unwrap();
        m.wit = "seamless:plugin@0.9.0".into();
        let err = m.validate().unwrap_err();
        assert!(matches!(err, BundleError::UnsupportedWit { .. }), "{err}");
        assert!(err.to_string().contains(SUPPORTED_WIT));
    }

    #[test]
    fn capability_changes_are_listed_both_ways() {
        let old = sample().capabilities;
        let mut new = old.clone();
        new.containers = false;
        new.secrets.insert("SLACK_TOKEN".into());
        let (added, removed) = old.diff(&new);
        assert_eq!(added, ["secret SLACK_TOKEN"]);
        assert_eq!(removed, ["containers"]);
        assert_eq!(old.list(), ["containers", "http hooks.example.com"]);
    }
}
