//! Image builds without a Docker daemon: a Kaniko task on Fargate reads the build
//! context from the run's workspace (its EFS access point, read-only) and pushes the
//! image to ECR itself, authenticating with the task's role through Kaniko's built-in
//! ECR credential helper. Kaniko, not rootless BuildKit, because it builds a
//! Dockerfile as an unprivileged process with no daemon, which Fargate allows;
//! BuildKit needs its process sandbox turned off to run there.

use std::collections::BTreeMap;

use seamless_host_api::{
    ContainerSpec, HostError, ImageBuildSpec, LABEL_RUN, LABEL_SERVICE, WorkspaceMount,
};

use crate::task_defs::WORKSPACE_PATH;

/// The label that marks a builder task.
pub const LABEL_BUILDER: &str = "dev.seamless.builder";

/// The builder task for `spec`, whose tag is `destination` in ECR.
pub fn builder_task(
    builder_image: &str,
    spec: &ImageBuildSpec,
    labels: &BTreeMap<String, String>,
) -> Result<ContainerSpec, HostError> {
    let context = spec.in_workspace.as_ref().ok_or_else(|| {
        HostError::Invalid(
            "on ECS an image is built from the run's workspace, and this build names no \
             context in it"
                .into(),
        )
    })?;
    let dir = match context.path.trim_matches('/') {
        "" | "." => WORKSPACE_PATH.to_owned(),
        path => format!("{WORKSPACE_PATH}/{path}"),
    };
    let mut args = vec![
        format!("--context=dir://{dir}"),
        format!("--dockerfile={dir}/{}", spec.dockerfile),
        format!("--destination={}", spec.tag),
        // The image's layers are all it needs: no cache repository, no tarball.
        "--snapshot-mode=redo".to_owned(),
    ];
    args.extend(spec.labels.iter().map(|(k, v)| format!("--label={k}={v}")));
    let mut task_labels = BTreeMap::from([
        (LABEL_RUN.to_owned(), context.run_id.clone()),
        (LABEL_BUILDER.to_owned(), "kaniko".to_owned()),
    ]);
    if let Some(service) = labels.get(LABEL_SERVICE) {
        task_labels.insert(LABEL_SERVICE.to_owned(), service.clone());
    }
    Ok(ContainerSpec {
        image: builder_image.to_owned(),
        command: args,
        workspace: Some(WorkspaceMount {
            host_path: spec.context_dir.clone(),
            container_path: WORKSPACE_PATH.to_owned(),
            read_only: true,
        }),
        labels: task_labels,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use seamless_host_api::WorkspaceContext;

    #[test]
    fn the_builder_reads_the_context_from_the_workspace_and_pushes_the_tag() {
        let spec = ImageBuildSpec {
            context_dir: "/data/workspaces/run-1/api".into(),
            dockerfile: "Dockerfile".into(),
            tag: "1.dkr.ecr.eu-west-1.amazonaws.com/seamless/api:abc".into(),
            labels: BTreeMap::from([("org.opencontainers.image.revision".into(), "abc".into())]),
            in_workspace: Some(WorkspaceContext {
                run_id: "run-1".into(),
                path: "api".into(),
            }),
        };
        let task = builder_task("kaniko:1", &spec, &BTreeMap::new()).unwrap();
        assert_eq!(
            task.command,
            [
                "--context=dir:///workspace/api",
                "--dockerfile=/workspace/api/Dockerfile",
                "--destination=1.dkr.ecr.eu-west-1.amazonaws.com/seamless/api:abc",
                "--snapshot-mode=redo",
                "--label=org.opencontainers.image.revision=abc",
            ]
        );
        assert_eq!(
            task.labels.get(LABEL_RUN).map(String::as_str),
            Some("run-1")
        );
        assert!(task.workspace.unwrap().read_only);
        let mut whole = spec.clone();
        whole.in_workspace.as_mut().unwrap().path = ".".into();
        let task = builder_task("kaniko:1", &whole, &BTreeMap::new()).unwrap();
        assert_eq!(task.command[0], "--context=dir:///workspace");
    }
}
