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

/// The ECR prefix the ECS host and the pipeline's registry share.
const PREFIX: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/seamless";

/// A service `app` deployed to `staging`, the ECS service `app`, by prepare -> build
/// -> deploy, in a git repository.
fn deploy_pipeline(s: &Scratch) {
    s.write("Dockerfile", "FROM seamless/busybox\n");
    s.write(
        "seamless.toml",
        &format!(
            "version = 1\npipeline = \"ecs-deploys\"\n\n[registry]\nurl = \"{PREFIX}\"\n\n\
             [[service]]\nname = \"app\"\nport = 8080\n\
             [service.targets.staging]\nport = 443\necs-service = \"app\"\n\n\
             [[stage]]\nname = \"prepare\"\nuses = \"builtin:prepare\"\nscope = \"run\"\n\
             grants = {{ workspace-write = true }}\n\n\
             [[stage]]\nname = \"build\"\nuses = \"builtin:build\"\nneeds = [\"prepare\"]\n\
             grants = {{ images = true }}\n\n\
             [[stage]]\nname = \"deploy\"\nuses = \"builtin:deploy\"\nneeds = [\"build\"]\n\
             environment = \"staging\"\ngrants = {{ deploy = [\"staging\"] }}\n\
             [stage.with]\nprobe-interval-ms = \"100\"\n"
        ),
    );
}

/// The ECS service `app` on `account`, running `<PREFIX>/app:old` with no desired
/// tasks (moto then reports every rollout as completed).
fn ecs_service(moto: &Moto, account: &EcsAccount) {
    moto.ecs(
        "RegisterTaskDefinition",
        &format!(
            r#"{{"family":"app","containerDefinitions":[{{"name":"app","image":"{PREFIX}/app:old","memory":256}}]}}"#
        ),
    );
    moto.ecs(
        "CreateService",
        &format!(
            r#"{{"cluster":"seamless","serviceName":"app","taskDefinition":"app","desiredCount":0,"launchType":"FARGATE","networkConfiguration":{{"awsvpcConfiguration":{{"subnets":["{}"],"securityGroups":["{}"]}}}}}}"#,
            account.subnet, account.security_group
        ),
    );
    moto.ecr("CreateRepository", r#"{"repositoryName":"seamless/app"}"#);
}

/// The image the ECS service `app` runs now.
fn served_image(moto: &Moto) -> String {
    let services = moto.ecs(
        "DescribeServices",
        r#"{"cluster":"seamless","services":["app"]}"#,
    );
    let definition = services
        .split('"')
        .find(|p| p.contains(":task-definition/"))
        .unwrap_or_else(|| panic!("no task definition in {services}"))
        .to_owned();
    let described = moto.ecs(
        "DescribeTaskDefinition",
        &format!(r#"{{"taskDefinition":"{definition}"}}"#),
    );
    seamless_test_support::moto::json_string(&described, "image")
        .unwrap_or_else(|| panic!("no image in {described}"))
}

#[test]
fn builds_deploys_and_rollback_on_ecs_through_the_binary() {
    let moto = Moto::acquire();
    let account = moto.set_up_ecs();
    moto.stop_tasks_at_once();
    ecs_service(&moto, &account);
    let s = Scratch::empty();
    deploy_pipeline(&s);
    let env = env(&moto, &account);
    let path = s.path().to_str().unwrap().to_owned();
    let mut digests = Vec::new();
    for version in [1, 2] {
        s.write("VERSION", &version.to_string());
        let message = format!("v{version}");
        let commit = if version == 1 {
            seamless_test_support::git::init_and_commit(s.path(), &message)
        } else {
            seamless_test_support::git::commit_all(s.path(), &message)
        };
        // What the builder task would push (moto runs no Kaniko).
        digests.push(moto.put_image("seamless/app", &commit, version));
        let run = s.seamless(&["run", &path, "--host", "ecs"], &refs(&env));
        assert_eq!(run.code, 0, "{}", run.all());
        let id = run.run_id();
        let logs = s.stored_logs(&id);
        assert!(
            logs.contains("is already in ECR; not built again"),
            "{logs}"
        );
        assert_eq!(s.stage(&id, "deploy").status.as_str(), "success");
        assert_eq!(
            served_image(&moto),
            format!("{PREFIX}/app@{}", digests[version as usize - 1]),
            "run {version} deployed its build"
        );
    }
    let rollback = s.seamless(
        &[
            "rollback",
            "app",
            "--env",
            "staging",
            "--previous",
            "--host",
            "ecs",
            "--path",
            &path,
        ],
        &refs(&env),
    );
    assert_eq!(rollback.code, 0, "{}", rollback.all());
    assert_eq!(served_image(&moto), format!("{PREFIX}/app@{}", digests[0]));
    let revisions = seamless_store::Store::open(s.data.path())
        .unwrap()
        .revisions("app", "staging")
        .unwrap();
    let results: Vec<&str> = revisions.iter().map(|r| r.result.as_str()).collect();
    assert_eq!(results, ["success", "success", "success"], "{revisions:?}");
    assert_eq!(revisions[0].endpoint, "ecs://seamless/app");
}
