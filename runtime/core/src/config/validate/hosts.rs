//! `[hosts.ecs]`: each value checked by the one rule of `config::ecs`, at its place in
//! the file. Whether the table is complete is checked when the ECS host is chosen,
//! since the environment may give what the file leaves out.

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
    let line = source.line(table.span());
    let raw: &RawEcs = table.get_ref();
    let mut check = |key: EcsKey, value: &Option<Spanned<String>>| -> Option<String> {
        let value = value.as_ref()?;
        match key.check(value.get_ref()) {
            Ok(()) => Some(value.get_ref().clone()),
            Err(message) => {
                errors.push(source.error(value.span(), message));
                None
            }
        }
    };
    let region = check(EcsKey::Region, &raw.region);
    let cluster = check(EcsKey::Cluster, &raw.cluster);
    let execution_role = check(EcsKey::ExecutionRole, &raw.execution_role);
    let task_role = check(EcsKey::TaskRole, &raw.task_role);
    let log_group = check(EcsKey::LogGroup, &raw.log_group);
    let file_system = check(EcsKey::FileSystem, &raw.file_system);
    let repository_prefix = check(EcsKey::RepositoryPrefix, &raw.repository_prefix)
        .map(|p| p.trim_end_matches('/').to_owned());
    let builder_image = check(EcsKey::BuilderImage, &raw.builder_image);
    let mut list = |key: EcsKey, values: &Option<Vec<Spanned<String>>>| -> Vec<String> {
        let mut good = Vec::new();
        for value in values.iter().flatten() {
            match key.check(value.get_ref()) {
                Ok(()) => good.push(value.get_ref().clone()),
                Err(message) => errors.push(source.error(value.span(), message)),
            }
        }
        good
    };
    let subnets = list(EcsKey::Subnets, &raw.subnets);
    let security_groups = list(EcsKey::SecurityGroups, &raw.security_groups);
    let cpu = raw.cpu.as_ref().and_then(|cpu| {
        let value = u32::try_from(*cpu.get_ref()).ok();
        let checked = value.filter(|v| EcsKey::Cpu.check(&v.to_string()).is_ok());
        if checked.is_none() {
            let message = EcsKey::Cpu
                .check(&cpu.get_ref().to_string())
                .err()
                .unwrap_or_default();
            errors.push(source.error(cpu.span(), message));
        }
        checked
    });
    let memory_mib = raw.memory_mib.as_ref().and_then(|memory| {
        let value = u32::try_from(*memory.get_ref()).ok();
        let form = EcsKey::MemoryMib.check(&memory.get_ref().to_string());
        // The pair is checked against the cpu the task will have: the file's (when it
        // is valid; an invalid one has its own error) or the default.
        let pair = match (value, &raw.cpu, cpu) {
            (Some(m), _, Some(cpu)) => check_task_size(cpu, m),
            (Some(m), None, None) => check_task_size(DEFAULT_TASK_SIZE.0, m)
                .map_err(|e| format!("{e} (cpu is the default; set it beside memory-mib)")),
            _ => Ok(()),
        };
        let problem = form.and(pair).err();
        if let Some(message) = problem {
            errors.push(source.error(memory.span(), message));
            return None;
        }
        value
    });
    if let (Some(cpu_value), None, Some(cpu)) = (cpu, &raw.memory_mib, &raw.cpu) {
        // The default memory must suit a cpu given alone.
        if let Err(message) = check_task_size(cpu_value, DEFAULT_TASK_SIZE.1) {
            errors.push(source.error(cpu.span(), format!("{message}; set memory-mib beside cpu")));
        }
    }
    EcsSettings {
        region,
        cluster,
        subnets,
        security_groups,
        assign_public_ip: raw.assign_public_ip.as_ref().map(|b| *b.get_ref()),
        execution_role,
        task_role,
        log_group,
        file_system,
        cpu,
        memory_mib,
        repository_prefix,
        builder_image,
        line: Some(line),
    }
}
