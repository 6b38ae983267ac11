//! Plugin instantiate-and-call latency.

use crate::stats::{ms, percentile};
use anyhow::{Context, Result};
use seamless_core::config::Config;
use seamless_engine::{Invocation, Masker, PluginEngine, RunFacts};
use std::collections::BTreeMap;

use std::sync::Arc;
use std::time::{Duration, Instant};

const WARMUP: usize = 20;
const SAMPLES: usize = 500;

/// Measures warm invocations of the `ok` behaviour of the misbehave fixture, and a
/// cold load from the on-disk cache.
pub async fn run() -> Result<()> {
    let repo = tempfile::tempdir()?;
    let cache = tempfile::tempdir()?;
    let wasm = seamless_test_support::fixtures::misbehave_wasm();
    std::fs::write(repo.path().join("Dockerfile"), "FROM seamless/busybox\n")?;
    std::fs::write(
        repo.path().join("seamless.toml"),
        format!(
            "version = 1\npipeline = \"bench\"\n[[service]]\nname = \"svc\"\n[[stage]]\nname = \"ok\"\nuses = \"{}\"\n[stage.with]\nbehaviour = \"ok\"\n",
            wasm.display()
        ),
    )?;
    let config: Config =
        seamless_core::config::load(repo.path()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let stage = config.stages.first().context("no stage")?.clone();
    let bytes = std::fs::read(&wasm).with_context(|| format!("read {}", wasm.display()))?;

    let engine = PluginEngine::new(cache.path().to_owned())?;
    let t = Instant::now();
    let plugin = engine.load("misbehave", &bytes).await?;
    let first_load = t.elapsed();
    let host: Arc<dyn seamless_host_api::ContainerHost> =
        Arc::new(seamless_host_local::LocalHost::new());
    let invocation = Invocation {
        stage: stage.name.clone(),
        config: stage.with.clone(),
        inputs: BTreeMap::new(),
        run: RunFacts::default(),
        workspace: repo.path().to_owned(),
        grants: stage.grants.clone(),
        limits: stage.limits.clone(),
        origin: stage.origin.clone(),
        secrets: BTreeMap::new(),
        masker: Arc::new(Masker::default()),
        host,
        log: Arc::new(|_| {}),
        labels: BTreeMap::new(),
        deploy: None,
    };
    let mut samples: Vec<Duration> = Vec::with_capacity(SAMPLES);
    for i in 0..WARMUP + SAMPLES {
        let t = Instant::now();
        let report = engine.invoke(&plugin, invocation.clone()).await;
        let d = t.elapsed();
        report.result.map_err(|e| anyhow::anyhow!("{e}"))?;
        if i >= WARMUP {
            samples.push(d);
        }
    }

    // Cold from cache: a new engine (as after a restart) loads the stored artifact.
    let mut cold = Vec::new();
    for _ in 0..10 {
        let engine2 = PluginEngine::new(cache.path().to_owned())?;
        let t = Instant::now();
        let p = engine2.load("misbehave", &bytes).await?;
        cold.push(t.elapsed());
        anyhow::ensure!(p.from_cache, "second load did not come from the cache");
    }

    println!("plugin (misbehave.wasm, {} KB)", bytes.len() / 1024);
    println!("  first load (compile + describe): {}", ms(first_load));
    println!(
        "  cold load from disk cache (deserialize + describe), median of 10: {}",
        ms(percentile(&cold, 50.0))
    );
    println!(
        "  warm fresh-Store instantiate + run, {SAMPLES} samples: median {}, p99 {}",
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 99.0))
    );
    Ok(())
}
