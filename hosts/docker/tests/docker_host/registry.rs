//! Pushing to and pulling from a real registry.
//!
//! The registry is named by `SEAMLESS_TEST_REGISTRY`, such as `127.0.0.1:5001`;
//! `scripts/test` starts Debian's `docker-registry` there and sets it.

use crate::common::*;
use bollard::query_parameters::TagImageOptionsBuilder;
use seamless_host_api::{ContainerHost, HostError, LogStream};

use seamless_test_support::registry::plain as registry;

/// Tags the busybox base image as `repository:tag`.
async fn tag_busybox(repository: &str, tag: &str) {
    let options = TagImageOptionsBuilder::default()
        .repo(repository)
        .tag(tag)
        .build();
    client()
        .await
        .tag_image(IMAGE, Some(options))
        .await
        .unwrap();
}

/// `RepoDigests` of `reference`, as the docker CLI reports them.
fn repo_digests(reference: &str) -> Vec<String> {
    let out = std::process::Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{range .RepoDigests}}{{println .}}{{end}}",
            reference,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker image inspect {reference} failed"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn push_returns_the_registry_digest_and_ensure_pulls_it_back() {
    let registry = registry();
    let run = unique("push");
    let repository = format!("{registry}/seamless-test/{run}");
    let reference = format!("{repository}:v1");
    let _image = ImageCleanup(reference.clone());
    tag_busybox(&repository, "v1").await;

    let host = host().await;
    let (sink, lines) = collector();
    let digest = host.push_image(&reference, sink).await.unwrap();
    assert!(digest.starts_with("sha256:"), "{digest}");
    assert_eq!(digest.len(), "sha256:".len() + 64, "{digest}");
    assert!(
        repo_digests(&reference).contains(&format!("{repository}@{digest}")),
        "{:?} lacks {digest}",
        repo_digests(&reference)
    );
    assert!(
        !on(&lines, LogStream::Stdout).is_empty(),
        "push progress is logged"
    );

    // Gone locally, the image comes back from the registry.
    let removed = std::process::Command::new("docker")
        .args(["rmi", &reference])
        .output()
        .unwrap();
    assert!(removed.status.success());
    let (sink, lines) = collector();
    host.ensure_image(&reference, sink).await.unwrap();
    assert!(
        on(&lines, LogStream::Stdout)
            .iter()
            .any(|l| l.contains(&format!("pulling {reference}"))),
        "{lines:?}"
    );
    assert!(repo_digests(&reference).contains(&format!("{repository}@{digest}")));
    let (sink, lines) = collector();
    host.ensure_image(&reference, sink).await.unwrap();
    assert!(
        lines.lock().unwrap().is_empty(),
        "a present image is not pulled"
    );
}

#[tokio::test]
async fn pulling_a_missing_image_is_a_clear_error() {
    let registry = registry();
    let reference = format!("{registry}/seamless-test/{}:none", unique("missing"));
    let host = host().await;
    let (sink, _) = collector();
    let err = host.ensure_image(&reference, sink).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, HostError::Backend { .. }), "{message}");
    assert!(
        message.contains(&format!("pulling '{reference}' failed")),
        "{message}"
    );
    assert!(
        message.contains("not found") || message.contains("manifest unknown"),
        "{message}"
    );
}

#[tokio::test]
async fn push_to_an_unreachable_registry_is_an_error_with_the_message() {
    // Port 1 on loopback: nothing listens there.
    let repository = format!("127.0.0.1:1/seamless-test/{}", unique("unreachable"));
    let reference = format!("{repository}:v1");
    let _image = ImageCleanup(reference.clone());
    tag_busybox(&repository, "v1").await;
    let host = host().await;
    let (sink, lines) = collector();
    let err = host.push_image(&reference, sink).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, HostError::Backend { .. }), "{message}");
    assert!(
        message.contains(&format!("pushing '{reference}' failed")),
        "{message}"
    );
    assert!(message.contains("connection refused"), "{message}");
    assert!(
        !on(&lines, LogStream::Stderr).is_empty(),
        "the error is logged too"
    );
}

#[tokio::test]
async fn pushing_an_image_that_does_not_exist_is_not_found() {
    let host = host().await;
    let (sink, _) = collector();
    let reference = format!("127.0.0.1:1/seamless-test/{}:v1", unique("absent"));
    let err = host.push_image(&reference, sink).await.unwrap_err();
    assert!(matches!(err, HostError::NotFound(_)), "{err}");
}

#[tokio::test]
async fn check_image_finds_an_image_on_the_engine_or_in_its_registry_and_names_a_gone_one() {
    use seamless_host_api::DeployHost;
    let registry = registry();
    let repository = format!("{registry}/seamless-test/{}", unique("check"));
    let reference = format!("{repository}:v1");
    let _image = ImageCleanup(reference.clone());
    tag_busybox(&repository, "v1").await;
    let host = host().await;
    let deployer = host.docker_deployer();
    // On the engine only: there.
    deployer.check_image(&reference).await.unwrap();

    // Pushed, then removed from the engine: its registry serves it.
    let (sink, _) = collector();
    host.push_image(&reference, sink).await.unwrap();
    let removed = std::process::Command::new("docker")
        .args(["rmi", &reference])
        .output()
        .unwrap();
    assert!(removed.status.success());
    deployer.check_image(&reference).await.unwrap();

    // Never pushed, not on the engine: gone, and the error says which image.
    let gone = format!("{repository}:never-pushed");
    let err = deployer.check_image(&gone).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, HostError::NotFound(_)), "{message}");
    assert!(
        message.contains(&format!("this engine does not have '{gone}'")),
        "{message}"
    );
}
