//! `seamless run --host ecs` through the binary, against moto: each stage container
//! is a Fargate task started by the run, and the run's clean-up leaves nothing. moto
//! runs no container (every exit code is 0, no task writes a log), so what the stage
//! does inside its container is tested on Docker with the same plugins.

use crate::support::Scratch;
use seamless_test_support::moto::{EcsAccount, Moto};
use seamless_test_support::stages::command_stage;

/// One service with one command stage.
fn one_stage(s: &Scratch) {
    s.write("Dockerfile", "FROM seamless/busybox\n");
    s.write(
        "seamless.toml",
        &format!(
            "version = 1\npipeline = \"on-ecs\"\n\n[[service]]\nname = \"app\"\n\
             [service.commands]\ncheck = \"echo checked\"\n\n{}",
            command_stage("check", &[], "check")
        ),
    );
}

/// The environment that points the binary at moto and at `account`.
fn env(moto: &Moto, account: &EcsAccount) -> Vec<(&'static str, String)> {
    let mut env = moto.env();
    env.extend(account.env());
    env
}

fn refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn a_run_on_ecs_starts_its_stage_as_a_fargate_task_and_leaves_nothing_behind() {
    let moto = Moto::acquire();
    let account = moto.set_up_ecs();
    moto.stop_tasks_at_once();
    let s = Scratch::empty();
    one_stage(&s);
    let env = env(&moto, &account);
    let path = s.path().to_str().unwrap().to_owned();
    let run = s.seamless(&["run", &path, "--host", "ecs"], &refs(&env));
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("on the ecs host"), "{}", run.all());
    let id = run.run_id();
    assert_eq!(s.stage(&id, "check").status.as_str(), "success");

    // One task, started by the run and tagged with its stage and service.
    let listed = moto.ecs(
        "ListTasks",
        &format!(r#"{{"cluster":"seamless","startedBy":"{id}"}}"#),
    );
    let arns: Vec<&str> = listed.split('"').filter(|p| p.contains(":task/")).collect();
    assert_eq!(arns.len(), 1, "one task started by {id}: {listed}");
    let arn = arns[0];
    let task = moto.ecs(
        "DescribeTasks",
        &format!(r#"{{"cluster":"seamless","tasks":["{arn}"],"include":["TAGS"]}}"#),
    );
    for tag in [
        r#""key": "dev.seamless.stage", "value": "check""#,
        r#""key": "dev.seamless.service", "value": "app""#,
    ] {
        assert!(task.contains(tag), "{tag} in {task}");
    }
    assert!(task.contains(r#""launchType": "FARGATE""#), "{task}");

    // The run's clean-up released its workspace access point.
    let points = moto.access_points(&account.file_system);
    assert!(points.contains("AccessPoints"), "{points}");
    assert!(!points.contains("fsap-"), "{points}");
}

#[test]
fn ecs_without_its_settings_names_each_missing_one_and_where_to_set_it() {
    let s = Scratch::empty();
    one_stage(&s);
    let path = s.path().to_str().unwrap().to_owned();
    let run = s.seamless(&["run", &path, "--host", "ecs"], &[]);
    assert_ne!(run.code, 0, "{}", run.all());
    for wanted in [
        "--host ecs cannot start",
        "the ECS host needs `cluster`",
        "SEAMLESS_ECS_CLUSTER",
        "the ECS host needs `subnets`",
        "in a [hosts.ecs] table of seamless.toml",
    ] {
        assert!(run.stderr.contains(wanted), "{wanted} in:\n{}", run.all());
    }
}
