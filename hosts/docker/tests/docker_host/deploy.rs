//! Deploys through the Docker deployer: probe, promote, discard, and the stable
//! endpoint that keeps answering while versions change.

use crate::common::*;
use seamless_host_api::{
    Candidate, CandidateSpec, ContainerHost, HostError, LABEL_DEPLOY_REVISION, LABEL_DEPLOY_RUN,
    LABEL_DEPLOY_SERVICE,
};
use seamless_host_docker::DockerHost;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Serves `$CONTENT` at `/`, and `/health` only when `$HEALTHY` is set.
const SERVE: &str = "mkdir -p /srv\n\
echo \"$CONTENT\" > /srv/index.html\n\
if [ -n \"$HEALTHY\" ]; then echo ok > /srv/health; fi\n\
exec httpd -f -p 8000 -h /srv\n";

/// Builds the tiny web image the revisions run.
async fn web_image(host: &DockerHost, tag: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("serve.sh"), SERVE).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM seamless/busybox\nCOPY serve.sh /serve.sh\nCMD [\"sh\", \"/serve.sh\"]\n",
    )
    .unwrap();
    let (sink, _) = collector();
    host.build_image(
        seamless_host_api::ImageBuildSpec {
            context_dir: dir.path().to_path_buf(),
            dockerfile: "Dockerfile".to_string(),
            tag: tag.to_string(),
            labels: BTreeMap::new(),
            in_workspace: None,
        },
        sink,
    )
    .await
    .unwrap();
}

struct Deploy {
    service: String,
    image: String,
    public_port: u16,
}

impl Deploy {
    fn spec(&self, revision: &str, replicas: u32, healthy: bool) -> CandidateSpec {
        let mut env = vec![("CONTENT".to_string(), format!("revision {revision}"))];
        if healthy {
            env.push(("HEALTHY".to_string(), "1".to_string()));
        }
        CandidateSpec {
            service: self.service.clone(),
            environment: "test".to_string(),
            revision: revision.to_string(),
            run_id: format!("{}-run-{revision}", self.service),
            commit: format!("{revision:0<40}"),
            image: self.image.clone(),
            container_port: 8000,
            public_port: self.public_port,
            bind_ip: "127.0.0.1".to_string(),
            replicas,
            env,
            managed: None,
        }
    }

    async fn start(&self, host: &DockerHost, spec: &CandidateSpec) -> Candidate {
        let (sink, _) = collector();
        let deployer = host.deployer().unwrap();
        deployer.start_candidate(spec.clone(), sink).await.unwrap()
    }

    /// The containers of `revision` that still exist.
    async fn containers_of(&self, host: &DockerHost, revision: &str) -> usize {
        let labels = BTreeMap::from([
            (LABEL_DEPLOY_SERVICE.to_string(), self.service.clone()),
            (LABEL_DEPLOY_REVISION.to_string(), revision.to_string()),
        ]);
        host.list_labelled(&labels).await.unwrap().len()
    }
}

/// What the poller saw, by phase: 0 = only A may answer, 1 = switching to C,
/// 2 = only C may answer.
type Seen = Arc<Mutex<Vec<(u8, Result<String, String>)>>>;

/// GETs the endpoint every 20 ms until `stop` is set.
fn poll(
    port: u16,
    phase: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
) -> (Seen, tokio::task::JoinHandle<()>) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let task = tokio::spawn(async move {
        while !stop.load(Ordering::SeqCst) {
            let at = phase.load(Ordering::SeqCst);
            let result = match http_get(port, "/").await {
                Ok((200, body)) => Ok(body.trim().to_string()),
                Ok((status, body)) => Err(format!("status {status}: {body}")),
                Err(err) => Err(err),
            };
            record.lock().unwrap().push((at, result));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    (seen, task)
}

#[tokio::test]
async fn unhealthy_deploy_keeps_old_version_serving_and_healthy_one_replaces_it() {
    let service = unique("web");
    let _cleanup = Cleanup::label(LABEL_DEPLOY_SERVICE, &service);
    let host = host().await;
    let image = format!("seamless-test/{service}:1");
    let _image = ImageCleanup(image.clone());
    web_image(&host, &image).await;
    let deploy = Deploy {
        service: service.clone(),
        image: image.clone(),
        public_port: reserved_port(),
    };
    let deployer = host.deployer().expect("docker deploys");
    assert_eq!(deployer.serving(&service, "test").await.unwrap(), None);

    // Revision A: two healthy replicas, promoted.
    let spec_a = deploy.spec("a1", 2, true);
    let a = deploy.start(&host, &spec_a).await;
    assert_eq!(a.containers.len(), 2);
    let status = deployer
        .probe(&a, "/health", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let endpoint = deployer.promote(&a, &spec_a).await.unwrap();
    assert_eq!(endpoint, format!("http://127.0.0.1:{}", deploy.public_port));
    let (code, body) = http_get(deploy.public_port, "/").await.unwrap();
    assert_eq!((code, body.trim()), (200, "revision a1"));
    let serving = deployer.serving(&service, "test").await.unwrap().unwrap();
    assert_eq!(serving.revision, "a1");
    assert_eq!(serving.image, image);
    assert_eq!(serving.endpoint, endpoint);

    let phase = Arc::new(AtomicU8::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (seen, poller) = poll(deploy.public_port, phase.clone(), stop.clone());

    // Revision B: unhealthy (no /health), probed, discarded.
    let spec_b = deploy.spec("b2", 1, false);
    let b = deploy.start(&host, &spec_b).await;
    let status = deployer
        .probe(&b, "/health", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(status, 404);
    deployer.discard(&b).await.unwrap();
    assert_eq!(deploy.containers_of(&host, "b2").await, 0);
    assert_eq!(
        deployer
            .serving(&service, "test")
            .await
            .unwrap()
            .unwrap()
            .revision,
        "a1"
    );

    // Revision C: healthy, promoted; A goes away.
    let spec_c = deploy.spec("c3", 2, true);
    let c = deploy.start(&host, &spec_c).await;
    assert_eq!(
        deployer
            .probe(&c, "/health", Duration::from_secs(10))
            .await
            .unwrap(),
        200
    );
    phase.store(1, Ordering::SeqCst);
    assert_eq!(deployer.promote(&c, &spec_c).await.unwrap(), endpoint);
    phase.store(2, Ordering::SeqCst);
    // Enough answers after the promotion to show who serves now.
    for _ in 0..1000 {
        let after = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(at, _)| *at == 2)
            .count();
        if after >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::SeqCst);
    poller.await.unwrap();

    let seen = seen.lock().unwrap().clone();
    let count = |p: u8| seen.iter().filter(|(at, _)| *at == p).count();
    assert!(
        count(0) >= 5 && count(1) >= 1 && count(2) >= 5,
        "too few polls: {seen:?}"
    );
    for (at, result) in &seen {
        let allowed: &[&str] = match at {
            0 => &["revision a1"],
            1 => &["revision a1", "revision c3"],
            _ => &["revision c3"],
        };
        match result {
            Ok(body) => assert!(allowed.contains(&body.as_str()), "phase {at}: {body}"),
            Err(err) => panic!("phase {at}: the endpoint did not answer: {err}"),
        }
    }
    assert_eq!(deploy.containers_of(&host, "a1").await, 0);
    assert_eq!(deploy.containers_of(&host, "c3").await, 2);
    let serving = deployer.serving(&service, "test").await.unwrap().unwrap();
    assert_eq!(serving.revision, "c3");

    // A crashed run's candidate is removed; the promoted revision is not.
    let spec_d = deploy.spec("d4", 1, true);
    deploy.start(&host, &spec_d).await;
    assert_eq!(deployer.remove_unpromoted(&spec_d.run_id).await.unwrap(), 1);
    assert_eq!(deployer.remove_unpromoted(&spec_c.run_id).await.unwrap(), 0);
    assert_eq!(deploy.containers_of(&host, "c3").await, 2);

    // A serving revision cannot be discarded by mistake.
    let err = deployer.discard(&c).await.unwrap_err();
    assert!(matches!(err, HostError::Invalid(_)), "{err}");

    // Everything of the service goes with its labels: replicas, proxy, network.
    let labels = BTreeMap::from([(LABEL_DEPLOY_SERVICE.to_string(), service.clone())]);
    assert_eq!(host.remove_labelled(&labels).await.unwrap(), 4);
    assert!(host.list_labelled(&labels).await.unwrap().is_empty());
    assert!(!network_exists(&format!("seamless-deploy-{service}-test")).await);
}

#[tokio::test]
async fn changed_public_port_recreates_the_proxy() {
    let service = unique("moved");
    let _cleanup = Cleanup::label(LABEL_DEPLOY_SERVICE, &service);
    let host = host().await;
    let image = format!("seamless-test/{service}:1");
    let _image = ImageCleanup(image.clone());
    web_image(&host, &image).await;
    let deployer = host.deployer().unwrap();
    let mut deploy = Deploy {
        service: service.clone(),
        image,
        public_port: reserved_port(),
    };
    let old_port = deploy.public_port;
    let spec = deploy.spec("p1", 1, true);
    let first = deploy.start(&host, &spec).await;
    deployer.promote(&first, &spec).await.unwrap();
    assert_eq!(http_get(old_port, "/").await.unwrap().0, 200);

    deploy.public_port = reserved_port();
    let spec = deploy.spec("p2", 1, true);
    let second = deploy.start(&host, &spec).await;
    let endpoint = deployer.promote(&second, &spec).await.unwrap();
    assert_eq!(endpoint, format!("http://127.0.0.1:{}", deploy.public_port));
    let (code, body) = http_get(deploy.public_port, "/").await.unwrap();
    assert_eq!((code, body.trim()), (200, "revision p2"));
    assert!(
        http_get(old_port, "/").await.is_err(),
        "the old port is released"
    );
    let serving = deployer.serving(&service, "test").await.unwrap().unwrap();
    assert_eq!(serving.endpoint, endpoint);
}

#[tokio::test]
async fn candidate_that_does_not_answer_fails_the_probe() {
    let service = unique("mute");
    let _cleanup = Cleanup::label(LABEL_DEPLOY_SERVICE, &service);
    let host = host().await;
    let deploy = Deploy {
        service: service.clone(),
        image: IMAGE.to_string(),
        public_port: reserved_port(),
    };
    // The busybox image's default command is a shell that exits at once.
    let spec = deploy.spec("m1", 1, true);
    let candidate = deploy.start(&host, &spec).await;
    let deployer = host.deployer().unwrap();
    let err = deployer
        .probe(&candidate, "/health", Duration::from_millis(1500))
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::Backend { .. }), "{err}");
    let run = BTreeMap::from([(LABEL_DEPLOY_RUN.to_string(), spec.run_id.clone())]);
    assert_eq!(host.list_labelled(&run).await.unwrap().len(), 1);
    deployer.discard(&candidate).await.unwrap();
    assert!(host.list_labelled(&run).await.unwrap().is_empty());
    assert_eq!(deployer.serving(&service, "test").await.unwrap(), None);
}

#[tokio::test]
async fn invalid_candidates_are_refused_before_anything_starts() {
    let host = host().await;
    let deployer = host.deployer().unwrap();
    let deploy = Deploy {
        service: "Bad_Name".to_string(),
        image: IMAGE.to_string(),
        public_port: 1,
    };
    let (sink, _) = collector();
    let err = deployer
        .start_candidate(deploy.spec("x", 1, true), sink)
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::Invalid(_)), "{err}");
    let deploy = Deploy {
        service: "ok".to_string(),
        ..deploy
    };
    let (sink, _) = collector();
    let err = deployer
        .start_candidate(deploy.spec("x", 0, true), sink)
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::Invalid(_)), "{err}");
}
