//! The per-invocation Store data: WASI context, limits, and what the host functions
//! need to know about the stage.

use crate::capabilities::{Capability, CapabilityDenied, CapabilityPolicy};
use crate::deploy_context::DeployContext;
use crate::host::http::HttpGuard;
use crate::host::services::ActiveCandidate;
use crate::invocation::RunFacts;
use crate::limits::MemoryCap;
use crate::stage_log::StageLog;
use seamless_host_api::{ContainerHandle, ContainerHost};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Containers a stage started and has not seen finish; shared with the invoker so it
/// can stop them when the stage ends in any way.
pub type LiveContainers = Arc<Mutex<BTreeMap<String, ContainerHandle>>>;

/// Networks a stage created and has not removed; removed when the stage ends.
pub type LiveNetworks = Arc<Mutex<Vec<String>>>;

/// Deploy candidates a stage started and neither promoted nor abandoned; abandoned
/// when the stage ends.
pub type LiveCandidates = Arc<Mutex<BTreeMap<String, ActiveCandidate>>>;

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
    /// The size of each container the stage starts (`[stage.limits]`).
    pub(crate) container_size: (Option<u32>, Option<u32>),
    pub(crate) live: LiveContainers,
    pub(crate) networks: LiveNetworks,
    pub(crate) candidates: LiveCandidates,
    pub(crate) deploy: Option<DeployContext>,
    pub(crate) outputs: BTreeMap<String, String>,
    /// The first capability denial; it fails the stage even if the plugin ignores it.
    pub(crate) denied: Option<CapabilityDenied>,
    /// Counter for unique container and network names within the stage.
    pub(crate) next_container: u32,
    pub(crate) http_ctx: WasiHttpCtx,
    pub(crate) http: HttpGuard,
    /// Time spent waiting for the backend: containers, builds, pushes, deploys and
    /// checkouts (the rest of a stage's time is the runtime's and the plugin's).
    pub(crate) busy: std::time::Duration,
}

/// What the invoker keeps to clean up after the stage, whatever its outcome.
#[derive(Clone, Default)]
pub(crate) struct Leftovers {
    pub live: LiveContainers,
    pub networks: LiveNetworks,
    pub candidates: LiveCandidates,
}

impl StageState {
    /// A state with no grants, no host and nothing to clean up (for `describe`).
    pub(crate) fn new(
        wasi: WasiCtx,
        memory: MemoryCap,
        policy: CapabilityPolicy,
        log: StageLog,
        host: Arc<dyn ContainerHost>,
        leftovers: &Leftovers,
    ) -> Self {
        let http = HttpGuard::new(policy.clone(), log.clone());
        StageState {
            wasi,
            table: ResourceTable::new(),
            memory,
            policy,
            log,
            host,
            run: RunFacts::default(),
            workspace: PathBuf::new(),
            secrets: BTreeMap::new(),
            labels: BTreeMap::new(),
            container_size: (None, None),
            live: leftovers.live.clone(),
            networks: leftovers.networks.clone(),
            candidates: leftovers.candidates.clone(),
            deploy: None,
            outputs: BTreeMap::new(),
            denied: None,
            next_container: 0,
            http_ctx: WasiHttpCtx::new(),
            http,
            busy: std::time::Duration::ZERO,
        }
    }

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

    /// The first denial, of a host function or of an HTTP request.
    pub(crate) fn first_denial(&self) -> Option<CapabilityDenied> {
        self.denied.clone().or_else(|| self.http.denial())
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

impl WasiHttpView for StageState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http_ctx,
            table: &mut self.table,
            hooks: &mut self.http,
        }
    }
}
