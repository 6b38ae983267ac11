//! The engine: compiles (or loads from cache) plugin components and runs one stage
//! invocation in a fresh, capped Store.

use crate::bindings::seamless::plugin::types::{Context as WitContext, KeyValue};
use crate::bindings::{Stage, StagePre};
use crate::cache::{CacheOutcome, ComponentCache, sha256_hex};
use crate::capabilities::{Capability, CapabilityPolicy};
use crate::error::{EngineError, StageFailure};
use crate::invocation::{Invocation, StageReport};
use crate::limits::{EpochTicker, MemoryCap, ticks};
use crate::manifest::capability_from_wit;
use crate::masking::Masker;
use crate::no_host::NoHost;
use crate::outcome::Ended;
use crate::stage_log::{LineWriter, LogSource, StageLog};
use crate::state::{Leftovers, StageState};
use seamless_core::config::{Grants, StageOrigin};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{FsPerms, WasiCtx};

/// The WIT package version this runtime serves.
const WIT_PACKAGE: &str = "seamless:plugin";
const WIT_MAJOR_MINOR: &str = "0.2.";

/// Limits for calling `describe`, which should be instant.
const DESCRIBE_MEMORY: u64 = 256 * 1024 * 1024;
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a plugin says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginManifest {
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// One line on what it does.
    pub description: String,
    /// The capabilities it needs.
    pub capabilities: Vec<Capability>,
}

/// A compiled plugin, ready to instantiate.
pub struct LoadedPlugin {
    /// Where it came from, such as `builtin:command` or a file path.
    pub source: String,
    /// The sha256 of the component bytes.
    pub sha256: String,
    /// Whether the compiled artifact came from the disk cache.
    pub from_cache: bool,
    /// What the plugin declared.
    pub manifest: PluginManifest,
    pre: StagePre<StageState>,
}

/// Told how long each plugin instantiation took (for metrics).
pub type InstantiateHook = Arc<dyn Fn(Duration) + Send + Sync>;

/// Runs stage plugins. One per runtime; cheap to share behind an `Arc`.
pub struct PluginEngine {
    engine: Engine,
    linker: Linker<StageState>,
    cache: ComponentCache,
    on_instantiate: std::sync::OnceLock<InstantiateHook>,
    _ticker: EpochTicker,
}

impl PluginEngine {
    /// An engine whose compiled components are cached under `cache_dir`.
    pub fn new(cache_dir: PathBuf) -> Result<Self, EngineError> {
        let (engine, fingerprint) = crate::engine_config::build_engine()?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| EngineError::Config(format!("{e:#}")))?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(|e| EngineError::Config(format!("{e:#}")))?;
        Stage::add_to_linker::<_, HasSelf<StageState>>(&mut linker, |s| s)
            .map_err(|e| EngineError::Config(format!("{e:#}")))?;
        let _ticker = EpochTicker::start(&engine);
        Ok(Self {
            engine,
            linker,
            cache: ComponentCache::new(cache_dir, fingerprint),
            on_instantiate: std::sync::OnceLock::new(),
            _ticker,
        })
    }

    /// Calls `hook` with the time each instantiation of a plugin takes (the first hook
    /// set stays).
    pub fn on_instantiate(&self, hook: InstantiateHook) {
        let _ = self.on_instantiate.set(hook);
    }

    /// The component cache.
    pub fn cache(&self) -> &ComponentCache {
        &self.cache
    }

    /// Reads a plugin file and loads it.
    pub async fn load_file(&self, path: &std::path::Path) -> Result<LoadedPlugin, EngineError> {
        let bytes = std::fs::read(path).map_err(|e| EngineError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        self.load(&path.display().to_string(), &bytes).await
    }

    /// Compiles (or loads from cache) a component, checks it against the contract and
    /// reads its manifest.
    pub async fn load(&self, source: &str, bytes: &[u8]) -> Result<LoadedPlugin, EngineError> {
        let sha256 = sha256_hex(bytes);
        // Compiling takes Cranelift seconds of CPU: off the async worker threads, so a
        // server keeps answering while a new plugin compiles.
        let (cache, engine, owned, key) = (
            self.cache.clone(),
            self.engine.clone(),
            bytes.to_vec(),
            sha256.clone(),
        );
        let (component, outcome) =
            tokio::task::spawn_blocking(move || cache.load_or_compile(&engine, &owned, &key))
                .await
                .map_err(|e| EngineError::Compile(format!("'{source}': compile task failed: {e}")))?
                .map_err(|e| match e {
                    EngineError::Compile(m) => EngineError::Compile(format!(
                        "'{source}' is not a valid WebAssembly component ({}); build it as a \
                     component (for example for wasm32-wasip2) against {WIT_PACKAGE}@0.2",
                        short_reason(&m)
                    )),
                    other => other,
                })?;
        check_wit_version(&self.engine, &component, source)?;
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| EngineError::Compile(format!("'{source}': {e:#}")))?;
        let pre = StagePre::new(instance_pre).map_err(|e| {
            EngineError::Compile(format!(
                "'{source}' does not implement world 'stage' of {WIT_PACKAGE}@0.2: {e:#}"
            ))
        })?;
        let manifest = self.describe(source, &pre).await?;
        Ok(LoadedPlugin {
            source: source.to_owned(),
            sha256,
            from_cache: outcome == CacheOutcome::Hit,
            manifest,
            pre,
        })
    }

    async fn describe(
        &self,
        source: &str,
        pre: &StagePre<StageState>,
    ) -> Result<PluginManifest, EngineError> {
        let sink: crate::stage_log::LogLineSink = Arc::new(|line| {
            tracing::debug!(text = %line.text, "plugin output during describe");
        });
        let log = StageLog::new(sink, Arc::new(Masker::default()));
        let state = StageState::new(
            WasiCtx::builder().build(),
            MemoryCap::new(DESCRIBE_MEMORY),
            CapabilityPolicy {
                plugin: source.to_owned(),
                stage: "describe".into(),
                grants: Grants::default(),
                declared: Vec::new(),
                origin: StageOrigin::default(),
            },
            log,
            Arc::new(NoHost),
            &Leftovers::default(),
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        store.set_epoch_deadline(ticks(DESCRIBE_TIMEOUT));
        store.epoch_deadline_trap();
        let manifest = async {
            let stage = pre.instantiate_async(&mut store).await?;
            stage.call_describe(&mut store).await
        }
        .await
        .map_err(|e| EngineError::Compile(format!("'{source}': describe() failed: {e:#}")))?;
        Ok(PluginManifest {
            name: manifest.name,
            version: manifest.version,
            description: manifest.description,
            capabilities: manifest
                .capabilities
                .into_iter()
                .map(capability_from_wit)
                .collect(),
        })
    }

    /// Runs one stage invocation in a fresh Store. Never fails the runtime: every
    /// problem of the plugin becomes a [`StageFailure`] in the report.
    pub async fn invoke(&self, plugin: &LoadedPlugin, inv: Invocation) -> StageReport {
        let log = StageLog::new(inv.log.clone(), inv.masker.clone());
        let stdout = log.writer(LogSource::PluginStdout);
        let stderr = log.writer(LogSource::PluginStderr);
        let leftovers = Leftovers::default();
        let host = inv.host.clone();
        let deploy = inv.deploy.clone();
        let masker = inv.masker.clone();
        let mut report = self
            .invoke_inner(plugin, inv, log.clone(), &stdout, &stderr, &leftovers)
            .await;
        stdout.flush_tail();
        stderr.flush_tail();
        clean_up(host.as_ref(), deploy.as_ref(), &leftovers, &log).await;
        // Summaries and failure messages are shown and stored like log lines.
        report.result = match report.result {
            Ok(summary) => Ok(masker.mask(&summary)),
            Err(failure) => Err(failure.map_message(|m| masker.mask(m))),
        };
        report
    }

    async fn invoke_inner(
        &self,
        plugin: &LoadedPlugin,
        inv: Invocation,
        log: StageLog,
        stdout: &LineWriter,
        stderr: &LineWriter,
        leftovers: &Leftovers,
    ) -> StageReport {
        let name = plugin.manifest.name.clone();
        let stage_name = inv.stage.clone();
        let origin = inv.origin.clone();
        let limits = inv.limits.clone();
        let write = plugin
            .manifest
            .capabilities
            .contains(&Capability::WorkspaceWrite)
            && inv.grants.workspace_write;
        let mut wasi = WasiCtx::builder();
        wasi.stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        let perms = if write {
            FsPerms::ReadWrite
        } else {
            FsPerms::ReadOnly
        };
        if let Err(e) = wasi.preopened_dir(&inv.workspace, "/workspace", perms) {
            return failed(StageFailure::Load(format!(
                "cannot open workspace '{}' for plugin '{name}': {e:#}",
                inv.workspace.display()
            )));
        }
        let context = WitContext {
            stage: inv.stage.clone(),
            config: key_values(&inv.config),
            inputs: key_values(&inv.inputs),
        };
        let policy = CapabilityPolicy {
            plugin: name.clone(),
            stage: inv.stage.clone(),
            grants: inv.grants.clone(),
            declared: plugin.manifest.capabilities.clone(),
            origin: inv.origin.clone(),
        };
        let mut state = StageState::new(
            wasi.build(),
            MemoryCap::new(limits.memory_bytes),
            policy,
            log,
            inv.host.clone(),
            leftovers,
        );
        state.run = inv.run.clone();
        state.workspace = inv.workspace.clone();
        state.secrets = inv.secrets.clone();
        state.labels = inv.labels.clone();
        state.container_size = (limits.container_cpu, limits.container_memory_mib);
        state.deploy = inv.deploy.clone();
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        store.set_epoch_deadline(ticks(limits.timeout));
        store.epoch_deadline_trap();

        let hook = self.on_instantiate.get().cloned();
        let call = async {
            let started = std::time::Instant::now();
            let stage = plugin.pre.instantiate_async(&mut store).await?;
            if let Some(hook) = hook {
                hook(started.elapsed());
            }
            stage.call_run(&mut store, &context).await
        };
        let outcome = tokio::time::timeout(limits.timeout, call).await;

        let data = store.data();
        let facts = Ended {
            outputs: data.outputs.clone(),
            busy: data.busy,
            memory_hit: data.memory.was_hit(),
            denied: data.first_denial(),
            who: format!("plugin '{name}' (stage '{stage_name}')"),
            origin,
            limits,
        };
        crate::outcome::report(facts, outcome)
    }
}

fn failed(f: StageFailure) -> StageReport {
    StageReport {
        result: Err(f),
        outputs: BTreeMap::new(),
        tests: None,
        busy: std::time::Duration::ZERO,
    }
}

/// Stops containers, removes networks and abandons deploy candidates that a stage
/// left behind, whatever its outcome.
async fn clean_up(
    host: &dyn seamless_host_api::ContainerHost,
    deploy: Option<&crate::deploy_context::DeployContext>,
    leftovers: &Leftovers,
    log: &StageLog,
) {
    let containers: Vec<_> = match leftovers.live.lock() {
        Ok(mut map) => std::mem::take(&mut *map).into_values().collect(),
        Err(_) => Vec::new(),
    };
    for handle in containers {
        if let Err(e) = host.stop(&handle).await {
            log.write(
                LogSource::Runtime,
                &format!("could not stop container {}: {e}", handle.id),
            );
        }
    }
    let networks: Vec<String> = match leftovers.networks.lock() {
        Ok(mut list) => std::mem::take(&mut *list),
        Err(_) => Vec::new(),
    };
    for network in networks {
        if let Err(e) = host.remove_network(&network).await {
            log.write(
                LogSource::Runtime,
                &format!("could not remove network {network}: {e}"),
            );
        }
    }
    let candidates: Vec<_> = match leftovers.candidates.lock() {
        Ok(mut map) => std::mem::take(&mut *map).into_values().collect(),
        Err(_) => Vec::new(),
    };
    crate::host::services::abandon_leftovers(host, deploy, candidates, log).await;
}

fn key_values(map: &BTreeMap<String, String>) -> Vec<KeyValue> {
    map.iter()
        .map(|(k, v)| KeyValue {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// The first line of a wasmtime error, without its byte dumps.
fn short_reason(message: &str) -> &str {
    let first = message.lines().next().unwrap_or(message);
    first
        .split(" - expected")
        .next()
        .unwrap_or(first)
        .trim_end()
}

/// Rejects a component that targets another version of the contract, with a
/// message that names both versions.
fn check_wit_version(
    engine: &Engine,
    component: &wasmtime::component::Component,
    source: &str,
) -> Result<(), EngineError> {
    let ty = component.component_type();
    for (name, _) in ty.imports(engine) {
        let Some(rest) = name.strip_prefix(WIT_PACKAGE) else {
            continue;
        };
        let version = rest.rsplit_once('@').map(|(_, v)| v).unwrap_or("(none)");
        if !version.starts_with(WIT_MAJOR_MINOR) {
            return Err(EngineError::Compile(format!(
                "'{source}' targets {WIT_PACKAGE}@{version}, but this runtime supports \
                 {WIT_PACKAGE}@0.2.x; rebuild the plugin against wit/ of this release"
            )));
        }
    }
    Ok(())
}
