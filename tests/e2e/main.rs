//! End-to-end tests: they drive the built `seamless` binary against the real Docker
//! engine, real Wasm components (built from source) and a real SQLite store.
//! One test binary with a module per area, so it links once.

#![allow(clippy::unwrap_used, missing_docs)]

mod support;

mod cancellation;
mod cli_output;
mod cli_papercuts;
mod cli_tools;
mod config_errors;
mod dashboard;
mod deploys;
mod durability;
mod ecs_host;
mod failure_paths;
mod hello_pipeline;
mod parallelism;
mod plugin_bad_input;
mod plugin_bundles;
mod python_plugin;
mod registry_tls;
mod retries_and_sources;
mod sandbox_limits;
mod secrets_and_grants;
mod serve;
mod shop_pipeline;
