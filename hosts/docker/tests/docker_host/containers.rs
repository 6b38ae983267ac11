//! Stage containers: output, exit codes, environment, workspace mounts, labels and
//! removal.

use crate::common::*;
use seamless_host_api::{
    ContainerHost, HostError, LABEL_RUN, LABEL_SERVICE, LABEL_STAGE, LogStream, WorkspaceMount,
};
use std::collections::BTreeMap;

#[tokio::test]
async fn output_lines_reach_the_sink_per_stream() {
    let run = unique("output");
    let _cleanup = Cleanup::run(&run);
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
    let _cleanup = Cleanup::run(&run);
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
    let _cleanup = Cleanup::run(&run);
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
    let _cleanup = Cleanup::run(&run);
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
    let _cleanup = Cleanup::run(&run);
    let host = host().await;
    let (sink, _) = collector();
    let handle = host.run(spec(&run, &["true"]), sink).await.unwrap();
    host.wait(&handle).await.unwrap();
    assert!(containers_of(&run).await.is_empty());
}

#[tokio::test]
async fn workspace_is_mounted_writable_when_asked() {
    let run = unique("ws-rw");
    let _cleanup = Cleanup::run(&run);
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
    let _cleanup = Cleanup::run(&run);
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
    let _cleanup = Cleanup::run(&run);
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
    let _cleanup = Cleanup::run(&run);
    let host = host().await;
    let (sink, _) = collector();
    host.run(spec(&run, &["sleep", "60"]), sink).await.unwrap();
    let other = unique("remove-labelled-other");
    let _cleanup_other = Cleanup::run(&other);
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
    let _cleanup = Cleanup::run(&run);
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
async fn a_stages_container_size_limits_the_container() {
    let run = unique("size");
    let _cleanup = Cleanup::run(&run);
    let host = host().await;
    let mut sized = spec(
        &run,
        &[
            "sh",
            "-c",
            "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
        ],
    );
    sized.cpu = Some(512);
    sized.memory_mib = Some(256);
    let (sink, lines) = collector();
    let handle = host.run(sized, sink).await.unwrap();
    let inspected = client()
        .await
        .inspect_container(&handle.id, None)
        .await
        .unwrap();
    let config = inspected.host_config.unwrap();
    assert_eq!(config.nano_cpus, Some(500_000_000), "half a CPU");
    assert_eq!(config.memory, Some(256 * 1024 * 1024));
    assert_eq!(host.wait(&handle).await.unwrap(), 0);
    assert_eq!(
        on(&lines, LogStream::Stdout),
        [(256u64 * 1024 * 1024).to_string()]
    );
}
