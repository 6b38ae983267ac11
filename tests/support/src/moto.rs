//! The moto server `scripts/test-env.sh` starts on loopback as a stand-in for the AWS
//! APIs (ECS, ECR, EFS, CloudWatch Logs, EC2), named by `SEAMLESS_TEST_MOTO`.
//!
//! moto keeps one state for everyone, so a test takes the server for itself:
//! [`Moto::acquire`] holds an exclusive lock (an `flock` shared by every test
//! process on the machine) and wipes the state (`POST /moto-api/reset`) before and
//! after. Tests of moto therefore run one at a time, each from a clean slate.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How to start moto, for every message about a missing one.
const SETUP: &str = "run scripts/test-env.sh as root (it installs moto 5.2.5 and starts \
     `moto_server -H 127.0.0.1 -p 5005`) and export SEAMLESS_TEST_MOTO=http://127.0.0.1:5005 \
     (scripts/test does both)";

/// The region tests use.
pub const REGION: &str = "eu-west-1";

/// The moto server, held by this test until dropped.
#[derive(Debug)]
pub struct Moto {
    /// `http://host:port`.
    pub endpoint: String,
    address: String,
    _lock: File,
}

/// An HTTP answer from moto.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: String,
}

impl Moto {
    /// Takes the server for this test and wipes its state. Panics with the setup
    /// steps when `SEAMLESS_TEST_MOTO` is not set or nothing answers there.
    pub fn acquire() -> Moto {
        let endpoint = std::env::var("SEAMLESS_TEST_MOTO")
            .unwrap_or_else(|_| panic!("SEAMLESS_TEST_MOTO is not set: {SETUP}"));
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let address = endpoint
            .strip_prefix("http://")
            .unwrap_or_else(|| {
                panic!("SEAMLESS_TEST_MOTO={endpoint} is not http://host:port: {SETUP}")
            })
            .to_owned();
        let path = std::env::temp_dir().join("seamless-test-moto.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        lock.lock()
            .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
        let moto = Moto {
            endpoint,
            address,
            _lock: lock,
        };
        moto.reset();
        moto
    }

    /// Wipes moto's state.
    pub fn reset(&self) {
        let answer = self.request("POST", "/moto-api/reset", "", "application/json", &[]);
        assert_eq!(answer.status, 200, "moto reset answered {answer:?}");
    }

    /// Makes every ECS task move straight to STOPPED on its next `DescribeTasks`
    /// (moto never runs tasks; by default each call moves a task one state on).
    pub fn stop_tasks_at_once(&self) {
        self.task_transition(r#"{"progression":"immediate"}"#);
    }

    /// Keeps ECS tasks in their state however often `DescribeTasks` asks (until
    /// [`Moto::stop_tasks_at_once`]), for tests of tasks that are still running.
    pub fn keep_tasks_running(&self) {
        self.task_transition(r#"{"progression":"manual","times":1000000}"#);
    }

    /// Sets how ECS tasks move from state to state (moto's state manager).
    fn task_transition(&self, transition: &str) {
        let body = format!(r#"{{"model_name":"ecs::task","transition":{transition}}}"#);
        let answer = self.request(
            "POST",
            "/moto-api/state-manager/set-transition",
            &body,
            "application/json",
            &[],
        );
        assert_eq!(
            answer.status, 201,
            "moto set-transition answered {answer:?}"
        );
    }

    /// The default VPC's first subnet and its default security group: Fargate tasks
    /// on moto need them (a subnet made through the EC2 API crashes `RunTask`).
    pub fn default_network(&self) -> (String, String) {
        let subnets =
            self.ec2("Action=DescribeSubnets&Filter.1.Name=default-for-az&Filter.1.Value.1=true");
        let groups = self
            .ec2("Action=DescribeSecurityGroups&Filter.1.Name=group-name&Filter.1.Value.1=default");
        let subnet = first_tag(&subnets, "subnetId")
            .unwrap_or_else(|| panic!("moto has no default subnet: {subnets}"));
        let group = first_tag(&groups, "groupId")
            .unwrap_or_else(|| panic!("moto has no default security group: {groups}"));
        (subnet, group)
    }

    /// An EC2 query-API call (`Action=...&...`), answered as XML.
    fn ec2(&self, query: &str) -> String {
        let body = format!("{query}&Version=2016-11-15");
        let answer = self.request(
            "POST",
            "/",
            &body,
            "application/x-www-form-urlencoded",
            &[("Authorization", authorization("ec2"))],
        );
        assert_eq!(answer.status, 200, "moto EC2 {query} answered {answer:?}");
        answer.body
    }

    /// A JSON-protocol call (ECS, CloudWatch Logs): `target` is the `X-Amz-Target`,
    /// such as `AmazonEC2ContainerServiceV20141113.ListTasks`. Panics unless moto
    /// answers 200.
    pub fn json(&self, service: &str, target: &str, body: &str) -> String {
        let answer = self.request(
            "POST",
            "/",
            body,
            "application/x-amz-json-1.1",
            &[
                ("X-Amz-Target", target.to_owned()),
                ("Authorization", authorization(service)),
            ],
        );
        assert_eq!(answer.status, 200, "moto {target} answered {answer:?}");
        answer.body
    }

    /// An ECS call by its action name, such as `ListTasks`.
    pub fn ecs(&self, action: &str, body: &str) -> String {
        self.json(
            "ecs",
            &format!("AmazonEC2ContainerServiceV20141113.{action}"),
            body,
        )
    }

    /// An ECR call by its action name, such as `PutImage`.
    pub fn ecr(&self, action: &str, body: &str) -> String {
        self.json(
            "ecr",
            &format!("AmazonEC2ContainerRegistry_V20150921.{action}"),
            body,
        )
    }

    /// Puts an image (a small manifest that differs by `version`) into ECR's
    /// `repository` under `tag`, as a builder's push would, and returns its digest.
    pub fn put_image(&self, repository: &str, tag: &str, version: u32) -> String {
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{version},"digest":"sha256:{version:064x}"}},"layers":[]}}"#
        );
        let body = format!(
            r#"{{"repositoryName":"{repository}","imageTag":"{tag}","imageManifest":{}}}"#,
            json_quote(&manifest)
        );
        let answer = self.ecr("PutImage", &body);
        json_string(&answer, "imageDigest").unwrap_or_else(|| panic!("no imageDigest in {answer}"))
    }

    /// The access points of `file_system`, as EFS's `DescribeAccessPoints` answers.
    pub fn access_points(&self, file_system: &str) -> String {
        let answer = self.request(
            "GET",
            &format!("/2015-02-01/access-points?FileSystemId={file_system}"),
            "",
            "application/json",
            &[("Authorization", authorization("elasticfilesystem"))],
        );
        assert_eq!(
            answer.status, 200,
            "moto DescribeAccessPoints answered {answer:?}"
        );
        answer.body
    }

    /// What the ECS host needs on a fresh moto: a cluster `seamless`, a log group
    /// `/seamless/stages`, an EFS file system, and the default subnet and security
    /// group.
    pub fn set_up_ecs(&self) -> EcsAccount {
        let account = EcsAccount {
            cluster: "seamless".into(),
            log_group: "/seamless/stages".into(),
            file_system: String::new(),
            subnet: String::new(),
            security_group: String::new(),
        };
        self.ecs(
            "CreateCluster",
            &format!(r#"{{"clusterName":"{}"}}"#, account.cluster),
        );
        self.json(
            "logs",
            "Logs_20140328.CreateLogGroup",
            &format!(r#"{{"logGroupName":"{}"}}"#, account.log_group),
        );
        let answer = self.request(
            "POST",
            "/2015-02-01/file-systems",
            r#"{"CreationToken":"seamless-workspaces"}"#,
            "application/json",
            &[("Authorization", authorization("elasticfilesystem"))],
        );
        assert!(
            (200..300).contains(&answer.status),
            "moto CreateFileSystem answered {answer:?}"
        );
        let file_system = json_string(&answer.body, "FileSystemId")
            .unwrap_or_else(|| panic!("no FileSystemId in {}", answer.body));
        let (subnet, security_group) = self.default_network();
        EcsAccount {
            file_system,
            subnet,
            security_group,
            ..account
        }
    }

    /// The environment a child process needs to reach moto with fake credentials.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// One HTTP/1.1 request with `headers`, read to the end.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: &str,
        content_type: &str,
        headers: &[(&str, String)],
    ) -> Answer {
        let mut stream = TcpStream::connect(&self.address)
            .unwrap_or_else(|e| panic!("moto does not answer on {}: {e}; {SETUP}", self.address));
        let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
        let headers: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
             {headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("cannot write to moto: {e}"));
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .unwrap_or_else(|e| panic!("cannot read from moto: {e}"));
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw.as_str(), ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Answer {
            status,
            body: body.to_owned(),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Leaves a clean server behind even when the test failed; the lock goes
        // with the file.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.reset()));
    }
}

/// What [`Moto::set_up_ecs`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsAccount {
    /// The cluster's name.
    pub cluster: String,
    /// The stage log group.
    pub log_group: String,
    /// The EFS file system id.
    pub file_system: String,
    /// The default VPC's first subnet.
    pub subnet: String,
    /// The default VPC's default security group.
    pub security_group: String,
}

impl EcsAccount {
    /// The `SEAMLESS_ECS_*` variables that point the ECS host at this account.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SEAMLESS_ECS_REGION", REGION.into()),
            ("SEAMLESS_ECS_CLUSTER", self.cluster.clone()),
            ("SEAMLESS_ECS_SUBNETS", self.subnet.clone()),
            ("SEAMLESS_ECS_SECURITY_GROUPS", self.security_group.clone()),
            (
                "SEAMLESS_ECS_EXECUTION_ROLE",
                "arn:aws:iam::123456789012:role/seamless-execution".into(),
            ),
            ("SEAMLESS_ECS_LOG_GROUP", self.log_group.clone()),
            ("SEAMLESS_ECS_FILE_SYSTEM", self.file_system.clone()),
            (
                "SEAMLESS_ECS_REPOSITORY_PREFIX",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/seamless".into(),
            ),
        ]
    }
}

/// An `Authorization` header moto reads the service and region from; moto does not
/// check signatures.
fn authorization(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/{service}/aws4_request, \
         SignedHeaders=host, Signature=0"
    )
}

/// `text` as a JSON string literal.
fn json_quote(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// The string value of the first `"key": "..."` in `json`.
pub fn json_string(json: &str, key: &str) -> Option<String> {
    let at = json.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = json[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

/// The text of the first `<tag>...</tag>` in `xml`.
fn first_tag(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].trim().to_owned())
}
