//! Image builds on ECS, against moto: a Kaniko task that reads the context from the
//! run's workspace and pushes to an ECR repository made on first use; the push is
//! ECR's digest. moto runs no builder, so the test pushes the image into moto's ECR
//! as Kaniko would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::Aws;
use seamless_host_api::{ContainerHost, ImageBuildSpec, WorkspaceContext};
use seamless_test_support::logs;
use seamless_test_support::moto::Moto;

const PREFIX: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/seamless";

fn spec(tag: &str) -> ImageBuildSpec {
    ImageBuildSpec {
        context_dir: "/unused/on/ecs/api".into(),
        dockerfile: "Dockerfile".into(),
        tag: tag.into(),
        labels: BTreeMap::new(),
        in_workspace: Some(WorkspaceContext {
            run_id: "run-build".into(),
            path: "api".into(),
        }),
    }
}

/// Puts an image under `tag` into moto's ECR, as the builder's push would, and
/// returns its digest.
async fn push_as_kaniko_would(aws: &Aws, repository: &str, tag: &str) -> String {
    let manifest = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#;
    let out = aws
        .clients
        .ecr
        .put_image()
        .repository_name(repository)
        .image_manifest(manifest)
        .image_tag(tag)
        .send()
        .await
        .unwrap();
    out.image()
        .and_then(|i| i.image_id())
        .and_then(|id| id.image_digest())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_build_runs_kaniko_on_the_workspace_into_a_new_immutable_scanned_repository() {
    let moto = Moto::acquire();
    moto.keep_tasks_running();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    let tag = format!("{PREFIX}/api:c0ffee");
    let building = {
        let tag = tag.clone();
        let host = &host;
        async move { host.build_image(spec(&tag), logs::collector().0).await }
    };
    let aws_ref = &aws;
    let moto_ref = &moto;
    let watch = async move {
        // The builder task, once it exists: its arguments, then its "push".
        let task = loop {
            let listed = aws_ref
                .clients
                .ecs
                .list_tasks()
                .cluster("seamless")
                .started_by("run-build")
                .send()
                .await
                .unwrap();
            if let Some(arn) = listed.task_arns().first() {
                break aws_ref.task(arn).await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let args = task.overrides().unwrap().container_overrides()[0]
            .command()
            .to_vec();
        push_as_kaniko_would(aws_ref, "seamless/api", "c0ffee").await;
        moto_ref.stop_tasks_at_once();
        args
    };
    let (built, args) = tokio::join!(building, watch);
    assert_eq!(built.unwrap(), tag);
    assert_eq!(
        args,
        [
            "--context=dir:///workspace/api",
            "--dockerfile=/workspace/api/Dockerfile",
            &format!("--destination={tag}"),
            "--snapshot-mode=redo",
        ]
    );
    let repos = aws
        .clients
        .ecr
        .describe_repositories()
        .repository_names("seamless/api")
        .send()
        .await
        .unwrap();
    let repo = &repos.repositories()[0];
    assert_eq!(
        repo.image_tag_mutability().map(|m| m.as_str()),
        Some("IMMUTABLE")
    );
    assert!(repo.image_scanning_configuration().unwrap().scan_on_push());

    // The push is ECR's digest of what the builder pushed.
    let digest = host.push_image(&tag, logs::collector().0).await.unwrap();
    assert!(digest.starts_with("sha256:"), "{digest}");
}

#[tokio::test]
async fn an_image_already_in_ecr_is_not_built_again_and_one_missing_is_not_pushed() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    aws.clients
        .ecr
        .create_repository()
        .repository_name("seamless/web")
        .send()
        .await
        .unwrap();
    let digest = push_as_kaniko_would(&aws, "seamless/web", "abc").await;
    let (sink, lines) = logs::collector();
    let tag = format!("{PREFIX}/web:abc");
    assert_eq!(host.build_image(spec(&tag), sink).await.unwrap(), tag);
    let said = logs::on(&lines, seamless_host_api::LogStream::Stdout).join("\n");
    assert!(said.contains("already in ECR; not built again"), "{said}");
    assert_eq!(
        host.push_image(&tag, logs::collector().0).await.unwrap(),
        digest
    );

    let missing = format!("{PREFIX}/web:nope");
    let error = host
        .push_image(&missing, logs::collector().0)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("which did not push it"), "{error}");
}

#[tokio::test]
async fn an_image_outside_the_repository_prefix_names_the_setting() {
    let moto = Moto::acquire();
    let aws = Aws::set_up(&moto).await;
    let host = aws.host().await;
    let error = host
        .build_image(spec("127.0.0.1:5001/api:abc"), logs::collector().0)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&format!("set `[registry] url = \"{PREFIX}\"`")),
        "{error}"
    );
}
