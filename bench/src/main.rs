//! Seamless benchmarks. See `bench/README.md` for the commands and latest figures.
//!
//! - `plugin`: warm instantiate-and-call latency of a stage plugin (median, p99) and
//!   the cold-from-cache load time.
//! - `pipeline`: a 5-stage pipeline of trivial busybox containers run by
//!   `seamless run`, against a shell script running the same 5 `docker run --rm`.
//! - `shop`: the full shop pipeline's wall time and the runtime's share per stage.
//! - `concurrent`: 10 concurrent hello runs against a parallel shell script; peak RSS.
//! - `server`: webhook deliveries per second, event-stream latency with 200
//!   subscribers, and the server's memory.
//! - `bundles`: installing a plugin bundle from the local registry; a run's first
//!   instantiation of it (compile) against the second (cache).
//! - `ecs`: the ECS host's AWS requests and CPU time per stage, and its polling rate
//!   with many tasks running, against moto.

mod bundles;
mod concurrent;
mod ecs;
mod pipeline;
mod plugin;
mod server;
mod shop;
mod stats;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match which.as_str() {
        "plugin" => rt.block_on(plugin::run())?,
        "pipeline" => pipeline::run()?,
        "shop" => shop::run()?,
        "concurrent" => concurrent::run()?,
        "server" => rt.block_on(server::run())?,
        "bundles" => rt.block_on(bundles::run())?,
        "ecs" => rt.block_on(ecs::run())?,
        "all" => {
            rt.block_on(plugin::run())?;
            pipeline::run()?;
            concurrent::run()?;
            shop::run()?;
            rt.block_on(server::run())?;
            rt.block_on(bundles::run())?;
            rt.block_on(ecs::run())?;
        }
        other => {
            bail!(
                "unknown benchmark '{other}'; use plugin, pipeline, concurrent, shop, server, bundles, ecs or all"
            )
        }
    }
    Ok(())
}
