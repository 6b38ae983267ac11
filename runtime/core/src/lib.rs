//! Seamless core: the pure pipeline model.
//!
//! The flow through this crate reads top to bottom:
//! - [`capability`] is the one rule for what a plugin may do: whether a declaration or
//!   a stage's grants cover a capability, and the `seamless.toml` line that grants it;
//! - [`commit`] is the commit a run builds, validated once, from the webhook or the
//!   CLI to the plugin, the labels and the image tags;
//! - [`config`] loads `seamless.toml`, validates it and reports every error with
//!   `file:line:col`;
//! - [`plan`] turns a validated [`config::Config`] into a [`plan::RunPlan`], a DAG of
//!   stage instances per service;
//! - [`state`] is the stage state machine that the scheduler and the store use to change
//!   run state.
//!
//! There is no I/O here except reading the config file and checking that the files it
//! names exist: no tokio, no wasmtime.

pub mod capability;
pub mod commit;
pub mod config;
pub mod deploy;
pub mod plan;
pub mod report;
pub mod state;
