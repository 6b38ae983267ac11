//! Errors of the plugin engine, and why a stage failed.

use std::path::PathBuf;

/// The engine itself could not do its work (not a plugin's fault).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The wasmtime engine could not be configured.
    #[error("cannot configure the wasm engine: {0}")]
    Config(String),
    /// A component could not be compiled or does not match the contract.
    #[error("cannot load plugin component: {0}")]
    Compile(String),
    /// The component cache could not be written.
    #[error("component cache at '{}': {reason}", path.display())]
    Cache {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A plugin file could not be read.
    #[error("cannot read plugin '{}': {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Why a stage invocation did not succeed. Every variant is a stage failure, never a
/// failure of the runtime.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageFailure {
    /// The plugin ran and reported failure (tests failed, build broke).
    #[error("{0}")]
    Failed(String),
    /// The plugin rejected its configuration.
    #[error("invalid stage configuration: {0}")]
    InvalidConfig(String),
    /// The plugin called a host function its grants do not allow.
    #[error("{0}")]
    CapabilityDenied(String),
    /// The plugin went past its memory cap.
    #[error("{0}")]
    MemoryCap(String),
    /// The plugin ran past its time limit.
    #[error("{0}")]
    Timeout(String),
    /// The plugin trapped (panic, unreachable, bad memory access).
    #[error("{0}")]
    Crashed(String),
    /// The plugin could not be loaded or does not match the contract.
    #[error("{0}")]
    Load(String),
    /// A host call failed and the plugin gave up.
    #[error("{0}")]
    Host(String),
}

impl StageFailure {
    /// The same failure with its message passed through `f` (used to mask secrets).
    pub fn map_message(self, f: impl FnOnce(&str) -> String) -> Self {
        match self {
            StageFailure::Failed(m) => StageFailure::Failed(f(&m)),
            StageFailure::InvalidConfig(m) => StageFailure::InvalidConfig(f(&m)),
            StageFailure::CapabilityDenied(m) => StageFailure::CapabilityDenied(f(&m)),
            StageFailure::MemoryCap(m) => StageFailure::MemoryCap(f(&m)),
            StageFailure::Timeout(m) => StageFailure::Timeout(f(&m)),
            StageFailure::Crashed(m) => StageFailure::Crashed(f(&m)),
            StageFailure::Load(m) => StageFailure::Load(f(&m)),
            StageFailure::Host(m) => StageFailure::Host(f(&m)),
        }
    }
}
