//! Contract tests of the ECS host against moto (`seamless_test_support::moto`): what
//! the host asks AWS for, and what it makes of the answers. moto runs no container, so
//! exit codes are always 0 and logs are seeded by the test; real execution is tested
//! on Docker with the same plugins (see the crate's README).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{Aws, labels, spec, start};
use seamless_host_api::{ContainerHandle, ContainerHost, LogStream};
use seamless_host_ecs::HostMemory;
use seamless_test_support::logs;
use seamless_test_support::moto::Moto;

#[tokio::test]
async fn a_stage_task_carries_its_command_environment_tags_and_run() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    let (sink, lines) = logs::collector();
    let mut spec = spec("run-one", "unit-test");
    spec.command = vec!["sh".into(), "-c".into(), "make test".into()];
    spec.env = vec![("GREETING".into(), "hello".into())];
    let handle = host.run(spec, sink).await.unwrap();

    let task = aws.task(&handle.id).await;
    assert_eq!(task.started_by(), Some("run-one"));
    assert_eq!(task.launch_type().map(|l| l.as_str()), Some("FARGATE"));
    let overrides = task.overrides().unwrap().container_overrides();
    assert_eq!(overrides.len(), 1);
    assert_eq!(overrides[0].name(), Some("stage"));
    assert_eq!(overrides[0].command(), ["sh", "-c", "make test"]);
    let env: Vec<(&str, &str)> = overrides[0]
        .environment()
        .iter()
        .map(|kv| (kv.name().unwrap(), kv.value().unwrap()))
        .collect();
    assert_eq!(env, [("GREETING", "hello")]);
    let tags: BTreeMap<&str, &str> = task
        .tags()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(
        tags,
        BTreeMap::from([
            ("dev.seamless.run", "run-one"),
            ("dev.seamless.service", "api"),
            ("dev.seamless.stage", "unit-test"),
        ])
    );

    // The log, seeded as the awslogs driver would write it, arrives once, in order.
    let stream = format!("seamless/stage/{}", handle.id.rsplit('/').next().unwrap());
    aws.seed_log(&stream, &["compiling", "3 tests passed", "done"])
        .await;
    moto.stop_tasks_at_once();
    assert_eq!(host.wait(&handle).await.unwrap(), 0);
    assert_eq!(
        logs::on(&lines, LogStream::Stdout),
        ["compiling", "3 tests passed", "done"]
    );
    assert!(logs::on(&lines, LogStream::Stderr).is_empty());
}

#[tokio::test]
async fn one_task_definition_serves_every_task_of_one_shape() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    moto.stop_tasks_at_once();
    for stage in ["lint", "unit-test", "docs"] {
        let mut spec = spec("run-shape", stage);
        spec.workspace = None;
        let handle = start(&host, spec).await;
        host.wait(&handle).await.unwrap();
    }
    assert_eq!(aws.task_definitions().await.len(), 1);
    // Another image is another shape.
    let mut other = spec("run-shape", "build");
    other.workspace = None;
    other.image = "seamless/debian:12".into();
    start(&host, other).await;
    assert_eq!(aws.task_definitions().await.len(), 2);
    // A second host on the same cache (a restarted runtime) registers nothing new.
    let again = aws.host().await;
    let mut spec = spec("run-shape-2", "lint");
    spec.workspace = None;
    start(&again, spec).await;
    assert_eq!(aws.task_definitions().await.len(), 2);
}

#[tokio::test]
async fn a_task_definition_gone_behind_the_runtimes_back_is_registered_again() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    let mut first = spec("run-stale", "lint");
    first.workspace = None;
    let handle = start(&host, first.clone()).await;
    let definition = aws
        .task(&handle.id)
        .await
        .task_definition_arn()
        .unwrap()
        .to_owned();
    // The remembered ARN now names a revision ECS does not know.
    let keys = aws.cache.keys();
    assert_eq!(keys.len(), 1);
    let gone = format!("{}99", definition.trim_end_matches(char::is_numeric));
    aws.cache.put(&keys[0], &gone);
    let handle = start(&host, first).await;
    let now = aws
        .task(&handle.id)
        .await
        .task_definition_arn()
        .unwrap()
        .to_owned();
    assert_ne!(now, gone);
    assert_eq!(aws.cache.get(&keys[0]).as_deref(), Some(now.as_str()));
}

#[tokio::test]
async fn each_run_mounts_an_access_point_of_its_own() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    let a1 = start(&host, spec("run-a", "prepare")).await;
    let a2 = start(&host, spec("run-a", "unit-test")).await;
    let b = start(&host, spec("run-b", "prepare")).await;
    let points = aws.access_points().await;
    let mut roots: Vec<&str> = points.values().map(String::as_str).collect();
    roots.sort();
    assert_eq!(roots, ["/seamless/runs/run-a", "/seamless/runs/run-b"]);
    let mounted = |handle: ContainerHandle| {
        let aws = &aws;
        async move {
            let task = aws.task(&handle.id).await;
            aws.mounted_access_point(task.task_definition_arn().unwrap())
                .await
        }
    };
    let (a1, a2, b) = (mounted(a1).await, mounted(a2).await, mounted(b).await);
    assert_eq!(a1, a2);
    assert_ne!(a1, b);
    assert_eq!(points[&a1], "/seamless/runs/run-a");
    assert_eq!(points[&b], "/seamless/runs/run-b");
}

#[tokio::test]
async fn clean_up_by_label_stops_only_what_carries_every_label() {
    let moto = Moto::acquire();
    moto.keep_tasks_running();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    let lint = start(&host, spec("run-c", "lint")).await;
    let test = start(&host, spec("run-c", "unit-test")).await;
    let other = start(&host, spec("run-d", "lint")).await;
    let listed = host.list_labelled(&labels("run-c", None)).await.unwrap();
    assert_eq!(listed.len(), 2);

    // An interrupted stage (resume): its own task only.
    let removed = host
        .remove_labelled(&labels("run-c", Some("lint")))
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(aws.task(&lint.id).await.desired_status(), Some("STOPPED"));
    assert_eq!(aws.task(&test.id).await.desired_status(), Some("RUNNING"));

    // The run's final sweep: its tasks and its access point.
    let removed = host.remove_labelled(&labels("run-c", None)).await.unwrap();
    assert_eq!(removed, 2, "one task and one access point");
    assert_eq!(aws.task(&test.id).await.desired_status(), Some("STOPPED"));
    assert_eq!(aws.task(&other.id).await.desired_status(), Some("RUNNING"));
    let points = aws.access_points().await;
    assert_eq!(
        points.values().cloned().collect::<Vec<_>>(),
        ["/seamless/runs/run-d"]
    );
}

#[tokio::test]
async fn stopping_a_task_stops_it_on_ecs() {
    let moto = Moto::acquire();
    moto.keep_tasks_running();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    let handle = start(&host, spec("run-e", "lint")).await;
    host.stop(&handle).await.unwrap();
    let task = aws.task(&handle.id).await;
    assert_eq!(task.desired_status(), Some("STOPPED"));
    assert_eq!(task.stopped_reason(), Some("stopped by Seamless"));
}

#[tokio::test]
async fn a_missing_cluster_names_the_setting_to_fix() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let mut options = aws.options.clone();
    options.cluster = "no-such-cluster".into();
    let error = aws.host_with(options).await.err().unwrap().to_string();
    assert!(error.contains("'no-such-cluster'"), "{error}");
    assert!(error.contains("`cluster` under [hosts.ecs]"), "{error}");
}

#[tokio::test]
async fn a_stage_container_asking_for_a_network_gets_a_clear_error() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    let mut spec = spec("run-f", "integration-test");
    spec.network = Some(seamless_host_api::NetworkAttachment {
        network: "n".into(),
        aliases: vec![],
    });
    let error = host
        .run(spec, logs::collector().0)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the ecs host does not support joining networks"),
        "{error}"
    );
    assert!(aws.task_definitions().await.is_empty());
}

#[tokio::test]
async fn a_stages_container_size_is_its_tasks_and_a_size_fargate_lacks_is_refused() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    let mut big = spec("run-size", "build");
    big.cpu = Some(1024);
    big.memory_mib = Some(4096);
    let handle = start(&host, big).await;
    let arn = aws
        .task(&handle.id)
        .await
        .task_definition_arn()
        .unwrap()
        .to_owned();
    let (definition, _) = aws.task_definition(&arn).await;
    assert_eq!(
        (definition.cpu(), definition.memory()),
        (Some("1024"), Some("4096"))
    );

    // 4 vCPUs with [hosts.ecs]'s 1 GiB is no Fargate size.
    let mut odd = spec("run-size", "lint");
    odd.cpu = Some(4096);
    let error = host
        .run(odd, logs::collector().0)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("not one Fargate offers"), "{error}");
    assert!(
        error.contains("`container-memory-mib` under [stage.limits]"),
        "{error}"
    );
}
