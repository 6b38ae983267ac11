//! The per-invocation Store data: WASI context, limits, and what the host functions
//! need to know about the stage.

use crate::capabilities::{Capability, CapabilityDenied, CapabilityPolicy};
use crate::invocation::RunFacts;
use crate::limits::MemoryCap;
use crate::stage_log::StageLog;
use seamless_host_api::{ContainerHandle, ContainerHost};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Containers a stage started and has not seen finish; shared with the invoker so it
/// can stop them when the stage ends in any way.
pub type LiveContainers = Arc<Mutex<BTreeMap<String, ContainerHandle>>>;

/// What every host function of one invocation can reach.
pub struct StageState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) memory: MemoryCap,
    pub(crate) policy: CapabilityPolicy,
    pub(crate) log: StageLog,
    pub(crate) host: Arc<dyn ContainerHost>,
    pub(crate) run: RunFacts,
    pub(crate) workspace: PathBuf,
    pub(crate) secrets: BTreeMap<String, String>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) live: LiveContainers,
    pub(crate) outputs: BTreeMap<String, String>,
    /// The first capability denial; it fails the stage even if the plugin ignores it.
    pub(crate) denied: Option<CapabilityDenied>,
    /// Counter for unique container names within the stage.
    pub(crate) next_container: u32,
}

impl StageState {
    /// Checks a capability; a denial is recorded, logged and returned.
    pub(crate) fn require(&mut self, cap: &Capability, call: &str) -> Result<(), CapabilityDenied> {
        match self.policy.check(cap, call) {
            Ok(()) => Ok(()),
            Err(denied) => {
                self.log
                    .write(crate::LogSource::Runtime, &format!("denied: {denied}"));
                if self.denied.is_none() {
                    self.denied = Some(denied.clone());
                }
                Err(denied)
            }
        }
    }
}

impl WasiView for StageState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
