//! The planner: turns a validated config and a filter into a run plan, the DAG of stage
//! instances to run.
//!
//! Every selected service gets the selected stage graph: instance `(service, stage)`
//! needs `(service, need)` for each of the stage's `needs`. A stage with `scope = "run"`
//! has one instance for the whole run (its service is `""`): service instances that
//! need it wait for that one instance, and it waits for every service's instance of
//! what it needs. A `run-end` stage needs every other instance, whatever their result;
//! a `run-start` stage needs nothing. Services do not wait for each other.
//!
//! Instances are listed stage by stage in topological order (stages in file order where
//! the graph allows), and within a stage by service in file order.
//!
//! The trigger decides how far the run goes (`[triggers.<trigger>] until`) and which
//! services take part (their `pull-request` and `push` switches).

use std::collections::BTreeSet;

use crate::config::{CONFIG_FILE_NAME, Config, PluginRef, Scope, Trigger, When};

/// The service name of a run-scoped stage instance.
pub const RUN_SCOPE: &str = "";

/// Which part of the pipeline to run; an empty list selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFilter {
    /// Services to run, by name; empty runs all.
    pub services: Vec<String>,
    /// Stages to run, by name, plus every stage they need, transitively (a stage never
    /// runs without what it needs); empty runs all (as far as the trigger goes).
    pub stages: Vec<String>,
    /// What started the run; `None` plans the whole pipeline for every service.
    pub trigger: Option<Trigger>,
}

/// One stage run for one service, or for the whole run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageInstance {
    /// The service name, or [`RUN_SCOPE`] for a run-scoped stage.
    pub service: String,
    /// The stage name.
    pub stage: String,
    /// Instances that must end first, as indices into [`RunPlan::instances`]; each is
    /// smaller than this instance's own index.
    pub needs: Vec<usize>,
    /// Why the instance does not apply and is skipped without running, such as a
    /// deploy stage for a service without a target in that environment. A skipped
    /// instance of this kind does not hold back what needs it.
    pub not_applicable: Option<String>,
    /// When it starts.
    pub when: When,
}

/// The stage instances of one run, in topological order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunPlan {
    /// Every instance; an instance comes after everything it needs.
    pub instances: Vec<StageInstance>,
}

impl RunPlan {
    /// Indices of the instances that directly need instance `i`, in order.
    pub fn dependents(&self, i: usize) -> Vec<usize> {
        self.instances
            .iter()
            .enumerate()
            .filter(|(_, instance)| instance.needs.contains(&i))
            .map(|(j, _)| j)
            .collect()
    }
}

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The filter names a service the config does not define.
    #[error("unknown service '{name}'; services are: {}", .known.join(", "))]
    UnknownService {
        /// The unknown name.
        name: String,
        /// The services the config defines.
        known: Vec<String>,
    },
    /// The filter names a stage the config does not define.
    #[error("unknown stage '{name}'; stages are: {}", .known.join(", "))]
    UnknownStage {
        /// The unknown name.
        name: String,
        /// The stages the config defines.
        known: Vec<String>,
    },
    /// A stage needs a stage that does not exist (only for configs built by hand).
    #[error("stage '{stage}' needs '{need}', which is not defined")]
    UnknownNeed {
        /// The stage with the bad `needs` entry.
        stage: String,
        /// The missing stage.
        need: String,
    },
    /// The stages need each other in a cycle (only for configs built by hand).
    #[error("stages {} need each other in a cycle", .stages.join(", "))]
    Cycle {
        /// The stages that could not be ordered.
        stages: Vec<String>,
    },
}

/// Plans a run of `config` restricted by `filter`.
pub fn plan(config: &Config, filter: &PlanFilter) -> Result<RunPlan, PlanError> {
    for stage in &config.stages {
        if let Some(need) = stage.needs.iter().find(|need| config.stage(need).is_none()) {
            return Err(PlanError::UnknownNeed {
                stage: stage.name.clone(),
                need: need.clone(),
            });
        }
    }
    let services = select_services(config, filter)?;
    if services.is_empty() {
        return Ok(RunPlan::default());
    }
    let stages = select_stages(config, filter)?;
    let order = topological_order(config, &stages)?;

    let mut instances: Vec<StageInstance> = Vec::new();
    // For each stage in `order`, the indices of its instances.
    let mut placed: Vec<(usize, Vec<usize>)> = Vec::with_capacity(order.len());
    let mut run_end = Vec::new();
    for &stage_index in &order {
        let stage = &config.stages[stage_index];
        if stage.when == When::RunEnd {
            run_end.push(stage_index);
            continue;
        }
        let owners: Vec<&str> = match stage.scope {
            Scope::Run => vec![RUN_SCOPE],
            Scope::Service => services.clone(),
        };
        let mut mine = Vec::with_capacity(owners.len());
        for owner in owners {
            let mut needs = Vec::new();
            for need in &stage.needs {
                let (_, need_instances) = placed
                    .iter()
                    .find(|(i, _)| config.stages[*i].name == *need)
                    .ok_or_else(|| PlanError::UnknownNeed {
                        stage: stage.name.clone(),
                        need: need.clone(),
                    })?;
                needs.extend(need_instances.iter().copied().filter(|&n| {
                    owner == RUN_SCOPE
                        || instances[n].service == RUN_SCOPE
                        || instances[n].service == owner
                }));
            }
            let not_applicable = not_applicable(config, stage, owner);
            mine.push(instances.len());
            instances.push(StageInstance {
                service: owner.to_string(),
                stage: stage.name.clone(),
                needs,
                not_applicable,
                when: stage.when,
            });
        }
        placed.push((stage_index, mine));
    }
    skip_idle_gates(config, &mut instances);
    let before_end = instances.len();
    for stage_index in run_end {
        instances.push(StageInstance {
            service: RUN_SCOPE.to_string(),
            stage: config.stages[stage_index].name.clone(),
            needs: (0..before_end).collect(),
            not_applicable: None,
            when: When::RunEnd,
        });
    }
    Ok(RunPlan { instances })
}

/// Marks an approval gate as not applicable when everything after it is: a gate in
/// front of deploys that a service has no targets for guards nothing.
fn skip_idle_gates(config: &Config, instances: &mut [StageInstance]) {
    for gate in 0..instances.len() {
        let is_gate = config
            .stage(&instances[gate].stage)
            .is_some_and(|s| s.uses == PluginRef::Approval);
        if !is_gate {
            continue;
        }
        let mut after = Vec::new();
        let mut pending = vec![gate];
        while let Some(i) = pending.pop() {
            for (j, inst) in instances.iter().enumerate() {
                if inst.needs.contains(&i) && !after.contains(&j) {
                    after.push(j);
                    pending.push(j);
                }
            }
        }
        if !after.is_empty() && after.iter().all(|&j| instances[j].not_applicable.is_some()) {
            instances[gate].not_applicable = Some(format!(
                "nothing after it applies to service '{}'",
                instances[gate].service
            ));
        }
    }
}

/// Why `stage` does not apply to `service`, if it does not.
fn not_applicable(config: &Config, stage: &crate::config::Stage, service: &str) -> Option<String> {
    let environment = stage.environment.as_deref()?;
    let service = config.service(service)?;
    if service.targets.contains_key(environment) {
        None
    } else {
        Some(format!(
            "service '{}' has no '{environment}' target ([service.targets.{environment}])",
            service.name
        ))
    }
}

/// The services whose files changed, given the paths (relative to the config's
/// directory, `/`-separated) that changed between two commits. A change to
/// `seamless.toml` itself selects every service.
pub fn changed_services(config: &Config, changed: &[String]) -> Vec<String> {
    let all = || config.services.iter().map(|s| s.name.clone()).collect();
    if changed.iter().any(|path| path == CONFIG_FILE_NAME) {
        return all();
    }
    config
        .services
        .iter()
        .filter(|service| {
            let dir = service.path.trim_start_matches("./").trim_end_matches('/');
            dir.is_empty()
                || dir == "."
                || changed.iter().any(|path| {
                    path.strip_prefix(dir)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                })
        })
        .map(|s| s.name.clone())
        .collect()
}

/// Names of the selected services, in config order.
fn select_services<'a>(config: &'a Config, filter: &PlanFilter) -> Result<Vec<&'a str>, PlanError> {
    for name in &filter.services {
        if config.service(name).is_none() {
            return Err(PlanError::UnknownService {
                name: name.clone(),
                known: config.services.iter().map(|s| s.name.clone()).collect(),
            });
        }
    }
    Ok(config
        .services
        .iter()
        .filter(|s| match filter.trigger {
            Some(Trigger::PullRequest) => s.on_pull_request,
            Some(Trigger::Push) => s.on_push,
            _ => true,
        })
        .map(|s| s.name.as_str())
        .filter(|name| filter.services.is_empty() || filter.services.iter().any(|f| f == name))
        .collect())
}

/// Indices of the selected stages: the named ones (or the trigger's `until` stage) and
/// all they need, transitively, plus the run-start and run-end stages.
fn select_stages(config: &Config, filter: &PlanFilter) -> Result<BTreeSet<usize>, PlanError> {
    let index_of = |name: &str| config.stages.iter().position(|s| s.name == name);
    let until = filter
        .trigger
        .and_then(|t| config.triggers.until(t))
        .map(str::to_string);
    let named: Vec<String> = if filter.stages.is_empty() {
        until.into_iter().collect()
    } else {
        filter.stages.clone()
    };
    if named.is_empty() {
        return Ok((0..config.stages.len()).collect());
    }
    let mut selected: BTreeSet<usize> = config
        .stages
        .iter()
        .enumerate()
        .filter(|(_, s)| s.when != When::Success)
        .map(|(i, _)| i)
        .collect();
    let mut pending = Vec::new();
    for name in &named {
        let index = index_of(name).ok_or_else(|| PlanError::UnknownStage {
            name: name.clone(),
            known: config.stages.iter().map(|s| s.name.clone()).collect(),
        })?;
        pending.push(index);
    }
    let mut seen = BTreeSet::new();
    while let Some(index) = pending.pop() {
        if !seen.insert(index) {
            continue;
        }
        selected.insert(index);
        let stage = &config.stages[index];
        for need in &stage.needs {
            pending.extend(index_of(need));
        }
    }
    Ok(selected)
}

/// The selected stages ordered so that each comes after what it needs; among stages that
/// are ready at the same time, the one defined first comes first.
fn topological_order(config: &Config, selected: &BTreeSet<usize>) -> Result<Vec<usize>, PlanError> {
    let mut order: Vec<usize> = Vec::with_capacity(selected.len());
    let mut remaining: Vec<usize> = selected.iter().copied().collect();
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|&i| {
            config.stages[i]
                .needs
                .iter()
                .all(|need| order.iter().any(|&done| config.stages[done].name == *need))
        });
        match ready {
            Some(position) => order.push(remaining.remove(position)),
            None => {
                return Err(PlanError::Cycle {
                    stages: remaining
                        .iter()
                        .map(|&i| config.stages[i].name.clone())
                        .collect(),
                });
            }
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests;
