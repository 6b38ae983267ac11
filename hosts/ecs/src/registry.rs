//! ECR, the registry of images on AWS: whether an image a deploy or rollback names
//! is there (`DescribeImages`), asked without pulling it.

use aws_sdk_ecr::types::ImageIdentifier;
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

/// `Ok` when ECR has `image` (or it is not an ECR image, which ECS pulls from where
/// it names), [`HostError::NotFound`] saying so when ECR does not.
pub async fn check_image(clients: &Clients, image: &str) -> Result<(), HostError> {
    let Some(ecr) = parse(image) else {
        return Ok(());
    };
    let id = ImageIdentifier::builder()
        .set_image_tag(ecr.tag.map(str::to_owned))
        .set_image_digest(ecr.digest.map(str::to_owned))
        .build();
    let request = clients
        .ecr
        .describe_images()
        .repository_name(ecr.repository)
        .image_ids(id);
    match call(Action::DescribeImages, || request.clone().send()).await {
        Ok(answer) if !answer.image_details().is_empty() => Ok(()),
        Ok(_) => Err(missing(image)),
        Err(e) if e.is_not_found() => Err(missing(image)),
        Err(e) => Err(e.into()),
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
