//! Tests of the planner.

#![allow(clippy::unwrap_used)]

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
        plugins: Default::default(),
        ecs: Default::default(),
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

/// A one-replica target on 127.0.0.1:8080.
fn production_target() -> Target {
    Target {
        port: 8080,
        bind: "127.0.0.1".into(),
        replicas: 1,
        env: BTreeMap::new(),
        ecs: None,
    }
}

#[test]
fn deploy_without_a_target_is_not_applicable() {
    let mut config = full(&["web", "api"]);
    config.services[0]
        .targets
        .insert("production".into(), production_target());
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
    config.services[0]
        .targets
        .insert("production".into(), production_target());
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
