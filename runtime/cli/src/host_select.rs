//! Picks the container backend.

use crate::args::HostChoice;
use anyhow::{Context, Result};
use seamless_core::config::ecs::EcsSettings;
use seamless_host_api::ContainerHost;
use seamless_store::Store;
use std::sync::Arc;

/// The forced backend, or Docker when an engine answers and local otherwise. The ECS
/// host takes its options from `ecs` (the pipeline's `[hosts.ecs]`) and the
/// `SEAMLESS_ECS_*` environment, and remembers its task definitions in `store`.
pub async fn select(
    choice: Option<HostChoice>,
    ecs: &EcsSettings,
    store: &Arc<Store>,
) -> Result<Arc<dyn ContainerHost>> {
    match choice {
        Some(HostChoice::Docker) => {
            let docker = seamless_host_docker::DockerHost::connect()
                .await
                .context("--host docker was given, but no Docker engine answers")?;
            Ok(Arc::new(docker))
        }
        Some(HostChoice::Local) => Ok(Arc::new(seamless_host_local::LocalHost::new())),
        Some(HostChoice::Ecs) => ecs_host(ecs, store).await,
        None => match seamless_host_docker::DockerHost::connect().await {
            Ok(docker) => Ok(Arc::new(docker)),
            Err(e) => {
                tracing::info!(reason = %e, "no Docker engine; using the local process host");
                Ok(Arc::new(seamless_host_local::LocalHost::new()))
            }
        },
    }
}

#[cfg(feature = "aws")]
async fn ecs_host(ecs: &EcsSettings, store: &Arc<Store>) -> Result<Arc<dyn ContainerHost>> {
    let options = ecs
        .resolve(|var| std::env::var(var).ok())
        .map_err(|problems| {
            anyhow::anyhow!("--host ecs cannot start:\n  {}", problems.join("\n  "))
        })?;
    let cache = Arc::new(StoreMemory(store.clone()));
    let host = seamless_host_ecs::EcsHost::connect(
        options,
        cache,
        None,
        seamless_host_ecs::Timing::default(),
    )
    .await
    .context("--host ecs cannot reach its cluster")?;
    Ok(Arc::new(host))
}

#[cfg(not(feature = "aws"))]
async fn ecs_host(_: &EcsSettings, _: &Arc<Store>) -> Result<Arc<dyn ContainerHost>> {
    anyhow::bail!(
        "this seamless was built without the ECS host (cargo feature `aws`); build it with \
         `cargo build -p seamless-cli` (the feature is on by default) or \
         `--features aws`"
    )
}

/// The ECS host's task definitions, remembered in the run store so a restarted
/// runtime registers none again.
#[cfg(feature = "aws")]
struct StoreMemory(Arc<Store>);

#[cfg(feature = "aws")]
impl StoreMemory {
    const HOST: &'static str = "ecs";
}

#[cfg(feature = "aws")]
impl seamless_host_ecs::HostMemory for StoreMemory {
    fn get(&self, key: &str) -> Option<String> {
        self.0
            .host_resource(Self::HOST, key)
            .inspect_err(
                |e| tracing::warn!(error = %e, "cannot read a task definition from the store"),
            )
            .ok()
            .flatten()
    }
    fn put(&self, key: &str, arn: &str) {
        if let Err(e) = self.0.set_host_resource(Self::HOST, key, arn) {
            tracing::warn!(error = %e, "cannot remember a task definition in the store");
        }
    }
    fn forget(&self, key: &str) {
        if let Err(e) = self.0.remove_host_resource(Self::HOST, key) {
            tracing::warn!(error = %e, "cannot forget a task definition in the store");
        }
    }
}
