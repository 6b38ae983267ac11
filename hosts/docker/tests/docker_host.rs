//! Runs the Docker backend against the real engine.
//!
//! Needs a running dockerd and the `seamless/busybox` image; `scripts/base-images.sh`
//! provides both. Every test labels its containers with a run id of its own and checks
//! that none are left behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bollard::Docker;
use bollard::query_parameters::ListContainersOptionsBuilder;
use seamless_host_api::{
    ContainerHost, ContainerSpec, HostError, ImageBuildSpec, LABEL_RUN, LABEL_SERVICE, LABEL_STAGE,
    LogSink, LogStream, WorkspaceMount,
};
use seamless_host_docker::DockerHost;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const IMAGE: &str = "seamless/busybox:latest";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A run id unique to this test process and call.
fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// Removes the run's containers even when a test fails half-way.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label={LABEL_RUN}={}", self.0);
        let _ = std::process::Command::new("sh")
            .args([
                "-c",
                "docker ps -aq --filter \"$1\" | xargs -r docker rm -f >/dev/null 2>&1",
                "cleanup",
                &filter,
            ])
            .status();
    }
}

/// Removes an image tag even when a test fails half-way.
struct ImageCleanup(String);

impl Drop for ImageCleanup {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rmi", "-f", &self.0])
            .output();
    }
}

type Lines = Arc<Mutex<Vec<(LogStream, String)>>>;

fn collector() -> (LogSink, Lines) {
    let lines: Lines = Arc::new(Mutex::new(Vec::new()));
    let seen = lines.clone();
    let sink: LogSink = Arc::new(move |stream, line: &str| {
        seen.lock().unwrap().push((stream, line.to_string()));
    });
    (sink, lines)
}

fn on(lines: &Lines, stream: LogStream) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(s, _)| *s == stream)
        .map(|(_, l)| l.clone())
        .collect()
}

fn spec(run: &str, command: &[&str]) -> ContainerSpec {
    ContainerSpec {
        image: IMAGE.to_string(),
        command: command.iter().map(|s| s.to_string()).collect(),
        labels: BTreeMap::from([
            (LABEL_RUN.to_string(), run.to_string()),
            (LABEL_STAGE.to_string(), "test".to_string()),
            (LABEL_SERVICE.to_string(), "svc".to_string()),
        ]),
        ..ContainerSpec::default()
    }
}

async fn host() -> DockerHost {
    DockerHost::connect()
        .await
        .expect("a docker engine must run for these tests: run scripts/base-images.sh as root")
}

async fn client() -> Docker {
    Docker::connect_with_local_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap()
}

/// The containers, running or not, that carry the run label.
async fn containers_of(run: &str) -> Vec<bollard::models::ContainerSummary> {
    let filters = HashMap::from([("label", vec![format!("{LABEL_RUN}={run}")])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    client().await.list_containers(Some(options)).await.unwrap()
}

#[tokio::test]
async fn output_lines_reach_the_sink_per_stream() {
    let run = unique("output");
    let _cleanup = Cleanup(run.clone());
    let host = host().await;
    let (sink, lines) = collector();
    let script = "echo one; echo two >&2; echo three; printf 'no newline'";
    let handle = host
        .run(spec(&run, &["sh", "-c", script]), sink)
        .await
        .unwrap();
    assert_eq!(host.wait(&handle).await.unwrap(), 0);
    assert_eq!(
        on(&lines, LogStream::Stdout),
        vec!["one", "three", "no newline"]
    );
    assert_eq!(on(&lines, LogStream::Stderr), vec!["two"]);
}

#[tokio::test]
async fn many_lines_arrive_complete_and_in_order() {
    let run = unique("many");
    let _cleanup = Cleanup(run.clone());
    let host = host().await;
    let (sink, lines) = collector();
    let handle = host
        .run(spec(&run, &["seq", "1", "5000"]), sink)
        .await
        .unwrap();
    assert_eq!(host.wait(&handle).await.unwrap(), 0);
    let expected: Vec<String> = (1..=5000).map(|n| n.to_string()).collect();
    assert_eq!(on(&lines, LogStream::Stdout), expected);
}

#[tokio::test]
async fn non_zero_exit_is_returned_as_the_exit_code() {
    let run = unique("exit");
    let _cleanup = Cleanup(run.clone());
    let host = host().await;
    let (sink, _) = collector();
    let handle = host
        .run(spec(&run, &["sh", "-c", "exit 3"]), sink)
        .await
        .unwrap();
    assert_eq!(host.wait(&handle).await.unwrap(), 3);
}

#[tokio::test]
async fn env_and_workdir_are_applied() {
    let run = unique("env");
    let _cleanup = Cleanup(run.clone());
    let host = host().await;
    let (sink, lines) = collector();
    let mut spec = spec(&run, &["sh", "-c", "pwd; echo \"$GREETING\""]);
    spec.env = vec![("GREETING".to_string(), "hello there".to_string())];
    spec.workdir = Some("/tmp".to_string());
    let handle = host.run(spec, sink).await.unwrap();
    assert_eq!(host.wait(&handle).await.unwrap(), 0);
    assert_eq!(on(&lines, LogStream::Stdout), vec!["/tmp", "hello there"]);
}

#[tokio::test]
async fn container_is_removed_after_wait() {
    let run = unique("wait-removes");
    let _cleanup = Cleanup(run.clone());
    let host = host().await;
    let (sink, _) = collector();
    let handle = host.run(spec(&run, &["true"]), sink).await.unwrap();
    host.wait(&handle).await.unwrap();
    assert!(containers_of(&run).await.is_empty());
}

#[tokio::test]
async fn workspace_is_mounted_writable_when_asked() {
    let run = unique("ws-rw");
    let _cleanup = Cleanup(run.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "from the host\n").unwrap();
    let host = host().await;
    let (sink, lines) = collector();
    let mut spec = spec(&run, &["sh", "-c", "cat hello.txt && echo made > made.txt"]);
    spec.workspace = Some(WorkspaceMount {
        host_path: dir.path().to_path_buf(),
        container_path: "/workspace".to_string(),
        read_only: false,
    });
    spec.workdir = Some("/workspace".to_string());
    let handle = host.run(spec, sink).await.unwrap();
    assert_eq!(host.wait(&handle).await.unwrap(), 0);
    assert_eq!(on(&lines, LogStream::Stdout), vec!["from the host"]);
    let made = std::fs::read_to_string(dir.path().join("made.txt")).unwrap();
    assert_eq!(made, "made\n");
}

#[tokio::test]
async fn read_only_workspace_refuses_writes() {
    let run = unique("ws-ro");
    let _cleanup = Cleanup(run.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "visible\n").unwrap();
    let host = host().await;
    let (sink, lines) = collector();
    let mut spec = spec(
        &run,
        &[
            "sh",
            "-c",
            "cat /workspace/hello.txt; echo no > /workspace/new.txt",
        ],
    );
    spec.workspace = Some(WorkspaceMount {
        host_path: dir.path().to_path_buf(),
        container_path: "/workspace".to_string(),
        read_only: true,
    });
    let handle = host.run(spec, sink).await.unwrap();
    let code = host.wait(&handle).await.unwrap();
    assert_ne!(code, 0, "writing to a read-only workspace must fail");
    assert_eq!(on(&lines, LogStream::Stdout), vec!["visible"]);
    let stderr = on(&lines, LogStream::Stderr).join("\n");
    assert!(stderr.contains("Read-only file system"), "{stderr}");
    assert!(!dir.path().join("new.txt").exists());
}

#[tokio::test]
async fn labels_are_set_and_stop_removes_the_container() {
    let run = unique("labels");
    let _cleanup = Cleanup(run.clone());
    let host = host().await;
    let (sink, _) = collector();
    let handle = host.run(spec(&run, &["sleep", "60"]), sink).await.unwrap();
    let found = containers_of(&run).await;
    assert_eq!(found.len(), 1);
    let labels = found[0].labels.clone().unwrap_or_default();
    assert_eq!(labels.get(LABEL_RUN), Some(&run));
    assert_eq!(labels.get(LABEL_STAGE).map(String::as_str), Some("test"));
    assert_eq!(labels.get(LABEL_SERVICE).map(String::as_str), Some("svc"));

    host.stop(&handle).await.unwrap();
    assert!(containers_of(&run).await.is_empty());
    // A second stop finds nothing and is still fine.
    host.stop(&handle).await.unwrap();
}

#[tokio::test]
async fn remove_labelled_removes_a_running_container() {
    let run = unique("remove-labelled");
    let _cleanup = Cleanup(run.clone());
    let host = host().await;
    let (sink, _) = collector();
    host.run(spec(&run, &["sleep", "60"]), sink).await.unwrap();
    let other = unique("remove-labelled-other");
    let _cleanup_other = Cleanup(other.clone());
    let (sink, _) = collector();
    let kept = host
        .run(spec(&other, &["sleep", "60"]), sink)
        .await
        .unwrap();

    let labels = BTreeMap::from([(LABEL_RUN.to_string(), run.clone())]);
    assert_eq!(host.remove_labelled(&labels).await.unwrap(), 1);
    assert!(containers_of(&run).await.is_empty());
    assert_eq!(containers_of(&other).await.len(), 1, "other runs are kept");
    host.stop(&kept).await.unwrap();
}

#[tokio::test]
async fn remove_labelled_without_labels_is_refused() {
    let host = host().await;
    let err = host.remove_labelled(&BTreeMap::new()).await.unwrap_err();
    assert!(matches!(err, HostError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn missing_image_is_named_without_pulling() {
    let run = unique("missing");
    let _cleanup = Cleanup(run.clone());
    let host = host().await;
    let (sink, _) = collector();
    let mut spec = spec(&run, &["true"]);
    spec.image = "seamless-test/does-not-exist:1".to_string();
    let err = host.run(spec, sink).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("image 'seamless-test/does-not-exist:1' not found locally"),
        "{message}"
    );
    assert!(message.contains("scripts/base-images.sh"), "{message}");
    assert!(containers_of(&run).await.is_empty());
}

#[tokio::test]
async fn build_image_tags_an_image_that_runs() {
    let run = unique("build");
    let _cleanup = Cleanup(run.clone());
    let tag = format!("seamless-test/{run}:latest");
    let _image_cleanup = ImageCleanup(tag.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM seamless/busybox\nCOPY greeting.txt /greeting.txt\nRUN echo hi > /x\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("greeting.txt"), "copied\n").unwrap();
    let host = host().await;
    let (sink, build_lines) = collector();
    let built = host
        .build_image(
            ImageBuildSpec {
                context_dir: dir.path().to_path_buf(),
                dockerfile: "Dockerfile".to_string(),
                tag: tag.clone(),
                labels: BTreeMap::from([(LABEL_RUN.to_string(), run.clone())]),
            },
            sink,
        )
        .await
        .unwrap();
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
    let host = host().await;
    let (sink, lines) = collector();
    let err = host
        .build_image(
            ImageBuildSpec {
                context_dir: dir.path().to_path_buf(),
                dockerfile: "Dockerfile".to_string(),
                tag: tag.clone(),
                labels: BTreeMap::new(),
            },
            sink,
        )
        .await
        .unwrap_err();
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
    let host = host().await;
    let (sink, _) = collector();
    let err = host
        .build_image(
            ImageBuildSpec {
                context_dir: dir.path().to_path_buf(),
                dockerfile: "Dockerfile".to_string(),
                tag: format!("seamless-test/{}:latest", unique("malformed")),
                labels: BTreeMap::new(),
            },
            sink,
        )
        .await
        .unwrap_err();
    let message = err.to_string().to_lowercase();
    assert!(message.contains("notaninstruction"), "{message}");
}

#[tokio::test]
async fn missing_dockerfile_is_refused_before_building() {
    let dir = tempfile::tempdir().unwrap();
    let host = host().await;
    let (sink, _) = collector();
    let err = host
        .build_image(
            ImageBuildSpec {
                context_dir: dir.path().to_path_buf(),
                dockerfile: "Dockerfile".to_string(),
                tag: "seamless-test/none:latest".to_string(),
                labels: BTreeMap::new(),
            },
            sink,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::Invalid(_)), "{err}");
}
