//! The wasmtime embedding: runs one stage plugin in a fresh, capped sandbox.
//!
//! The flow of one invocation is `PluginEngine::load` (compile or load from the disk
//! cache) → `PluginEngine::invoke` (fresh `Store` with memory, time and capability
//! limits; `describe`, then `run`) → [`StageReport`].

mod bindings;
mod cache;
mod capabilities;
mod checkout;
mod deploy_context;
mod deploy_lock;
mod engine_config;
mod error;
mod failure_messages;
mod host;
mod invocation;
mod limits;
mod manifest;
mod masking;
mod no_host;
mod outcome;
mod plugin_engine;
mod stage_log;
mod state;

pub use cache::ComponentCache;
pub use capabilities::{Capability, CapabilityDenied};
pub use checkout::{Checkout, CheckoutError, checkout};
pub use deploy_context::{DeployContext, DeployLedger};
pub use error::{EngineError, StageFailure};
pub use invocation::{Invocation, RunFacts, ServiceFacts, SourceSpec, StageReport, TestCounts};
pub use masking::Masker;
pub use plugin_engine::{InstantiateHook, LoadedPlugin, PluginEngine, PluginManifest};
pub use stage_log::{LogLine, LogLineSink, LogSource, StageLog};
