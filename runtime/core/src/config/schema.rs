//! The raw serde shape of `seamless.toml`: unknown keys are rejected and every value
//! keeps its byte span so that validation can point at it.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub version: Spanned<i64>,
    pub pipeline: Spanned<String>,
    #[serde(default)]
    pub secrets: BTreeMap<Spanned<String>, Spanned<RawSecret>>,
    #[serde(default)]
    pub service: Vec<RawService>,
    #[serde(default)]
    pub stage: Vec<RawStage>,
}

/// A file holding only `[[stage]]` tables: the embedded default pipeline.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStages {
    pub stage: Vec<RawStage>,
}

/// `[secrets.NAME]`: exactly one source must be set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawSecret {
    pub from_env: Option<Spanned<String>>,
    pub from_file: Option<Spanned<String>>,
}

/// `[[service]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    pub name: Spanned<String>,
    pub path: Option<Spanned<String>>,
    pub dockerfile: Option<Spanned<String>>,
    pub image: Option<Spanned<String>>,
    #[serde(default)]
    pub commands: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// `[[stage]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStage {
    pub name: Spanned<String>,
    pub uses: Spanned<String>,
    #[serde(default)]
    pub needs: Vec<Spanned<String>>,
    pub grants: Option<Spanned<RawGrants>>,
    pub limits: Option<Spanned<RawLimits>>,
    #[serde(default)]
    pub with: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// `[stage.grants]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawGrants {
    #[serde(default)]
    pub containers: bool,
    #[serde(default)]
    pub images: bool,
    #[serde(default)]
    pub secrets: Vec<Spanned<String>>,
    #[serde(default)]
    pub workspace_write: bool,
}

/// `[stage.limits]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawLimits {
    pub memory_mib: Option<Spanned<i64>>,
    pub timeout: Option<Spanned<String>>,
}
