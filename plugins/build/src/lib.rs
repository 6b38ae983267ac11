//! The built-in `build` stage: builds the service's Dockerfile from its directory in
//! the workspace, tags the image `<service>:<commit-sha>`, and hands the reference to
//! later stages as the output `image`.

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
            "builds the service's image and tags it with the commit",
        )
        .capability(Capability::Images)
    }

    fn run(_ctx: Context) -> Result<Outcome, StageError> {
        let info = run_info::current();
        let service = &info.service;
        let tag = format!("{}:{}", service.name, info.commit_sha);
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
        Ok(Outcome::new(format!("built {image}")))
    }
}

seamless_sdk::export_stage!(Build);
