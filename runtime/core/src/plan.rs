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
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;
    use crate::config::{
        Grants, Limits, PluginRef, RetryPolicy, Service, Stage, StageOrigin, Target, Triggers,
    };

    fn service(name: &str) -> Service {
        Service {
            name: name.into(),
            path: name.into(),
            dockerfile: "Dockerfile".into(),
            image: "seamless/busybox".into(),
            on_pull_request: true,
            on_push: true,
            health: "/health".into(),
            ..Service::default()
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
            scope: Scope::Service,
            when: When::Success,
            environment: None,
            retry: RetryPolicy::default(),
        }
    }

    fn run_stage(name: &str, needs: &[&str], when: When) -> Stage {
        Stage {
            scope: Scope::Run,
            when,
            ..stage(name, needs)
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
            registry: None,
            triggers: Triggers::default(),
            workspaces_keep: 20,
            approval_expires: std::time::Duration::from_secs(60),
        }
    }

    /// prepare (run) <- test <- deploy (production), and notify at run end.
    fn full(services: &[&str]) -> Config {
        let mut deploy = stage("deploy", &["test"]);
        deploy.environment = Some("production".into());
        let mut config = config(
            services,
            vec![
                run_stage("prepare", &[], When::Success),
                stage("test", &["prepare"]),
                deploy,
                run_stage("notify", &[], When::RunEnd),
            ],
        );
        config.triggers.pull_request_until = Some("test".into());
        config
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
            trigger: None,
        }
    }

    fn assert_topological(plan: &RunPlan) {
        for (i, instance) in plan.instances.iter().enumerate() {
            for &need in &instance.needs {
                assert!(need < i, "instance {i} needs later instance {need}");
                let (a, b) = (&plan.instances[need].service, &instance.service);
                assert!(
                    a == b || a == RUN_SCOPE || b == RUN_SCOPE,
                    "{b} needs an instance of {a}"
                );
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
    fn run_scoped_stage_has_one_instance_that_service_stages_wait_for() {
        let plan = plan(&full(&["web", "api"]), &PlanFilter::default()).unwrap();
        assert_eq!(
            labels(&plan),
            [
                "/prepare",
                "web/test",
                "api/test",
                "web/deploy",
                "api/deploy",
                "/notify"
            ]
        );
        assert_eq!(plan.instances[1].needs, [0]);
        assert_eq!(plan.instances[2].needs, [0]);
        assert_eq!(plan.instances[3].needs, [1]);
        assert_eq!(plan.instances[5].needs, [0, 1, 2, 3, 4]);
        assert_eq!(plan.instances[5].when, When::RunEnd);
        assert_topological(&plan);
    }

    #[test]
    fn run_scoped_stage_waits_for_every_service() {
        let config = config(
            &["web", "api"],
            vec![
                stage("build", &[]),
                run_stage("report", &["build"], When::Success),
            ],
        );
        let plan = plan(&config, &PlanFilter::default()).unwrap();
        assert_eq!(labels(&plan), ["web/build", "api/build", "/report"]);
        assert_eq!(plan.instances[2].needs, [0, 1]);
    }

    #[test]
    fn deploy_without_a_target_is_not_applicable() {
        let mut config = full(&["web", "api"]);
        config.services[0].targets.insert(
            "production".into(),
            Target {
                port: 8080,
                bind: "127.0.0.1".into(),
                replicas: 1,
                env: BTreeMap::new(),
            },
        );
        let plan = plan(&config, &PlanFilter::default()).unwrap();
        assert_eq!(plan.instances[3].not_applicable, None);
        assert_eq!(
            plan.instances[4].not_applicable.as_deref(),
            Some("service 'api' has no 'production' target ([service.targets.production])")
        );
    }

    #[test]
    fn a_gate_in_front_of_deploys_that_do_not_apply_is_not_applicable() {
        let mut config = full(&["web", "api"]);
        let mut gate = stage("approval", &["test"]);
        gate.uses = PluginRef::Approval;
        config.stages.insert(2, gate);
        config.stages[3].needs = vec!["approval".into()];
        config.services[0].targets.insert(
            "production".into(),
            Target {
                port: 8080,
                bind: "127.0.0.1".into(),
                replicas: 1,
                env: BTreeMap::new(),
            },
        );
        let plan = plan(&config, &PlanFilter::default()).unwrap();
        let gate = |service: &str| {
            plan.instances
                .iter()
                .find(|i| i.stage == "approval" && i.service == service)
                .unwrap()
                .not_applicable
                .clone()
        };
        assert_eq!(gate("web"), None);
        assert_eq!(
            gate("api").as_deref(),
            Some("nothing after it applies to service 'api'")
        );
    }

    #[test]
    fn pull_request_stops_at_its_until_stage_but_keeps_run_end_stages() {
        let filter = PlanFilter {
            trigger: Some(Trigger::PullRequest),
            ..PlanFilter::default()
        };
        let plan = plan(&full(&["web"]), &filter).unwrap();
        assert_eq!(labels(&plan), ["/prepare", "web/test", "/notify"]);
    }

    #[test]
    fn push_runs_everything_and_services_can_opt_out() {
        let mut config = full(&["web", "api"]);
        config.services[1].on_push = false;
        let filter = PlanFilter {
            trigger: Some(Trigger::Push),
            ..PlanFilter::default()
        };
        let plan = plan(&config, &filter).unwrap();
        assert_eq!(
            labels(&plan),
            ["/prepare", "web/test", "web/deploy", "/notify"]
        );
    }

    #[test]
    fn no_selected_service_plans_nothing() {
        let mut config = full(&["web"]);
        config.services[0].on_pull_request = false;
        let filter = PlanFilter {
            trigger: Some(Trigger::PullRequest),
            ..PlanFilter::default()
        };
        assert!(plan(&config, &filter).unwrap().instances.is_empty());
    }

    #[test]
    fn changed_paths_select_the_services_in_them() {
        let config = full(&["web", "api", "webhooks"]);
        let changed = |paths: &[&str]| {
            let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
            changed_services(&config, &paths)
        };
        assert_eq!(changed(&["web/app.py"]), ["web"]);
        assert_eq!(changed(&["api/x", "README.md"]), ["api"]);
        assert!(changed(&["docs/index.md"]).is_empty());
        assert_eq!(
            changed(&["webhooks/a"]),
            ["webhooks"],
            "prefix must match whole dirs"
        );
        assert_eq!(changed(&["seamless.toml"]), ["web", "api", "webhooks"]);
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
