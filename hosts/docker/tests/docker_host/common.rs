//! Helpers shared by the tests: unique labels, log collectors and clean-up guards that
//! remove what a test made even when it fails half-way.

use bollard::Docker;
use bollard::query_parameters::ListContainersOptionsBuilder;
use seamless_host_api::{ContainerSpec, LABEL_RUN, LABEL_SERVICE, LABEL_STAGE};
use seamless_host_docker::DockerHost;
use std::collections::{BTreeMap, HashMap};

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const IMAGE: &str = "seamless/busybox:latest";

pub use seamless_test_support::unique;

/// Removes the containers, then the networks, that carry `label=value` when dropped.
pub struct Cleanup {
    filter: String,
}

impl Cleanup {
    /// Cleans up what carries the run label `run`.
    pub fn run(run: &str) -> Cleanup {
        Cleanup::label(LABEL_RUN, run)
    }

    /// Cleans up what carries `key=value`.
    pub fn label(key: &str, value: &str) -> Cleanup {
        Cleanup {
            filter: format!("label={key}={value}"),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::process::Command::new("sh")
            .args([
                "-c",
                "docker ps -aq --filter \"$1\" | xargs -r docker rm -f >/dev/null 2>&1; \
                 docker network ls -q --filter \"$1\" | xargs -r docker network rm >/dev/null 2>&1",
                "cleanup",
                &self.filter,
            ])
            .status();
    }
}

/// Removes an image tag when dropped.
pub struct ImageCleanup(pub String);

impl Drop for ImageCleanup {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rmi", "-f", &self.0])
            .output();
    }
}

pub use seamless_test_support::logs::{collector, on};

pub fn run_labels(run: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(LABEL_RUN.to_string(), run.to_string())])
}

pub fn spec(run: &str, command: &[&str]) -> ContainerSpec {
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

pub async fn host() -> DockerHost {
    DockerHost::connect()
        .await
        .expect("a docker engine must run for these tests: run scripts/test-env.sh as root")
}

pub async fn client() -> Docker {
    Docker::connect_with_local_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap()
}

/// The containers, running or not, that carry the run label.
pub async fn containers_of(run: &str) -> Vec<bollard::models::ContainerSummary> {
    let filters = HashMap::from([("label", vec![format!("{LABEL_RUN}={run}")])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    client().await.list_containers(Some(options)).await.unwrap()
}

/// Whether a network of this name exists.
pub async fn network_exists(name: &str) -> bool {
    client().await.inspect_network(name, None).await.is_ok()
}

/// A loopback port reserved for this test (see `seamless_test_support::ports`): no
/// other test takes it between this call and the deploy that binds it.
pub use seamless_test_support::ports::reserve_for_process as reserved_port;

/// `GET path` with HTTP/1.0 on `127.0.0.1:port`: the status and the body.
pub async fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .await
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&raw).to_string();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| format!("no HTTP status in {text:?}"))?;
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((status, body))
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .map_err(|_| "timed out".to_string())?
}

/// Polls `check` every 100 ms until it is true, for at most `limit`.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
