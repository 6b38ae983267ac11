//! Health checks run by the engine and reported by `inspect`.

use crate::common::*;
use seamless_host_api::{ContainerHandle, ContainerHost, Health, HealthCheck};
use seamless_host_docker::DockerHost;
use std::time::Duration;

/// A check that passes while `/tmp/ok` exists, judged quickly.
fn file_check() -> HealthCheck {
    HealthCheck {
        command: vec!["test".to_string(), "-f".to_string(), "/tmp/ok".to_string()],
        interval: Duration::from_millis(200),
        timeout: Duration::from_secs(2),
        retries: 2,
        start_period: Duration::ZERO,
    }
}

/// Waits until the health is no longer `Starting` and returns it.
async fn settled(host: &DockerHost, handle: &ContainerHandle) -> Health {
    for _ in 0..100 {
        let health = host.inspect(handle).await.unwrap().health;
        if health != Health::Starting {
            return health;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Health::Starting
}

#[tokio::test]
async fn passing_health_check_is_reported_healthy() {
    let run = unique("healthy");
    let _cleanup = Cleanup::run(&run);
    let host = host().await;
    let mut spec = spec(&run, &["sh", "-c", "touch /tmp/ok; exec sleep 60"]);
    spec.healthcheck = Some(file_check());
    let (sink, _) = collector();
    let handle = host.run(spec, sink).await.unwrap();
    assert_eq!(settled(&host, &handle).await, Health::Healthy);
    host.stop(&handle).await.unwrap();
}

#[tokio::test]
async fn failing_health_check_is_reported_unhealthy() {
    let run = unique("unhealthy");
    let _cleanup = Cleanup::run(&run);
    let host = host().await;
    let mut spec = spec(&run, &["sleep", "60"]);
    spec.healthcheck = Some(file_check());
    let (sink, _) = collector();
    let handle = host.run(spec, sink).await.unwrap();
    assert_eq!(settled(&host, &handle).await, Health::Unhealthy);
    let state = host.inspect(&handle).await.unwrap();
    assert!(state.running, "an unhealthy container keeps running");
    assert_eq!(state.exit_code, None);
    host.stop(&handle).await.unwrap();
}

#[tokio::test]
async fn inspect_reports_no_health_labels_image_and_exit_code() {
    let run = unique("inspect");
    let _cleanup = Cleanup::run(&run);
    let host = host().await;
    let mut spec = spec(&run, &["sh", "-c", "exit 4"]);
    spec.restart = false;
    let (sink, _) = collector();
    let handle = host.run(spec, sink).await.unwrap();
    let exited = eventually(Duration::from_secs(10), || {
        let (host, handle) = (&host, &handle);
        async move { !host.inspect(handle).await.unwrap().running }
    })
    .await;
    assert!(exited);
    let state = host.inspect(&handle).await.unwrap();
    assert_eq!(state.health, Health::None);
    assert_eq!(state.exit_code, Some(4));
    assert_eq!(state.image, IMAGE);
    assert_eq!(state.labels.get(seamless_host_api::LABEL_RUN), Some(&run));
    assert_eq!(host.wait(&handle).await.unwrap(), 4);
    let gone = host.inspect(&handle).await.unwrap_err();
    assert!(
        matches!(gone, seamless_host_api::HostError::NotFound(_)),
        "{gone}"
    );
}
