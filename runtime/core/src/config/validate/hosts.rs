//! `[hosts.ecs]`: each value checked by the one rule of `config::ecs`, at its place in
//! the file. Whether the table is complete is checked when the ECS host is chosen,
//! since the environment may give what the file leaves out.

use std::ops::Range;

use toml::Spanned;

use super::super::ecs::{DEFAULT_TASK_SIZE, EcsKey, EcsSettings, check_task_size};
use super::super::error::ConfigError;
use super::super::location::Source;
use super::super::schema::{RawEcs, RawHosts};

/// `[hosts.ecs]`, checked value by value.
pub(crate) fn ecs(
    raw: Option<&Spanned<RawHosts>>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> EcsSettings {
    let Some(table) = raw.and_then(|h| h.get_ref().ecs.as_ref()) else {
        return EcsSettings::default();
    };
    let mut settings = EcsSettings::new(Some(source.line(table.span())));
    for (key, values) in values(table.get_ref()) {
        let mut good = Vec::new();
        for (value, span) in values {
            match key.check(&value) {
                Ok(()) => good.push(value),
                Err(message) => errors.push(source.error(span, message)),
            }
        }
        if !good.is_empty() {
            settings = settings.with(key, good.join(","));
        }
    }
    check_size(table.get_ref(), &settings, source, errors);
    settings
}

/// A value as text, and where it stands.
type Located = (String, Range<usize>);

/// Each value the table gives, as text with its span, by key.
fn values(raw: &RawEcs) -> Vec<(EcsKey, Vec<Located>)> {
    let text = |v: &Option<Spanned<String>>| -> Vec<Located> {
        v.iter().map(|v| (v.get_ref().clone(), v.span())).collect()
    };
    let list = |v: &Option<Vec<Spanned<String>>>| -> Vec<Located> {
        v.iter()
            .flatten()
            .map(|v| (v.get_ref().clone(), v.span()))
            .collect()
    };
    let number = |v: &Option<Spanned<i64>>| -> Vec<Located> {
        v.iter()
            .map(|v| (v.get_ref().to_string(), v.span()))
            .collect()
    };
    vec![
        (EcsKey::Region, text(&raw.region)),
        (EcsKey::Cluster, text(&raw.cluster)),
        (EcsKey::Subnets, list(&raw.subnets)),
        (EcsKey::SecurityGroups, list(&raw.security_groups)),
        (
            EcsKey::AssignPublicIp,
            raw.assign_public_ip
                .iter()
                .map(|v| (v.get_ref().to_string(), v.span()))
                .collect(),
        ),
        (EcsKey::ExecutionRole, text(&raw.execution_role)),
        (EcsKey::TaskRole, text(&raw.task_role)),
        (EcsKey::LogGroup, text(&raw.log_group)),
        (EcsKey::FileSystem, text(&raw.file_system)),
        (EcsKey::Cpu, number(&raw.cpu)),
        (EcsKey::MemoryMib, number(&raw.memory_mib)),
        (EcsKey::RepositoryPrefix, text(&raw.repository_prefix)),
        (EcsKey::BuilderImage, text(&raw.builder_image)),
    ]
}

/// The task size the table gives must be one Fargate runs: checked at `memory-mib`
/// (or at `cpu`, given alone), against the default for the one left out. An invalid
/// `cpu` has its own error and no pair is checked.
fn check_size(
    raw: &RawEcs,
    settings: &EcsSettings,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) {
    let number = |key| settings.get(key).and_then(|v| v.parse::<u32>().ok());
    let (cpu, memory) = (number(EcsKey::Cpu), number(EcsKey::MemoryMib));
    let problem = match (&raw.cpu, cpu, &raw.memory_mib, memory) {
        (_, Some(cpu), Some(at), Some(memory)) => {
            check_task_size(cpu, memory).err().map(|e| (at.span(), e))
        }
        (None, None, Some(at), Some(memory)) => {
            check_task_size(DEFAULT_TASK_SIZE.0, memory).err().map(|e| {
                (
                    at.span(),
                    format!("{e} (cpu is the default; set it beside memory-mib)"),
                )
            })
        }
        (Some(at), Some(cpu), None, None) => check_task_size(cpu, DEFAULT_TASK_SIZE.1)
            .err()
            .map(|e| (at.span(), format!("{e}; set memory-mib beside cpu"))),
        _ => None,
    };
    if let Some((span, message)) = problem {
        errors.push(source.error(span, message));
    }
}
