//! Deploys to an ECS service, against moto: what the deployer registers and updates,
//! and how it reads the rollout. moto's rollout state is fixed when a service is
//! created (COMPLETED with no desired tasks, IN_PROGRESS with some, never FAILED), so
//! a rollback by ECS is played by the test updating the service back, as ECS's
//! circuit breaker would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_ecs::types::{
    AwsVpcConfiguration, ContainerDefinition, KeyValuePair, LaunchType, NetworkConfiguration,
};
use common::Aws;
use seamless_host_api::{CandidateSpec, ContainerHost, DeployHost, ManagedService};
use seamless_host_ecs::EcsHost;
use seamless_test_support::logs;
use seamless_test_support::moto::Moto;

/// A service `gateway` running `reg/gateway:1` beside an `envoy` sidecar, with
/// `desired` tasks; returns its task definition's ARN.
async fn gateway(aws: &Aws, desired: i32) -> String {
    let container = |name: &str, image: &str| {
        ContainerDefinition::builder()
            .name(name)
            .image(image)
            .memory(256)
            .environment(KeyValuePair::builder().name("KEEP").value("1").build())
            .build()
    };
    let registered = aws
        .clients
        .ecs
        .register_task_definition()
        .family("gateway")
        .container_definitions(container("app", "reg/gateway:1"))
        .container_definitions(container("envoy", "reg/envoy:1"))
        .send()
        .await
        .unwrap();
    let arn = registered
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_owned();
    let network = AwsVpcConfiguration::builder()
        .subnets(&aws.options.subnets[0])
        .security_groups(&aws.options.security_groups[0])
        .build()
        .unwrap();
    aws.clients
        .ecs
        .create_service()
        .cluster("seamless")
        .service_name("gateway")
        .task_definition(&arn)
        .desired_count(desired)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(network)
                .build(),
        )
        .send()
        .await
        .unwrap();
    arn
}

fn spec(revision: &str, image: &str) -> CandidateSpec {
    CandidateSpec {
        service: "gateway".into(),
        environment: "staging".into(),
        revision: revision.into(),
        run_id: "run-deploy".into(),
        commit: "c0ffee".into(),
        image: image.into(),
        container_port: 8080,
        public_port: 443,
        bind_ip: "0.0.0.0".into(),
        replicas: 1,
        env: vec![("SEAMLESS_REVISION".into(), revision.into())],
        managed: Some(ManagedService {
            name: "gateway".into(),
            cluster: None,
            target_group: None,
            health_url: None,
        }),
    }
}

async fn served(aws: &Aws) -> String {
    let answer = aws
        .clients
        .ecs
        .describe_services()
        .cluster("seamless")
        .services("gateway")
        .send()
        .await
        .unwrap();
    answer.services()[0].task_definition().unwrap().to_owned()
}

fn deployer(host: &EcsHost) -> &dyn DeployHost {
    host.deployer().expect("the ECS host deploys")
}

#[tokio::test]
async fn a_completed_deploy_runs_the_new_image_in_every_container_of_its_repository() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let before = gateway(&aws, 0).await;
    let host = aws.host().await;
    let (sink, lines) = logs::collector();
    let candidate = deployer(&host)
        .start_candidate(spec("rev-2", "reg/gateway:2"), sink)
        .await
        .unwrap();
    let now = served(&aws).await;
    assert_ne!(now, before);
    let (definition, tags) = aws.task_definition(&now).await;
    let images: Vec<&str> = definition
        .container_definitions()
        .iter()
        .map(|c| c.image().unwrap())
        .collect();
    assert_eq!(images, ["reg/gateway:2", "reg/envoy:1"]);
    let env: Vec<(&str, &str)> = definition.container_definitions()[0]
        .environment()
        .iter()
        .map(|kv| (kv.name().unwrap(), kv.value().unwrap()))
        .collect();
    assert_eq!(env, [("KEEP", "1"), ("SEAMLESS_REVISION", "rev-2")]);
    assert!(
        tags.iter()
            .any(|t| t.key() == Some("dev.seamless.deploy.revision") && t.value() == Some("rev-2")),
        "{tags:?}"
    );
    let said = logs::on(&lines, seamless_host_api::LogStream::Stdout).join("\n");
    assert!(said.contains("in container(s) app"), "{said}");

    assert_eq!(
        deployer(&host)
            .probe(&candidate, "/health", std::time::Duration::from_secs(5))
            .await
            .unwrap(),
        200
    );
    let endpoint = deployer(&host)
        .promote(&candidate, &spec("rev-2", "reg/gateway:2"))
        .await
        .unwrap();
    assert_eq!(endpoint, "ecs://seamless/gateway");
    let serving = deployer(&host)
        .serving("gateway", "staging")
        .await
        .unwrap()
        .expect("the service serves");
    assert_eq!(serving.revision, "rev-2");
    assert_eq!(serving.image, "reg/gateway:2");
}

#[tokio::test]
async fn a_deploy_abandoned_while_rolling_out_goes_back_to_what_served() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let before = gateway(&aws, 2).await;
    let host = aws.host().await;
    let candidate = deployer(&host)
        .start_candidate(spec("rev-3", "reg/gateway:3"), logs::collector().0)
        .await
        .unwrap();
    assert_ne!(served(&aws).await, before);
    let status = deployer(&host)
        .probe(&candidate, "/health", std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(status, 503, "still rolling out");
    deployer(&host).discard(&candidate).await.unwrap();
    assert_eq!(served(&aws).await, before);
}

#[tokio::test]
async fn a_deploy_ecs_rolled_back_fails_naming_why_and_is_left_alone() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let before = gateway(&aws, 0).await;
    let host = aws.host().await;
    let candidate = deployer(&host)
        .start_candidate(spec("rev-4", "reg/gateway:4"), logs::collector().0)
        .await
        .unwrap();
    // ECS's circuit breaker puts the service back on what served before.
    aws.clients
        .ecs
        .update_service()
        .cluster("seamless")
        .service("gateway")
        .task_definition(&before)
        .send()
        .await
        .unwrap();
    let error = deployer(&host)
        .probe(&candidate, "/health", std::time::Duration::from_secs(5))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("ECS rolled the deployment of"), "{error}");
    assert!(
        error.contains(&format!("the service runs {before} now")),
        "{error}"
    );
    deployer(&host).discard(&candidate).await.unwrap();
    assert_eq!(served(&aws).await, before);
}

#[tokio::test]
async fn a_deploy_that_would_change_no_container_or_has_no_service_is_refused() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let before = gateway(&aws, 0).await;
    let host = aws.host().await;
    let error = deployer(&host)
        .start_candidate(spec("rev-5", "reg/other:5"), logs::collector().0)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("app (reg/gateway:1), envoy (reg/envoy:1)"),
        "{error}"
    );
    let mut unmanaged = spec("rev-6", "reg/gateway:6");
    unmanaged.managed = None;
    let error = deployer(&host)
        .start_candidate(unmanaged, logs::collector().0)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("add `ecs-service = \"...\"` to [service.targets.staging]"),
        "{error}"
    );
    let mut missing = spec("rev-7", "reg/gateway:7");
    missing.managed.as_mut().unwrap().name = "nope".into();
    let error = deployer(&host)
        .start_candidate(missing, logs::collector().0)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("ECS service 'nope' in cluster 'seamless'"),
        "{error}"
    );
    assert_eq!(served(&aws).await, before, "nothing changed");
}

#[tokio::test]
async fn a_completed_rollout_also_waits_for_the_targets_health_url() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU16, Ordering};
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    gateway(&aws, 0).await;
    // The service's public health URL, answering what the test says.
    let answer = Arc::new(AtomicU16::new(503));
    let said = answer.clone();
    let app = axum::Router::new().route(
        "/health",
        axum::routing::get(move || {
            let said = said.clone();
            async move { axum::http::StatusCode::from_u16(said.load(Ordering::SeqCst)).unwrap() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let host = aws.host().await;
    let mut spec = spec("rev-8", "reg/gateway:8");
    spec.managed.as_mut().unwrap().health_url = Some(url.clone());
    let candidate = deployer(&host)
        .start_candidate(spec.clone(), logs::collector().0)
        .await
        .unwrap();
    let probe = || deployer(&host).probe(&candidate, "/health", std::time::Duration::from_secs(5));
    assert_eq!(probe().await.unwrap(), 503);
    answer.store(200, Ordering::SeqCst);
    assert_eq!(probe().await.unwrap(), 200);
    assert_eq!(
        deployer(&host).promote(&candidate, &spec).await.unwrap(),
        url
    );
}
