//! Image builds with the classic builder.

use crate::common::*;
use seamless_host_api::{ContainerHost, HostError, ImageBuildSpec, LABEL_RUN, LogStream};
use std::collections::BTreeMap;

/// Builds `dir`'s Dockerfile as `tag` on Docker: the result and the build's output.
async fn build(
    dir: &std::path::Path,
    tag: String,
    labels: BTreeMap<String, String>,
) -> (
    Result<String, HostError>,
    seamless_test_support::logs::Lines,
) {
    let (sink, lines) = collector();
    let spec = ImageBuildSpec {
        context_dir: dir.to_path_buf(),
        dockerfile: "Dockerfile".to_string(),
        tag,
        labels,
        in_workspace: None,
    };
    (host().await.build_image(spec, sink).await, lines)
}

#[tokio::test]
async fn build_image_tags_an_image_that_runs() {
    let run = unique("build");
    let _cleanup = Cleanup::run(&run);
    let tag = format!("seamless-test/{run}:latest");
    let _image_cleanup = ImageCleanup(tag.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM seamless/busybox\nCOPY greeting.txt /greeting.txt\nRUN echo hi > /x\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("greeting.txt"), "copied\n").unwrap();
    let (built, build_lines) = build(
        dir.path(),
        tag.clone(),
        BTreeMap::from([(LABEL_RUN.to_string(), run.clone())]),
    )
    .await;
    let built = built.unwrap();
    assert_eq!(built, tag);
    let output = on(&build_lines, LogStream::Stdout).join("\n");
    assert!(output.contains("Step 1/"), "{output}");

    let docker = client().await;
    let inspect = docker.inspect_image(&tag).await.unwrap();
    let labels = inspect.config.and_then(|c| c.labels).unwrap_or_default();
    assert_eq!(labels.get(LABEL_RUN), Some(&run));

    let (sink, lines) = collector();
    let mut spec = spec(&run, &["cat", "/x", "/greeting.txt"]);
    spec.image = tag.clone();
    let host = host().await;
    let handle = host.run(spec, sink).await.unwrap();
    assert_eq!(host.wait(&handle).await.unwrap(), 0);
    assert_eq!(on(&lines, LogStream::Stdout), vec!["hi", "copied"]);
}

#[tokio::test]
async fn failing_build_step_is_an_error_with_the_message() {
    let run = unique("build-fail");
    let tag = format!("seamless-test/{run}:latest");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM seamless/busybox\nRUN echo about to fail && exit 7\n",
    )
    .unwrap();
    let (err, lines) = build(dir.path(), tag.clone(), BTreeMap::new()).await;
    let err = err.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, HostError::Backend { .. }), "{message}");
    assert!(message.contains(&tag), "{message}");
    assert!(message.contains("non-zero code: 7"), "{message}");
    let output = on(&lines, LogStream::Stdout).join("\n");
    assert!(output.contains("about to fail"), "{output}");
    let missing = client().await.inspect_image(&tag).await;
    assert!(missing.is_err(), "a failed build must not tag an image");
}

#[tokio::test]
async fn malformed_dockerfile_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM seamless/busybox\nNOTANINSTRUCTION x\n",
    )
    .unwrap();
    let (err, _) = build(
        dir.path(),
        format!("seamless-test/{}:latest", unique("malformed")),
        BTreeMap::new(),
    )
    .await;
    let err = err.unwrap_err();
    let message = err.to_string().to_lowercase();
    assert!(message.contains("notaninstruction"), "{message}");
}

#[tokio::test]
async fn missing_dockerfile_is_refused_before_building() {
    let dir = tempfile::tempdir().unwrap();
    let (err, _) = build(
        dir.path(),
        "seamless-test/none:latest".to_string(),
        BTreeMap::new(),
    )
    .await;
    let err = err.unwrap_err();
    assert!(matches!(err, HostError::Invalid(_)), "{err}");
}
