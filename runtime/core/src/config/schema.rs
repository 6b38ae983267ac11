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
    pub registry: Option<Spanned<RawRegistry>>,
    pub triggers: Option<Spanned<RawTriggers>>,
    pub workspaces: Option<Spanned<RawWorkspaces>>,
    pub approval: Option<Spanned<RawApproval>>,
    pub plugins: Option<Spanned<RawPlugins>>,
    pub hosts: Option<Spanned<RawHosts>>,
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

/// `[registry]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegistry {
    pub url: Spanned<String>,
}

/// `[triggers]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawTriggers {
    pub default_branch: Option<Spanned<String>>,
    pub push: Option<Spanned<RawTrigger>>,
    pub pull_request: Option<Spanned<RawTrigger>>,
    pub manual: Option<Spanned<RawTrigger>>,
}

/// `[triggers.push]`, `[triggers.pull-request]` and `[triggers.manual]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawTrigger {
    pub until: Option<Spanned<String>>,
    pub branches: Option<Vec<Spanned<String>>>,
    pub auto_merge: Option<Spanned<bool>>,
    pub merge_method: Option<Spanned<String>>,
}

/// `[workspaces]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawWorkspaces {
    pub keep: Option<Spanned<i64>>,
}

/// `[approval]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawApproval {
    pub expires: Option<Spanned<String>>,
}

/// `[plugins]`: trust in plugin bundles.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawPlugins {
    pub require_signatures: Option<Spanned<bool>>,
    #[serde(default)]
    pub trusted_keys: Vec<Spanned<String>>,
}

/// `[hosts]`: options of the container hosts that take them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHosts {
    pub ecs: Option<Spanned<RawEcs>>,
}

/// `[hosts.ecs]`: see `config::ecs`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawEcs {
    pub region: Option<Spanned<String>>,
    pub cluster: Option<Spanned<String>>,
    pub subnets: Option<Vec<Spanned<String>>>,
    pub security_groups: Option<Vec<Spanned<String>>>,
    pub assign_public_ip: Option<Spanned<bool>>,
    pub execution_role: Option<Spanned<String>>,
    pub task_role: Option<Spanned<String>>,
    pub log_group: Option<Spanned<String>>,
    pub file_system: Option<Spanned<String>>,
    pub cpu: Option<Spanned<i64>>,
    pub memory_mib: Option<Spanned<i64>>,
    pub repository_prefix: Option<Spanned<String>>,
    pub builder_image: Option<Spanned<String>>,
}

/// `[[service]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawService {
    pub name: Spanned<String>,
    pub path: Option<Spanned<String>>,
    pub dockerfile: Option<Spanned<String>>,
    pub image: Option<Spanned<String>>,
    #[serde(default)]
    pub commands: BTreeMap<Spanned<String>, Spanned<String>>,
    pub port: Option<Spanned<i64>>,
    pub health: Option<Spanned<String>>,
    pub auto_deploy: Option<Spanned<bool>>,
    pub pull_request: Option<Spanned<bool>>,
    pub push: Option<Spanned<bool>>,
    #[serde(default)]
    pub env: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub targets: BTreeMap<Spanned<String>, Spanned<RawTarget>>,
}

/// `[service.targets.ENV]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawTarget {
    pub port: Spanned<i64>,
    pub bind: Option<Spanned<String>>,
    pub replicas: Option<Spanned<i64>>,
    #[serde(default)]
    pub env: BTreeMap<Spanned<String>, Spanned<String>>,
    pub ecs_service: Option<Spanned<String>>,
    pub ecs_cluster: Option<Spanned<String>>,
    pub target_group: Option<Spanned<String>>,
    pub health_url: Option<Spanned<String>>,
}

/// `[[stage]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawStage {
    pub name: Spanned<String>,
    pub uses: Spanned<String>,
    #[serde(default)]
    pub needs: Vec<Spanned<String>>,
    pub scope: Option<Spanned<String>>,
    pub when: Option<Spanned<String>>,
    pub environment: Option<Spanned<String>>,
    pub retries: Option<Spanned<i64>>,
    pub retry_backoff: Option<Spanned<String>>,
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
    #[serde(default)]
    pub networks: bool,
    #[serde(default)]
    pub deploy: Vec<Spanned<String>>,
    #[serde(default)]
    pub http: Vec<Spanned<String>>,
}

/// `[stage.limits]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawLimits {
    pub memory_mib: Option<Spanned<i64>>,
    pub timeout: Option<Spanned<String>>,
    pub container_cpu: Option<Spanned<i64>>,
    pub container_memory_mib: Option<Spanned<i64>>,
}
