//! ECR, the registry of images on AWS: repositories made on first use (immutable
//! tags, scanned on push), and what ECR says an image is (`DescribeImages`: its
//! digest, or that it is missing), asked without pulling it.

use aws_sdk_ecr::types::{ImageIdentifier, ImageScanningConfiguration, ImageTagMutability, Tag};
use seamless_host_api::HostError;

use crate::Clients;
use crate::action::Action;
use crate::call::call;

/// An ECR image reference, split: `<account>.dkr.ecr.<region>.amazonaws.com/<repo>`
/// with a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage<'a> {
    /// The repository name (the path after the registry host).
    pub repository: &'a str,
    /// The tag, if the reference has one and no digest.
    pub tag: Option<&'a str>,
    /// The digest, if the reference has one.
    pub digest: Option<&'a str>,
}

/// Splits `image` when it names an ECR registry.
pub fn parse(image: &str) -> Option<EcrImage<'_>> {
    let (host, path) = image.split_once('/')?;
    let ecr = host.contains(".dkr.ecr.") && host.ends_with(".amazonaws.com");
    if !ecr {
        return None;
    }
    let (path, digest) = match path.split_once('@') {
        Some((p, d)) => (p, Some(d)),
        None => (path, None),
    };
    let (repository, tag) = match path.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, Some(t)),
        _ => (path, None),
    };
    Some(EcrImage {
        repository,
        tag: if digest.is_some() { None } else { tag },
        digest,
    })
}

/// Makes sure the repository exists: one that is missing is created with immutable
/// tags (a commit's image never changes under its tag) and scan-on-push.
pub async fn ensure_repository(clients: &Clients, name: &str) -> Result<(), HostError> {
    let request = clients.ecr.describe_repositories().repository_names(name);
    match call(Action::DescribeRepositories, || request.clone().send()).await {
        Ok(_) => return Ok(()),
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e.into()),
    }
    let tag = Tag::builder()
        .key("dev.seamless.managed")
        .value("true")
        .build()
        .map_err(|e| HostError::Invalid(format!("cannot build the ECR request: {e}")))?;
    let request = clients
        .ecr
        .create_repository()
        .repository_name(name)
        .image_tag_mutability(ImageTagMutability::Immutable)
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(true)
                .build(),
        )
        .tags(tag);
    match call(Action::CreateRepository, || request.clone().send()).await {
        Ok(_) => {
            tracing::info!(repository = name, "created the ECR repository");
            Ok(())
        }
        // Another build created it meanwhile.
        Err(e) if e.code.as_deref() == Some("RepositoryAlreadyExistsException") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The digest ECR has for `image`, or `None` when it has no such image.
pub async fn digest(clients: &Clients, image: &EcrImage<'_>) -> Result<Option<String>, HostError> {
    let id = ImageIdentifier::builder()
        .set_image_tag(image.tag.map(str::to_owned))
        .set_image_digest(image.digest.map(str::to_owned))
        .build();
    let request = clients
        .ecr
        .describe_images()
        .repository_name(image.repository)
        .image_ids(id);
    match call(Action::DescribeImages, || request.clone().send()).await {
        Ok(answer) => Ok(answer
            .image_details()
            .first()
            .and_then(|d| d.image_digest())
            .map(str::to_owned)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `Ok` when ECR has `image` (or it is not an ECR image, which ECS pulls from where
/// it names), [`HostError::NotFound`] saying so when ECR does not.
pub async fn check_image(clients: &Clients, image: &str) -> Result<(), HostError> {
    let Some(ecr) = parse(image) else {
        return Ok(());
    };
    match digest(clients, &ecr).await? {
        Some(_) => Ok(()),
        None => Err(missing(image)),
    }
}

fn missing(image: &str) -> HostError {
    HostError::NotFound(format!(
        "image {image} in ECR (deleted, or expired by a lifecycle policy); pick a revision \
         whose image still exists"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_references_split_into_repository_tag_and_digest() {
        let host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
        assert_eq!(
            parse(&format!("{host}/seamless/api:abc")),
            Some(EcrImage {
                repository: "seamless/api",
                tag: Some("abc"),
                digest: None
            })
        );
        assert_eq!(
            parse(&format!("{host}/api:abc@sha256:00")),
            Some(EcrImage {
                repository: "api",
                tag: None,
                digest: Some("sha256:00")
            })
        );
        assert_eq!(parse("127.0.0.1:5001/api:abc"), None);
        assert_eq!(parse("api"), None);
    }
}
