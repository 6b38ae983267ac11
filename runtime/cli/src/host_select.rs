//! Picks the container backend.

use crate::args::HostChoice;
use anyhow::{Context, Result};
use seamless_host_api::ContainerHost;
use std::sync::Arc;

/// The forced backend, or Docker when an engine answers and local otherwise.
pub async fn select(choice: Option<HostChoice>) -> Result<Arc<dyn ContainerHost>> {
    match choice {
        Some(HostChoice::Docker) => {
            let docker = seamless_host_docker::DockerHost::connect()
                .await
                .context("--host docker was given, but no Docker engine answers")?;
            Ok(Arc::new(docker))
        }
        Some(HostChoice::Local) => Ok(Arc::new(seamless_host_local::LocalHost::new())),
        None => match seamless_host_docker::DockerHost::connect().await {
            Ok(docker) => Ok(Arc::new(docker)),
            Err(e) => {
                tracing::info!(reason = %e, "no Docker engine; using the local process host");
                Ok(Arc::new(seamless_host_local::LocalHost::new()))
            }
        },
    }
}
