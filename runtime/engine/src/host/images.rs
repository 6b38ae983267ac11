//! `seamless:plugin/images`: build images from the workspace.

use super::paths::is_contained;
use crate::bindings::seamless::plugin::images::{BuildRequest, Host};
use crate::bindings::seamless::plugin::types::HostError;
use crate::capabilities::Capability;
use crate::stage_log::LogSource;
use crate::state::StageState;
use seamless_host_api::{ImageBuildSpec, LogSink, WorkspaceContext};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The labels of a built image. Containers inherit their image's labels, so an image
/// must not carry the container labels (`dev.seamless.run`, ...): every container of
/// the image, deployed ones included, would look like the run's and be removed with
/// it. The image gets `dev.seamless.image.*` instead.
fn image_labels(container_labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    container_labels
        .iter()
        .map(|(k, v)| {
            let key = k
                .strip_prefix("dev.seamless.")
                .map_or_else(|| k.clone(), |rest| format!("dev.seamless.image.{rest}"));
            (key, v.clone())
        })
        .collect()
}

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
            labels: image_labels(&self.labels),
            in_workspace: Some(WorkspaceContext {
                run_id: self.run.run_id.clone(),
                path: request.context.clone(),
            }),
        };
        let started = std::time::Instant::now();
        let built = self.host.build_image(spec, sink).await;
        self.busy += started.elapsed();
        Ok(built?)
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
        let started = std::time::Instant::now();
        let pushed = self.host.push_image(&reference, sink).await;
        self.busy += started.elapsed();
        Ok(pushed?)
    }
}

#[cfg(test)]
mod tests {
    use super::image_labels;
    use std::collections::BTreeMap;

    #[test]
    fn images_do_not_carry_the_labels_that_mark_a_runs_containers() {
        let labels = BTreeMap::from([
            ("dev.seamless.run".to_string(), "r1".to_string()),
            ("dev.seamless.service".to_string(), "web".to_string()),
        ]);
        let image = image_labels(&labels);
        assert_eq!(
            image.get("dev.seamless.image.run").map(String::as_str),
            Some("r1")
        );
        assert!(!image.contains_key("dev.seamless.run"));
        assert!(!image.contains_key("dev.seamless.service"));
    }
}
