//! Builds images with the engine's classic builder.
//!
//! BuildKit needs a gRPC session that bollard only offers behind a feature, and Debian's
//! engine does everything we need with the classic builder, so every build uses it.

use crate::context::{check_dockerfile, tar_context};
use crate::errors::{BACKEND, backend};
use crate::lines::LineBuffer;
use bollard::Docker;
use bollard::errors::Error;
use bollard::query_parameters::{BuildImageOptionsBuilder, BuilderVersion};
use futures_util::StreamExt;
use seamless_host_api::{HostError, ImageBuildSpec, LogSink, LogStream};
use std::collections::HashMap;

/// Whether an image with this reference exists in the engine.
pub(crate) async fn exists(docker: &Docker, image: &str) -> Result<bool, HostError> {
    match docker.inspect_image(image).await {
        Ok(_) => Ok(true),
        Err(err) if crate::errors::is_not_found(&err) => Ok(false),
        Err(err) => Err(backend(&format!("inspecting image '{image}'"), err)),
    }
}

/// Builds `spec`, streaming the builder's output to `logs`, and returns the tag.
pub(crate) async fn build(
    docker: &Docker,
    spec: ImageBuildSpec,
    logs: LogSink,
) -> Result<String, HostError> {
    if spec.tag.trim().is_empty() {
        return Err(HostError::Invalid(
            "image tag is empty; give the build a tag such as 'app:latest'".to_string(),
        ));
    }
    check_dockerfile(&spec.context_dir, &spec.dockerfile)?;
    let context_dir = spec.context_dir.clone();
    let context = tokio::task::spawn_blocking(move || tar_context(&context_dir))
        .await
        .map_err(|err| HostError::Backend {
            backend: BACKEND,
            message: format!("packing the build context failed: {err}"),
        })??;

    let labels: HashMap<&String, &String> = spec.labels.iter().collect();
    let options = BuildImageOptionsBuilder::default()
        .dockerfile(&spec.dockerfile)
        .t(&spec.tag)
        .rm(true)
        .forcerm(true)
        .labels(&labels)
        .version(BuilderVersion::BuilderV1)
        .build();
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));

    let mut out = LineBuffer::default();
    let failed = |message: String| HostError::Backend {
        backend: BACKEND,
        message: format!("building image '{}' failed: {}", spec.tag, message.trim()),
    };
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(text) = info.stream {
                    out.push(text.as_bytes(), LogStream::Stdout, &logs);
                }
                if let Some(detail) = info.error_detail {
                    out.flush(LogStream::Stdout, &logs);
                    return Err(failed(detail.message.unwrap_or_default()));
                }
            }
            Err(Error::DockerStreamError { error }) => {
                out.flush(LogStream::Stdout, &logs);
                logs(LogStream::Stderr, error.trim());
                return Err(failed(error));
            }
            Err(Error::DockerResponseServerError { message, .. }) => {
                out.flush(LogStream::Stdout, &logs);
                logs(LogStream::Stderr, message.trim());
                return Err(failed(message));
            }
            Err(err) => {
                out.flush(LogStream::Stdout, &logs);
                return Err(backend(&format!("building image '{}'", spec.tag), err));
            }
        }
    }
    out.flush(LogStream::Stdout, &logs);
    Ok(spec.tag)
}
