//! The planner: turns a validated config and a filter into a run plan, the DAG of stage
//! instances to run.
//!
//! Every selected service gets the whole selected stage graph: instance `(service,
//! stage)` needs `(service, need)` for each of the stage's `needs`. Services do not wait
//! for each other. Instances are listed stage by stage in topological order (stages in
//! file order where the graph allows), and within a stage by service in file order.

use std::collections::BTreeSet;

use crate::config::Config;

/// Which part of the pipeline to run; an empty list selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFilter {
    /// Services to run, by name; empty runs all.
    pub services: Vec<String>,
    /// Stages to run, by name, plus every stage they need, transitively (a stage never
    /// runs without what it needs); empty runs all.
    pub stages: Vec<String>,
}

/// One stage run for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageInstance {
    /// The service name.
    pub service: String,
    /// The stage name.
    pub stage: String,
    /// Instances that must succeed first, as indices into [`RunPlan::instances`]; each
    /// is smaller than this instance's own index.
    pub needs: Vec<usize>,
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
    let stages = select_stages(config, filter)?;
    let order = topological_order(config, &stages)?;

    // Instance of (order position p, service position s) is at p * services.len() + s.
    let mut instances = Vec::with_capacity(order.len() * services.len());
    for &stage_index in &order {
        let stage = &config.stages[stage_index];
        for (s, service) in services.iter().enumerate() {
            let mut needs = Vec::with_capacity(stage.needs.len());
            for need in &stage.needs {
                let position = order
                    .iter()
                    .position(|&i| config.stages[i].name == *need)
                    .ok_or_else(|| PlanError::UnknownNeed {
                        stage: stage.name.clone(),
                        need: need.clone(),
                    })?;
                needs.push(position * services.len() + s);
            }
            instances.push(StageInstance {
                service: (*service).to_string(),
                stage: stage.name.clone(),
                needs,
            });
        }
    }
    Ok(RunPlan { instances })
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
        .map(|s| s.name.as_str())
        .filter(|name| filter.services.is_empty() || filter.services.iter().any(|f| f == name))
        .collect())
}

/// Indices of the selected stages: the named ones and all they need, transitively.
fn select_stages(config: &Config, filter: &PlanFilter) -> Result<BTreeSet<usize>, PlanError> {
    let index_of = |name: &str| config.stages.iter().position(|s| s.name == name);
    if filter.stages.is_empty() {
        return Ok((0..config.stages.len()).collect());
    }
    let mut selected = BTreeSet::new();
    let mut pending = Vec::new();
    for name in &filter.stages {
        let index = index_of(name).ok_or_else(|| PlanError::UnknownStage {
            name: name.clone(),
            known: config.stages.iter().map(|s| s.name.clone()).collect(),
        })?;
        pending.push(index);
    }
    while let Some(index) = pending.pop() {
        if !selected.insert(index) {
            continue;
        }
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
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;
    use crate::config::{Grants, Limits, PluginRef, Service, Stage, StageOrigin};

    fn service(name: &str) -> Service {
        Service {
            name: name.into(),
            path: ".".into(),
            dockerfile: "Dockerfile".into(),
            image: "seamless/busybox".into(),
            commands: BTreeMap::new(),
        }
    }

    fn stage(name: &str, needs: &[&str]) -> Stage {
        Stage {
            name: name.into(),
            uses: PluginRef::Builtin("command".into()),
            needs: needs.iter().map(|n| n.to_string()).collect(),
            grants: Grants::default(),
            limits: Limits::default(),
            with: BTreeMap::new(),
            origin: StageOrigin {
                file: "seamless.toml".into(),
                line: 1,
                grants_line: None,
                limits_line: None,
                memory_line: None,
                timeout_line: None,
            },
        }
    }

    fn config(services: &[&str], stages: Vec<Stage>) -> Config {
        Config {
            file: PathBuf::from("/repo/seamless.toml"),
            root: PathBuf::from("/repo"),
            pipeline: "p".into(),
            secrets: BTreeMap::new(),
            services: services.iter().map(|s| service(s)).collect(),
            stages,
        }
    }

    /// code-quality <- unit-test <- build, for services web and api.
    fn shop() -> Config {
        config(
            &["web", "api"],
            vec![
                stage("code-quality", &[]),
                stage("unit-test", &["code-quality"]),
                stage("build", &["unit-test"]),
            ],
        )
    }

    fn labels(plan: &RunPlan) -> Vec<String> {
        plan.instances
            .iter()
            .map(|i| format!("{}/{}", i.service, i.stage))
            .collect()
    }

    fn filter(services: &[&str], stages: &[&str]) -> PlanFilter {
        PlanFilter {
            services: services.iter().map(|s| s.to_string()).collect(),
            stages: stages.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn assert_topological(plan: &RunPlan) {
        for (i, instance) in plan.instances.iter().enumerate() {
            for &need in &instance.needs {
                assert!(need < i, "instance {i} needs later instance {need}");
                assert_eq!(plan.instances[need].service, instance.service);
            }
        }
    }

    #[test]
    fn two_services_and_three_stages_give_six_instances_in_order() {
        let plan = plan(&shop(), &PlanFilter::default()).unwrap();
        assert_eq!(
            labels(&plan),
            [
                "web/code-quality",
                "api/code-quality",
                "web/unit-test",
                "api/unit-test",
                "web/build",
                "api/build"
            ]
        );
        let needs: Vec<Vec<usize>> = plan.instances.iter().map(|i| i.needs.clone()).collect();
        assert_eq!(needs, [vec![], vec![], vec![0], vec![1], vec![2], vec![3]]);
        assert_topological(&plan);
    }

    #[test]
    fn dependents_are_the_instances_that_need_it() {
        let plan = plan(&shop(), &PlanFilter::default()).unwrap();
        assert_eq!(plan.dependents(0), [2]);
        assert_eq!(plan.dependents(3), [5]);
        assert!(plan.dependents(5).is_empty());
    }

    #[test]
    fn stage_filter_pulls_in_what_the_stage_needs() {
        let plan = plan(&shop(), &filter(&[], &["unit-test"])).unwrap();
        assert_eq!(
            labels(&plan),
            [
                "web/code-quality",
                "api/code-quality",
                "web/unit-test",
                "api/unit-test"
            ]
        );
        assert_topological(&plan);
    }

    #[test]
    fn service_filter_keeps_only_named_services() {
        let plan = plan(&shop(), &filter(&["api"], &["code-quality"])).unwrap();
        assert_eq!(labels(&plan), ["api/code-quality"]);
        assert!(plan.instances[0].needs.is_empty());
    }

    #[test]
    fn stages_defined_before_what_they_need_are_ordered_after_it() {
        let config = config(
            &["app"],
            vec![
                stage("deploy", &["build", "test"]),
                stage("build", &[]),
                stage("test", &["build"]),
                stage("lint", &[]),
            ],
        );
        let plan = plan(&config, &PlanFilter::default()).unwrap();
        assert_eq!(
            labels(&plan),
            ["app/build", "app/test", "app/deploy", "app/lint"]
        );
        assert_eq!(plan.instances[2].needs, [0, 1]);
        assert_topological(&plan);
    }

    #[test]
    fn unknown_service_is_named_with_the_valid_ones() {
        let error = plan(&shop(), &filter(&["db"], &[])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown service 'db'; services are: web, api"
        );
    }

    #[test]
    fn unknown_stage_is_named_with_the_valid_ones() {
        let error = plan(&shop(), &filter(&[], &["deploy"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown stage 'deploy'; stages are: code-quality, unit-test, build"
        );
    }

    #[test]
    fn hand_built_cycle_is_an_error_not_a_hang() {
        let config = config(&["app"], vec![stage("a", &["b"]), stage("b", &["a"])]);
        let error = plan(&config, &PlanFilter::default()).unwrap_err();
        assert_eq!(
            error,
            PlanError::Cycle {
                stages: vec!["a".into(), "b".into()]
            }
        );
    }

    #[test]
    fn hand_built_unknown_need_is_an_error() {
        let config = config(&["app"], vec![stage("a", &["ghost"])]);
        let error = plan(&config, &PlanFilter::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "stage 'a' needs 'ghost', which is not defined"
        );
    }
}
