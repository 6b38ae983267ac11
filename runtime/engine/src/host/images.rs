//! `seamless:plugin/images`: build images from the workspace.

use super::paths::is_contained;
use crate::bindings::seamless::plugin::images::{BuildRequest, Host};
use crate::bindings::seamless::plugin::types::HostError;
use crate::capabilities::Capability;
use crate::stage_log::LogSource;
use crate::state::StageState;
use seamless_host_api::{ImageBuildSpec, LogSink};
use std::sync::Arc;

impl Host for StageState {
    async fn build(&mut self, request: BuildRequest) -> Result<String, HostError> {
        self.require(&Capability::Images, "images.build")?;
        if !is_contained(&request.context) {
            return Err(HostError::Invalid(format!(
                "build context '{}' leaves the workspace; give a path inside it",
                request.context
            )));
        }
        if !is_contained(&request.dockerfile) {
            return Err(HostError::Invalid(format!(
                "dockerfile '{}' leaves the build context; give a path inside it",
                request.dockerfile
            )));
        }
        let context_dir = self.workspace.join(&request.context);
        if !context_dir.is_dir() {
            return Err(HostError::NotFound(format!(
                "build context '{}' in the workspace",
                request.context
            )));
        }
        let log = self.log.clone();
        let sink: LogSink = Arc::new(move |_, line| log.write(LogSource::ContainerStdout, line));
        let spec = ImageBuildSpec {
            context_dir,
            dockerfile: request.dockerfile,
            tag: request.tag,
            labels: self.labels.clone(),
        };
        Ok(self.host.build_image(spec, sink).await?)
    }

    async fn push(&mut self, reference: String) -> Result<String, HostError> {
        self.require(&Capability::Images, "images.push")?;
        let reference = reference.trim().to_string();
        let registry = self.run.registry.clone().ok_or_else(|| {
            HostError::Invalid(
                "no registry is configured; add `[registry] url = \"host:port/path\"` to \
                 seamless.toml"
                    .into(),
            )
        })?;
        // Only the configured registry receives pushes: a plugin cannot send the
        // run's images anywhere else.
        if !reference.starts_with(&format!("{registry}/")) {
            return Err(HostError::Invalid(format!(
                "image '{reference}' is not in the configured registry '{registry}'; tag it \
                 '{registry}/<name>:<tag>'"
            )));
        }
        let log = self.log.clone();
        let sink: LogSink = Arc::new(move |_, line| log.write(LogSource::ContainerStdout, line));
        Ok(self.host.push_image(&reference, sink).await?)
    }
}
