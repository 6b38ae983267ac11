//! How the wasmtime engine is configured: component model, epoch interruption, and
//! instances from the pooling allocator (falling back to on-demand allocation where
//! the machine refuses the pool's address-space reservation).

use crate::error::EngineError;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Most stage plugins instantiated at once (the CLI caps `--parallel` below this).
pub const MAX_CONCURRENT_PLUGINS: u32 = 128;

/// Largest linear memory one plugin may have; per-stage caps are lower.
const MAX_MEMORY_BYTES: usize = 4 << 30;

fn pool() -> PoolingAllocationConfig {
    let mut p = PoolingAllocationConfig::new();
    p.total_component_instances(MAX_CONCURRENT_PLUGINS)
        .total_stacks(MAX_CONCURRENT_PLUGINS)
        // Python components (componentize-py) hold a dozen core instances, several
        // memories and large tables; Rust plugins hold one or two of each.
        .total_core_instances(MAX_CONCURRENT_PLUGINS * 16)
        .total_memories(MAX_CONCURRENT_PLUGINS * 4)
        .total_tables(MAX_CONCURRENT_PLUGINS * 16)
        .max_core_instances_per_component(64)
        .max_memories_per_component(16)
        .max_tables_per_component(64)
        .max_component_instance_size(16 << 20)
        .max_core_instance_size(16 << 20)
        .table_elements(200_000)
        .max_memory_size(MAX_MEMORY_BYTES);
    p
}

fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config
}

/// The engine and a fingerprint of its configuration (part of the compiled-component
/// cache key, because artifacts only load on an engine configured the same way).
pub fn build_engine() -> Result<(Engine, &'static str), EngineError> {
    let mut pooled = base_config();
    pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool()));
    match Engine::new(&pooled) {
        Ok(engine) => Ok((engine, "component-model;epoch-interruption;pooling-v1")),
        Err(e) => {
            tracing::warn!(error = %e, "pooling allocator unavailable; allocating instances on demand");
            let engine =
                Engine::new(&base_config()).map_err(|e| EngineError::Config(format!("{e:#}")))?;
            Ok((engine, "component-model;epoch-interruption;on-demand"))
        }
    }
}
