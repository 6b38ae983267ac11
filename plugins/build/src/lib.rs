//! The built-in `build` stage: builds the service's Dockerfile from its directory in
//! the workspace and tags the image with the commit: `<registry>/<service>:<sha>`
//! when the run has a registry (then it pushes it), `<service>:<sha>` otherwise.
//!
//! Outputs: `image` (the tag) always; `digest` (`sha256:...`) and `image-ref`
//! (`<registry>/<service>@sha256:...`) after a push.

use seamless_sdk::images::{self, BuildRequest};
use seamless_sdk::{
    Capability, Context, Manifest, Outcome, Stage, StageError, log, outputs, run_info,
};

/// The `build` stage plugin.
struct Build;

impl Stage for Build {
    fn describe() -> Manifest {
        Manifest::new(
            "build",
            env!("CARGO_PKG_VERSION"),
            "builds the service's image, tags it with the commit and pushes it",
        )
        .capability(Capability::Images)
    }

    fn run(_ctx: Context) -> Result<Outcome, StageError> {
        let info = run_info::current();
        let service = &info.service;
        let repo = repository(info.registry.as_deref(), &service.name);
        let tag = format!("{repo}:{}", info.commit_sha);
        log::info(&format!(
            "building {} from {}/{}",
            tag, service.path, service.dockerfile
        ));
        let request = BuildRequest::new(
            service.path.as_str(),
            service.dockerfile.as_str(),
            tag.as_str(),
        );
        let image = images::build(&request)?;
        outputs::set("image", &image)?;
        if info.registry.is_none() {
            return Ok(Outcome::new(format!("built {image}")));
        }
        log::info(&format!("pushing {image}"));
        let digest = images::push(&image)?;
        let image_ref = format!("{repo}@{digest}");
        outputs::set("digest", &digest)?;
        outputs::set("image-ref", &image_ref)?;
        Ok(Outcome::new(format!("built and pushed {image_ref}")))
    }
}

/// The image repository: `<registry>/<service>`, or `<service>` without a registry.
fn repository(registry: Option<&str>, service: &str) -> String {
    match registry.map(|r| r.trim_end_matches('/')) {
        Some(r) if !r.is_empty() => format!("{r}/{service}"),
        _ => service.to_owned(),
    }
}

seamless_sdk::export_stage!(Build);

#[cfg(test)]
mod tests {
    use super::repository;

    #[test]
    fn a_registry_prefixes_the_service() {
        assert_eq!(
            repository(Some("127.0.0.1:5001/shop"), "gateway"),
            "127.0.0.1:5001/shop/gateway"
        );
        assert_eq!(
            repository(Some("127.0.0.1:5001/shop/"), "gateway"),
            "127.0.0.1:5001/shop/gateway"
        );
    }

    #[test]
    fn without_a_registry_the_service_is_the_repository() {
        assert_eq!(repository(None, "gateway"), "gateway");
        assert_eq!(repository(Some(""), "gateway"), "gateway");
    }
}
