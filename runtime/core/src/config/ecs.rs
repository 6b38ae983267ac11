//! `[hosts.ecs]`: where and how the ECS host runs a pipeline's tasks on AWS Fargate.
//!
//! Every key may be written in `seamless.toml` or given by the environment variable
//! `SEAMLESS_ECS_<KEY>` (upper case, `-` as `_`; lists comma-separated), which wins
//! over the file, so one pipeline file serves a laptop on Docker and a server on AWS.
//! One rule checks a value wherever it comes from ([`EcsKey::check`]); the file's
//! values are checked when the file loads (with `file:line:col`), and the complete
//! set when the ECS host is chosen ([`EcsSettings::resolve`]).

use std::fmt;

/// Fargate's valid task sizes: CPU units, and the memory (MiB) each allows as
/// (smallest, largest, step).
pub const FARGATE_SIZES: [(u32, (u32, u32, u32)); 7] = [
    (256, (512, 2048, 512)),
    (512, (1024, 4096, 1024)),
    (1024, (2048, 8192, 1024)),
    (2048, (4096, 16384, 1024)),
    (4096, (8192, 30720, 1024)),
    (8192, (16384, 61440, 4096)),
    (16384, (32768, 122880, 8192)),
];

/// The task size when `[hosts.ecs]` names none: 0.5 vCPU and 1 GiB.
pub const DEFAULT_TASK_SIZE: (u32, u32) = (512, 1024);

/// The image that builds service images on Fargate when `builder-image` is not set:
/// Kaniko, because it builds from a Dockerfile as an unprivileged process with no
/// daemon, which Fargate allows; rootless BuildKit needs its process sandbox turned
/// off (`--oci-worker-no-process-sandbox`) to run there.
pub const DEFAULT_BUILDER_IMAGE: &str = "gcr.io/kaniko-project/executor:v1.23.2";

/// A key of `[hosts.ecs]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EcsKey {
    /// `region`: the AWS region, such as `eu-west-1`.
    Region,
    /// `cluster`: the ECS cluster's name or ARN.
    Cluster,
    /// `subnets`: the subnets tasks get their network interface in.
    Subnets,
    /// `security-groups`: the security groups of that interface.
    SecurityGroups,
    /// `assign-public-ip`: whether tasks get a public IP (needed in a public subnet
    /// without a NAT gateway, to pull images).
    AssignPublicIp,
    /// `execution-role`: the role ECS uses to pull images and write logs.
    ExecutionRole,
    /// `task-role`: the role stage tasks run as (none: no AWS permissions).
    TaskRole,
    /// `log-group`: the CloudWatch Logs group of the stage logs.
    LogGroup,
    /// `file-system`: the EFS file system that holds run workspaces.
    FileSystem,
    /// `cpu`: the default task CPU units.
    Cpu,
    /// `memory-mib`: the default task memory.
    MemoryMib,
    /// `repository-prefix`: where built images go (`<registry>/<path>`).
    RepositoryPrefix,
    /// `builder-image`: the image that builds service images.
    BuilderImage,
}

impl EcsKey {
    /// Every key, in the order the documentation lists them.
    pub const ALL: [EcsKey; 13] = [
        EcsKey::Region,
        EcsKey::Cluster,
        EcsKey::Subnets,
        EcsKey::SecurityGroups,
        EcsKey::AssignPublicIp,
        EcsKey::ExecutionRole,
        EcsKey::TaskRole,
        EcsKey::LogGroup,
        EcsKey::FileSystem,
        EcsKey::Cpu,
        EcsKey::MemoryMib,
        EcsKey::RepositoryPrefix,
        EcsKey::BuilderImage,
    ];

    /// Its name in `seamless.toml`.
    pub fn name(self) -> &'static str {
        match self {
            EcsKey::Region => "region",
            EcsKey::Cluster => "cluster",
            EcsKey::Subnets => "subnets",
            EcsKey::SecurityGroups => "security-groups",
            EcsKey::AssignPublicIp => "assign-public-ip",
            EcsKey::ExecutionRole => "execution-role",
            EcsKey::TaskRole => "task-role",
            EcsKey::LogGroup => "log-group",
            EcsKey::FileSystem => "file-system",
            EcsKey::Cpu => "cpu",
            EcsKey::MemoryMib => "memory-mib",
            EcsKey::RepositoryPrefix => "repository-prefix",
            EcsKey::BuilderImage => "builder-image",
        }
    }

    /// The environment variable that overrides it.
    pub fn env_var(self) -> String {
        format!(
            "SEAMLESS_ECS_{}",
            self.name().to_ascii_uppercase().replace('-', "_")
        )
    }

    /// Whether the ECS host cannot run without it (the others have defaults).
    pub fn required(self) -> bool {
        matches!(
            self,
            EcsKey::Region
                | EcsKey::Cluster
                | EcsKey::Subnets
                | EcsKey::ExecutionRole
                | EcsKey::LogGroup
                | EcsKey::FileSystem
                | EcsKey::RepositoryPrefix
        )
    }

    /// Checks one text value of this key (one item, for the lists); `Err` says what
    /// is wrong and what a good value looks like.
    pub fn check(self, value: &str) -> Result<(), String> {
        let ok = match self {
            EcsKey::Region => is_region(value),
            EcsKey::Cluster => is_name(value, 255) || is_arn(value, "ecs", "cluster/"),
            EcsKey::Subnets => is_id(value, "subnet-"),
            EcsKey::SecurityGroups => is_id(value, "sg-"),
            EcsKey::AssignPublicIp => matches!(value, "true" | "false"),
            EcsKey::ExecutionRole | EcsKey::TaskRole => {
                is_arn(value, "iam", "role/") || is_role_name(value)
            }
            EcsKey::LogGroup => is_log_group(value),
            EcsKey::FileSystem => is_id(value, "fs-"),
            EcsKey::Cpu => FARGATE_SIZES
                .iter()
                .any(|(cpu, _)| value == cpu.to_string()),
            EcsKey::MemoryMib => value.parse::<u32>().is_ok_and(|m| m >= 512),
            EcsKey::RepositoryPrefix => crate::config::valid_registry_url(value),
            EcsKey::BuilderImage => {
                !value.is_empty() && !value.contains(char::is_whitespace) && !value.contains("://")
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "invalid {} \"{value}\"; expected {}",
                self.name(),
                self.expected()
            ))
        }
    }

    /// What a good value looks like.
    fn expected(self) -> String {
        match self {
            EcsKey::Region => "an AWS region such as \"eu-west-1\"".into(),
            EcsKey::Cluster => {
                "a cluster name (letters, digits, - and _) or ARN such as \"seamless\"".into()
            }
            EcsKey::Subnets => "subnet ids such as \"subnet-0123456789abcdef0\"".into(),
            EcsKey::SecurityGroups => "security group ids such as \"sg-0123456789abcdef0\"".into(),
            EcsKey::AssignPublicIp => "true or false".into(),
            EcsKey::ExecutionRole | EcsKey::TaskRole => {
                "a role ARN such as \"arn:aws:iam::123456789012:role/seamless\" or a role name"
                    .into()
            }
            EcsKey::LogGroup => {
                "a log group name of letters, digits and . - _ / # such as \"/seamless/stages\""
                    .into()
            }
            EcsKey::FileSystem => "an EFS file system id such as \"fs-0123456789abcdef0\"".into(),
            EcsKey::Cpu => {
                let cpus: Vec<String> = FARGATE_SIZES.iter().map(|(c, _)| c.to_string()).collect();
                format!("Fargate CPU units, one of {}", cpus.join(", "))
            }
            EcsKey::MemoryMib => "MiB, at least 512".into(),
            EcsKey::RepositoryPrefix => "a registry host and path without a scheme, in lower \
                 case, such as \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/seamless\""
                .into(),
            EcsKey::BuilderImage => {
                format!("an image reference such as \"{DEFAULT_BUILDER_IMAGE}\"")
            }
        }
    }
}

impl fmt::Display for EcsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `memory_mib` is a valid Fargate memory size for `cpu`; `Err` lists the
/// sizes that are.
pub fn check_task_size(cpu: u32, memory_mib: u32) -> Result<(), String> {
    let Some((_, (low, high, step))) = FARGATE_SIZES.iter().find(|(c, _)| *c == cpu) else {
        return Err(EcsKey::Cpu
            .check(&cpu.to_string())
            .err()
            .unwrap_or_default());
    };
    if (*low..=*high).contains(&memory_mib) && (memory_mib - low).is_multiple_of(*step) {
        return Ok(());
    }
    Err(format!(
        "memory-mib = {memory_mib} does not go with cpu = {cpu} on Fargate; with {cpu} CPU \
         units give {low} to {high} MiB in steps of {step}"
    ))
}

/// `[hosts.ecs]` as the file has it: each value that passed [`EcsKey::check`], as text
/// (lists comma-joined), by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EcsSettings {
    values: std::collections::BTreeMap<EcsKey, String>,
    /// 1-based line of the `[hosts.ecs]` table, for hints; `None` without one.
    pub line: Option<usize>,
}

/// Everything the ECS host needs, complete and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsOptions {
    /// The AWS region.
    pub region: String,
    /// The cluster's name or ARN.
    pub cluster: String,
    /// Subnets of the tasks' network interfaces (at least one).
    pub subnets: Vec<String>,
    /// Their security groups (none: the VPC's default group).
    pub security_groups: Vec<String>,
    /// Whether tasks get a public IP.
    pub assign_public_ip: bool,
    /// The role ECS pulls images and writes logs with.
    pub execution_role: String,
    /// The role stage tasks run as, if any.
    pub task_role: Option<String>,
    /// The CloudWatch Logs group.
    pub log_group: String,
    /// The EFS file system of the workspaces.
    pub file_system: String,
    /// Default task CPU units.
    pub cpu: u32,
    /// Default task memory, MiB (a valid Fargate pair with `cpu`).
    pub memory_mib: u32,
    /// Where built images go.
    pub repository_prefix: String,
    /// The image that builds service images.
    pub builder_image: String,
}

impl EcsSettings {
    /// Settings of a table at `line` (`None`: no table).
    pub fn new(line: Option<usize>) -> Self {
        Self {
            values: Default::default(),
            line,
        }
    }

    /// With `key` set to `value` (already checked; lists comma-joined).
    pub fn with(mut self, key: EcsKey, value: impl Into<String>) -> Self {
        self.values.insert(key, value.into());
        self
    }

    /// The file's value of `key`, if it gave one.
    pub fn get(&self, key: EcsKey) -> Option<&str> {
        self.values.get(&key).map(String::as_str)
    }

    /// The complete options: each key from the environment variable that overrides
    /// it (looked up with `env`), else from the file, else its default. Every missing
    /// or invalid value is reported, each naming where to set it.
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<EcsOptions, Vec<String>> {
        let mut problems = Vec::new();
        let mut values = std::collections::BTreeMap::new();
        for key in EcsKey::ALL {
            let var = key.env_var();
            let from_env = env(&var)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty());
            match (from_env, self.get(key)) {
                (Some(value), _) => {
                    let checked = items(key, &value).try_for_each(|i| key.check(i));
                    match checked {
                        Ok(()) => {
                            values.insert(key, value);
                        }
                        Err(e) => problems.push(format!("{var}: {e}")),
                    }
                }
                (None, Some(value)) => {
                    values.insert(key, value.to_owned());
                }
                (None, None) if key.required() => problems.push(self.missing(key)),
                (None, None) => {}
            }
        }
        let text = |key| values.get(&key).cloned();
        let list = |key| {
            values
                .get(&key)
                .map(|v| items(key, v).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let number = |key, default: u32| text(key).and_then(|v| v.parse().ok()).unwrap_or(default);
        let (cpu, memory_mib) = (
            number(EcsKey::Cpu, DEFAULT_TASK_SIZE.0),
            number(EcsKey::MemoryMib, DEFAULT_TASK_SIZE.1),
        );
        if let Err(e) = check_task_size(cpu, memory_mib) {
            problems.push(e);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let required = |key| text(key).unwrap_or_default();
        Ok(EcsOptions {
            region: required(EcsKey::Region),
            cluster: required(EcsKey::Cluster),
            subnets: list(EcsKey::Subnets),
            security_groups: list(EcsKey::SecurityGroups),
            assign_public_ip: text(EcsKey::AssignPublicIp).as_deref() == Some("true"),
            execution_role: required(EcsKey::ExecutionRole),
            task_role: text(EcsKey::TaskRole),
            log_group: required(EcsKey::LogGroup),
            file_system: required(EcsKey::FileSystem),
            cpu,
            memory_mib,
            repository_prefix: required(EcsKey::RepositoryPrefix)
                .trim_end_matches('/')
                .to_owned(),
            builder_image: text(EcsKey::BuilderImage)
                .unwrap_or_else(|| DEFAULT_BUILDER_IMAGE.into()),
        })
    }

    /// The message for a required key that neither the file nor the environment gives.
    fn missing(&self, key: EcsKey) -> String {
        let place = match self.line {
            Some(line) => format!("under [hosts.ecs] (seamless.toml:{line})"),
            None => "in a [hosts.ecs] table of seamless.toml".to_owned(),
        };
        format!(
            "the ECS host needs `{key}`: set `{key} = {}` {place}, or the environment variable {}",
            example(key),
            key.env_var()
        )
    }
}

/// The items of a value: the comma-separated parts of a list, else the value itself.
fn items(key: EcsKey, value: &str) -> impl Iterator<Item = &str> {
    let list = matches!(key, EcsKey::Subnets | EcsKey::SecurityGroups);
    let parts: Vec<&str> = if list {
        value
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .collect()
    } else {
        vec![value]
    };
    parts.into_iter()
}

/// An example value, as TOML.
fn example(key: EcsKey) -> &'static str {
    match key {
        EcsKey::Region => "\"eu-west-1\"",
        EcsKey::Cluster => "\"seamless\"",
        EcsKey::Subnets => "[\"subnet-0123456789abcdef0\"]",
        EcsKey::SecurityGroups => "[\"sg-0123456789abcdef0\"]",
        EcsKey::AssignPublicIp => "false",
        EcsKey::ExecutionRole => "\"arn:aws:iam::123456789012:role/seamless-execution\"",
        EcsKey::TaskRole => "\"arn:aws:iam::123456789012:role/seamless-stage\"",
        EcsKey::LogGroup => "\"/seamless/stages\"",
        EcsKey::FileSystem => "\"fs-0123456789abcdef0\"",
        EcsKey::Cpu => "512",
        EcsKey::MemoryMib => "1024",
        EcsKey::RepositoryPrefix => "\"123456789012.dkr.ecr.eu-west-1.amazonaws.com/seamless\"",
        EcsKey::BuilderImage => "\"gcr.io/kaniko-project/executor:v1.23.2\"",
    }
}

fn is_region(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_name(v: &str, max: usize) -> bool {
    (1..=max).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_arn(v: &str, service: &str, resource: &str) -> bool {
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == service
        && parts[5].starts_with(resource)
        && parts[5].len() > resource.len()
        && !v.contains(char::is_whitespace)
}

fn is_role_name(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

fn is_id(v: &str, prefix: &str) -> bool {
    v.strip_prefix(prefix).is_some_and(|hex| {
        (8..=40).contains(&hex.len())
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

fn is_log_group(v: &str) -> bool {
    (1..=512).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/#".contains(&b))
}

#[cfg(test)]
mod tests;
