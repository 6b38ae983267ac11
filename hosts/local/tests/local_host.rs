//! Runs the local backend with real processes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use seamless_host_api::{
    ContainerHost, ContainerSpec, HealthCheck, HostError, ImageBuildSpec, LABEL_RUN, LogStream,
    NetworkAttachment, PortBinding, WorkspaceMount,
};
use seamless_host_local::LocalHost;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub use seamless_test_support::logs::{Lines, collector, on};

fn spec(command: &[&str]) -> ContainerSpec {
    ContainerSpec {
        image: "ignored/by-the-local-host".to_string(),
        command: command.iter().map(|s| s.to_string()).collect(),
        ..ContainerSpec::default()
    }
}

fn labelled(run: &str, command: &[&str]) -> ContainerSpec {
    ContainerSpec {
        labels: BTreeMap::from([(LABEL_RUN.to_string(), run.to_string())]),
        ..spec(command)
    }
}

fn workspace(host_path: &Path) -> WorkspaceMount {
    WorkspaceMount {
        host_path: host_path.to_path_buf(),
        container_path: "/workspace".to_string(),
        read_only: false,
    }
}

/// Runs `spec` to the end and returns its exit code and output.
async fn run_to_end(host: &LocalHost, spec: ContainerSpec) -> (i64, Lines) {
    let (sink, lines) = collector();
    let handle = host.run(spec, sink).await.unwrap();
    let code = host.wait(&handle).await.unwrap();
    (code, lines)
}

#[tokio::test]
async fn output_lines_reach_the_sink_per_stream() {
    let host = LocalHost::new();
    let script = "echo one; echo two >&2; echo three; printf 'no newline'";
    let (code, lines) = run_to_end(&host, spec(&["sh", "-c", script])).await;
    assert_eq!(code, 0);
    assert_eq!(
        on(&lines, LogStream::Stdout),
        vec!["one", "three", "no newline"]
    );
    assert_eq!(on(&lines, LogStream::Stderr), vec!["two"]);
}

#[tokio::test]
async fn exit_codes_are_returned() {
    let host = LocalHost::new();
    let (code, _) = run_to_end(&host, spec(&["sh", "-c", "exit 5"])).await;
    assert_eq!(code, 5);
}

#[tokio::test]
async fn death_by_signal_is_128_plus_the_signal() {
    let host = LocalHost::new();
    let (code, _) = run_to_end(&host, spec(&["sh", "-c", "kill -TERM $$"])).await;
    assert_eq!(code, 128 + 15);
}

#[tokio::test]
async fn workdir_inside_the_workspace_maps_to_the_host() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("app")).unwrap();
    let host = LocalHost::new();
    let mut spec = spec(&["pwd"]);
    spec.workspace = Some(workspace(dir.path()));
    spec.workdir = Some("/workspace/app".to_string());
    let (code, lines) = run_to_end(&host, spec).await;
    assert_eq!(code, 0);
    let expected = dir.path().join("app").canonicalize().unwrap();
    assert_eq!(
        on(&lines, LogStream::Stdout),
        vec![expected.display().to_string()]
    );
}

#[tokio::test]
async fn without_workdir_the_process_starts_in_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("marker.txt"), "here\n").unwrap();
    let host = LocalHost::new();
    let mut spec = spec(&["cat", "marker.txt"]);
    spec.workspace = Some(workspace(dir.path()));
    let (code, lines) = run_to_end(&host, spec).await;
    assert_eq!(code, 0);
    assert_eq!(on(&lines, LogStream::Stdout), vec!["here"]);
}

#[tokio::test]
async fn missing_workdir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let host = LocalHost::new();
    let mut spec = spec(&["pwd"]);
    spec.workspace = Some(workspace(dir.path()));
    spec.workdir = Some("/workspace/nope".to_string());
    let (sink, _) = collector();
    let err = host.run(spec, sink).await.unwrap_err();
    assert!(matches!(err, HostError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("nope"), "{err}");
}

#[tokio::test]
async fn environment_holds_only_path_home_and_the_spec() {
    let inherited: Vec<String> = std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k != "PATH" && k != "HOME")
        .collect();
    assert!(
        !inherited.is_empty(),
        "the test process has variables to hide"
    );
    let host = LocalHost::new();
    let mut spec = spec(&["env"]);
    spec.env = vec![("GREETING".to_string(), "hello there".to_string())];
    let (code, lines) = run_to_end(&host, spec).await;
    assert_eq!(code, 0);
    let output = on(&lines, LogStream::Stdout);
    let names: BTreeSet<String> = output
        .iter()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_string()))
        .collect();
    let mut expected = BTreeSet::from(["GREETING".to_string()]);
    for name in ["PATH", "HOME"] {
        if std::env::var_os(name).is_some() {
            expected.insert(name.to_string());
        }
    }
    assert_eq!(names, expected, "{output:?}");
    assert!(output.contains(&"GREETING=hello there".to_string()));
}

#[tokio::test]
async fn empty_command_is_invalid() {
    let host = LocalHost::new();
    let (sink, _) = collector();
    let err = host.run(spec(&[]), sink).await.unwrap_err();
    assert!(matches!(err, HostError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn missing_program_is_a_backend_error_naming_it() {
    let host = LocalHost::new();
    let (sink, _) = collector();
    let err = host
        .run(spec(&["seamless-no-such-program"]), sink)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("seamless-no-such-program"),
        "{err}"
    );
}

#[tokio::test]
async fn stop_ends_a_long_sleep_and_its_background_children() {
    let host = LocalHost::new();
    let (sink, _) = collector();
    let handle = host
        .run(spec(&["sh", "-c", "sleep 60 & sleep 60"]), sink)
        .await
        .unwrap();
    host.stop(&handle).await.unwrap();
    // Stopped processes are forgotten; stopping again is fine.
    assert!(matches!(
        host.wait(&handle).await,
        Err(HostError::NotFound(_))
    ));
    host.stop(&handle).await.unwrap();
}

#[tokio::test]
async fn remove_labelled_stops_only_matching_processes() {
    let host = LocalHost::new();
    let (sink, _) = collector();
    host.run(labelled("run-a", &["sleep", "60"]), sink.clone())
        .await
        .unwrap();
    host.run(labelled("run-a", &["sleep", "60"]), sink.clone())
        .await
        .unwrap();
    let other = host
        .run(labelled("run-b", &["sleep", "60"]), sink)
        .await
        .unwrap();
    let labels = BTreeMap::from([(LABEL_RUN.to_string(), "run-a".to_string())]);
    assert_eq!(host.remove_labelled(&labels).await.unwrap(), 2);
    assert_eq!(host.remove_labelled(&labels).await.unwrap(), 0);
    host.stop(&other).await.unwrap();
    let labels = BTreeMap::from([(LABEL_RUN.to_string(), "run-b".to_string())]);
    assert_eq!(host.remove_labelled(&labels).await.unwrap(), 0);
}

#[tokio::test]
async fn remove_labelled_without_labels_is_refused() {
    let host = LocalHost::new();
    let err = host.remove_labelled(&BTreeMap::new()).await.unwrap_err();
    assert!(matches!(err, HostError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn list_labelled_reports_matching_processes_while_tracked() {
    let host = LocalHost::new();
    let (sink, _) = collector();
    let first = host
        .run(labelled("run-l", &["sleep", "60"]), sink.clone())
        .await
        .unwrap();
    let done = host
        .run(labelled("run-l", &["true"]), sink.clone())
        .await
        .unwrap();
    host.run(labelled("run-other", &["true"]), sink)
        .await
        .unwrap();
    let labels = BTreeMap::from([(LABEL_RUN.to_string(), "run-l".to_string())]);
    let mut listed = host.list_labelled(&labels).await.unwrap();
    for _ in 0..50 {
        if listed.iter().any(|s| s.handle == done && !s.running) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        listed = host.list_labelled(&labels).await.unwrap();
    }
    let handles: Vec<_> = listed
        .iter()
        .map(|s| (s.handle.clone(), s.running))
        .collect();
    assert_eq!(handles, vec![(first.clone(), true), (done, false)]);
    assert_eq!(listed[0].labels, labels);
    host.remove_labelled(&labels).await.unwrap();
    assert!(host.list_labelled(&labels).await.unwrap().is_empty());
}

#[tokio::test]
async fn container_only_features_are_unsupported() {
    let host = LocalHost::new();
    let network = ContainerSpec {
        network: Some(NetworkAttachment {
            network: "db-net".to_string(),
            aliases: vec![],
        }),
        ..spec(&["true"])
    };
    let ports = ContainerSpec {
        ports: vec![PortBinding {
            container_port: 8080,
            host_ip: "127.0.0.1".to_string(),
            host_port: None,
        }],
        ..spec(&["true"])
    };
    let health = ContainerSpec {
        healthcheck: Some(HealthCheck {
            command: vec!["curl".to_string(), "localhost".to_string()],
            interval: std::time::Duration::from_secs(1),
            timeout: std::time::Duration::from_secs(1),
            retries: 1,
            start_period: std::time::Duration::ZERO,
        }),
        ..spec(&["true"])
    };
    for (spec, named) in [
        (network, "db-net"),
        (ports, "8080"),
        (health, "curl localhost"),
    ] {
        let (sink, _) = collector();
        let err = host.run(spec, sink).await.unwrap_err();
        assert!(matches!(err, HostError::Unsupported { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains(named) && message.contains("--host docker"),
            "{message}"
        );
    }
    assert!(host.deployer().is_none());
    assert!(matches!(
        host.create_network(Default::default()).await,
        Err(HostError::Unsupported { .. })
    ));
}

/// The entries of a tar file, name to contents (directories have empty contents).
fn tar_entries(path: &Path) -> BTreeMap<String, String> {
    let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().display().to_string();
            let mut contents = String::new();
            std::io::Read::read_to_string(&mut entry, &mut contents).unwrap();
            (name, contents)
        })
        .collect()
}

#[tokio::test]
async fn build_image_packages_the_context_as_a_tarball() {
    let context = tempfile::tempdir().unwrap();
    std::fs::write(context.path().join("Dockerfile"), "FROM seamless/busybox\n").unwrap();
    std::fs::create_dir(context.path().join("src")).unwrap();
    std::fs::write(context.path().join("src/app.txt"), "app\n").unwrap();
    let images = tempfile::tempdir().unwrap();
    let host = LocalHost::with_image_dir(images.path().join("images"));
    let (sink, lines) = collector();
    let tag = host
        .build_image(
            ImageBuildSpec {
                context_dir: context.path().to_path_buf(),
                dockerfile: "Dockerfile".to_string(),
                tag: "shop/api:1.0".to_string(),
                labels: BTreeMap::new(),
                in_workspace: None,
            },
            sink,
        )
        .await
        .unwrap();
    assert_eq!(tag, "shop/api:1.0");
    let tarball = images.path().join("images/shop_api_1.0.tar");
    let entries = tar_entries(&tarball);
    assert_eq!(
        entries.get("Dockerfile").map(String::as_str),
        Some("FROM seamless/busybox\n")
    );
    assert_eq!(
        entries.get("src/app.txt").map(String::as_str),
        Some("app\n")
    );
    let said = on(&lines, LogStream::Stdout);
    assert_eq!(said.len(), 1);
    assert!(said[0].contains("shop/api:1.0"), "{said:?}");
    assert!(said[0].contains(&tarball.display().to_string()), "{said:?}");
}

#[tokio::test]
async fn a_dockerfile_elsewhere_becomes_the_root_dockerfile() {
    let context = tempfile::tempdir().unwrap();
    std::fs::write(context.path().join("Dockerfile"), "FROM other\n").unwrap();
    std::fs::create_dir(context.path().join("ci")).unwrap();
    std::fs::write(context.path().join("ci/Dockerfile.ci"), "FROM chosen\n").unwrap();
    let images = tempfile::tempdir().unwrap();
    let host = LocalHost::with_image_dir(images.path().to_path_buf());
    let (sink, _) = collector();
    host.build_image(
        ImageBuildSpec {
            context_dir: context.path().to_path_buf(),
            dockerfile: "./ci/Dockerfile.ci".to_string(),
            tag: "ci:latest".to_string(),
            labels: BTreeMap::new(),
            in_workspace: None,
        },
        sink,
    )
    .await
    .unwrap();
    let entries = tar_entries(&images.path().join("ci_latest.tar"));
    let dockerfiles: Vec<_> = entries.keys().filter(|k| *k == "Dockerfile").collect();
    assert_eq!(dockerfiles.len(), 1, "{entries:?}");
    assert_eq!(
        entries.get("Dockerfile").map(String::as_str),
        Some("FROM chosen\n")
    );
}

#[tokio::test]
async fn build_image_without_the_dockerfile_is_refused() {
    let context = tempfile::tempdir().unwrap();
    let images = tempfile::tempdir().unwrap();
    let host = LocalHost::with_image_dir(images.path().to_path_buf());
    let (sink, _) = collector();
    let err = host
        .build_image(
            ImageBuildSpec {
                context_dir: context.path().to_path_buf(),
                dockerfile: "Dockerfile".to_string(),
                tag: "app:1".to_string(),
                labels: BTreeMap::new(),
                in_workspace: None,
            },
            sink,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("'Dockerfile' not found"), "{err}");
    assert!(!images.path().join("app_1.tar").exists());
}
