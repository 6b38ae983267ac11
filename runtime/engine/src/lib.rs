//! The wasmtime embedding: runs one stage plugin in a fresh, capped sandbox.
//!
//! The flow of one invocation is `PluginEngine::load` (compile or load from the disk
//! cache) → `PluginEngine::invoke` (fresh `Store` with memory, time and capability
//! limits; `describe`, then `run`) → [`StageReport`].

mod bindings;
mod cache;
mod capabilities;
mod engine_config;
mod error;
mod failure_messages;
mod host;
mod invocation;
mod limits;
mod masking;
mod no_host;
mod plugin_engine;
mod stage_log;
mod state;

pub use cache::ComponentCache;
pub use capabilities::{Capability, CapabilityDenied};
pub use error::{EngineError, StageFailure};
pub use invocation::{Invocation, RunFacts, ServiceFacts, StageReport};
pub use masking::Masker;
pub use plugin_engine::{LoadedPlugin, PluginEngine, PluginManifest};
pub use stage_log::{LogLine, LogLineSink, LogSource, StageLog};
