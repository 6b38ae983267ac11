//! The parts runs need: the data directory, the store, the plugin engine and the
//! container hosts.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use seamless_engine::PluginEngine;
use seamless_host_api::ContainerHost;
use seamless_scheduler::Scheduler;
use seamless_store::Store;

/// Gives the container host a run was started on, to resume it there.
#[async_trait]
pub trait HostResolver: Send + Sync {
    /// The host called `name` (as `ContainerHost::name` gives it and runs record it).
    async fn host(&self, name: &str) -> Result<Arc<dyn ContainerHost>, String>;
}

/// What the server carries runs out with.
#[derive(Clone)]
pub struct Runtime {
    /// Where runs, workspaces, mirrors and the plugin cache live.
    pub data_dir: PathBuf,
    /// The run store.
    pub store: Arc<Store>,
    /// The plugin engine.
    pub engine: Arc<PluginEngine>,
    /// The host new runs use.
    pub host: Arc<dyn ContainerHost>,
    /// The hosts resumed runs use (the one each was started on).
    pub hosts: Arc<dyn HostResolver>,
}

impl Runtime {
    /// A scheduler over these parts and `host`.
    pub fn scheduler(&self, host: Arc<dyn ContainerHost>) -> Scheduler {
        Scheduler::new(
            self.engine.clone(),
            self.store.clone(),
            host,
            self.data_dir.clone(),
        )
    }
}
