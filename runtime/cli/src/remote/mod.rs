//! Talking to a `seamless serve` over its REST API, for `--server URL --token T` (or
//! `server` and `token` in `$XDG_CONFIG_HOME/seamless/cli.toml`).

mod client;
mod config;
pub mod events;

pub use client::{Remote, escape as client_escape};
pub use config::connect;
