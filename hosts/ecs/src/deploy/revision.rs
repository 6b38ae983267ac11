//! The task definition a deploy registers: the serving one with the new image in
//! every container whose repository is the service's (not only the first), and the
//! deploy's environment variables added to those containers.

use aws_sdk_ecs::types::{ContainerDefinition, KeyValuePair, Tag, TaskDefinition};
use seamless_host_api::HostError;

/// The repository of an image reference: without its digest and tag.
pub fn repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

/// The containers of `serving` with `image` in place of every image of its
/// repository, and `env` set in those containers; `Err` when no container runs that
/// repository.
pub fn containers(
    serving: &TaskDefinition,
    image: &str,
    env: &[(String, String)],
) -> Result<(Vec<ContainerDefinition>, Vec<String>), HostError> {
    let wanted = repository(image);
    let mut replaced = Vec::new();
    let containers: Vec<ContainerDefinition> = serving
        .container_definitions()
        .iter()
        .cloned()
        .map(|mut container| {
            let ours = container.image.as_deref().map(repository) == Some(wanted);
            if ours {
                container.image = Some(image.to_owned());
                let vars = container.environment.get_or_insert_with(Vec::new);
                for (name, value) in env {
                    vars.retain(|kv| kv.name() != Some(name.as_str()));
                    vars.push(KeyValuePair::builder().name(name).value(value).build());
                }
                replaced.push(container.name.clone().unwrap_or_default());
            }
            container
        })
        .collect();
    if replaced.is_empty() {
        let running: Vec<String> = serving
            .container_definitions()
            .iter()
            .map(|c| {
                format!(
                    "{} ({})",
                    c.name().unwrap_or("unnamed"),
                    c.image().unwrap_or("no image")
                )
            })
            .collect();
        return Err(HostError::Invalid(format!(
            "no container of task definition {} runs an image of {wanted}, so the deploy would \
             change nothing; its containers run {}. Point the service's `image` at the \
             repository the ECS service runs",
            serving.task_definition_arn().unwrap_or("?"),
            running.join(", ")
        )));
    }
    Ok((containers, replaced))
}

/// Registers the next revision of `serving`'s family with `containers`, keeping
/// everything else of it, tagged with `tags`; returns its ARN.
pub fn register_request(
    clients: &crate::Clients,
    serving: &TaskDefinition,
    containers: Vec<ContainerDefinition>,
    tags: Vec<Tag>,
) -> aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder
{
    clients
        .ecs
        .register_task_definition()
        .set_family(serving.family().map(str::to_owned))
        .set_container_definitions(Some(containers))
        .set_task_role_arn(serving.task_role_arn().map(str::to_owned))
        .set_execution_role_arn(serving.execution_role_arn().map(str::to_owned))
        .set_network_mode(serving.network_mode().cloned())
        .set_volumes(list(serving.volumes()))
        .set_placement_constraints(list(serving.placement_constraints()))
        .set_requires_compatibilities(list(serving.requires_compatibilities()))
        .set_cpu(serving.cpu().map(str::to_owned))
        .set_memory(serving.memory().map(str::to_owned))
        .set_pid_mode(serving.pid_mode().cloned())
        .set_ipc_mode(serving.ipc_mode().cloned())
        .set_proxy_configuration(serving.proxy_configuration().cloned())
        .set_ephemeral_storage(serving.ephemeral_storage().cloned())
        .set_runtime_platform(serving.runtime_platform().cloned())
        .set_tags(Some(tags))
}

/// A list field as the request wants it: `None` when empty.
fn list<T: Clone>(items: &[T]) -> Option<Vec<T>> {
    (!items.is_empty()).then(|| items.to_vec())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_repository_drops_the_tag_and_digest_but_not_a_registry_port() {
        assert_eq!(repository("gateway"), "gateway");
        assert_eq!(repository("gateway:1.2"), "gateway");
        assert_eq!(
            repository("127.0.0.1:5001/shop/gateway:abc"),
            "127.0.0.1:5001/shop/gateway"
        );
        assert_eq!(
            repository("127.0.0.1:5001/shop/gateway"),
            "127.0.0.1:5001/shop/gateway"
        );
        assert_eq!(
            repository("1.dkr.ecr.eu-west-1.amazonaws.com/api:3@sha256:ab"),
            "1.dkr.ecr.eu-west-1.amazonaws.com/api"
        );
    }

    fn definition(images: &[(&str, &str)]) -> TaskDefinition {
        TaskDefinition::builder()
            .task_definition_arn("arn:aws:ecs:eu-west-1:1:task-definition/api:7")
            .set_container_definitions(Some(
                images
                    .iter()
                    .map(|(name, image)| {
                        ContainerDefinition::builder()
                            .name(*name)
                            .image(*image)
                            .environment(KeyValuePair::builder().name("KEEP").value("1").build())
                            .environment(
                                KeyValuePair::builder()
                                    .name("SEAMLESS_REVISION")
                                    .value("old")
                                    .build(),
                            )
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }

    #[test]
    fn every_container_of_the_services_repository_gets_the_image_and_the_rest_stays() {
        let serving = definition(&[
            ("api", "reg/api:1"),
            ("envoy", "reg/envoy:1"),
            ("worker", "reg/api:1"),
        ]);
        let env = vec![("SEAMLESS_REVISION".to_owned(), "rev-2".to_owned())];
        let (containers, replaced) = containers(&serving, "reg/api:2", &env).unwrap();
        assert_eq!(replaced, ["api", "worker"]);
        let images: Vec<&str> = containers.iter().map(|c| c.image().unwrap()).collect();
        assert_eq!(images, ["reg/api:2", "reg/envoy:1", "reg/api:2"]);
        let vars: Vec<(&str, &str)> = containers[0]
            .environment()
            .iter()
            .map(|kv| (kv.name().unwrap(), kv.value().unwrap()))
            .collect();
        assert_eq!(vars, [("KEEP", "1"), ("SEAMLESS_REVISION", "rev-2")]);
        assert_eq!(
            containers[1].environment().len(),
            2,
            "the sidecar keeps its own"
        );
    }

    #[test]
    fn a_deploy_that_would_change_no_container_is_refused_naming_what_runs() {
        let serving = definition(&[("api", "reg/api:1")]);
        let error = containers(&serving, "reg/other:2", &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("no container of task definition"), "{error}");
        assert!(error.contains("api (reg/api:1)"), "{error}");
    }
}
