//! Plugin bundles: installing from the local registry, and a run's first instantiation
//! of a newly installed plugin (compile) against the second (compiled-artifact cache).

use crate::pipeline::{seamless_bin, timed};
use crate::stats::{ms, percentile};
use anyhow::Result;
use seamless_engine::PluginEngine;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const INSTALLS: usize = 10;

fn write_project(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("plugin.toml"),
        "name = \"misbehave\"\nversion = \"1.0.0\"\ndescription = \"bench fixture\"\n\
         license = \"MIT\"\nstages = [\"code-quality\"]\nlang = \"rust\"\n\
         [capabilities]\ncontainers = true\nworkspace-write = true\nsecrets = [\"API_TOKEN\"]\n",
    )?;
    Ok(())
}

fn write_pipeline(dir: &Path, uses: &str) -> Result<()> {
    std::fs::write(dir.join("Dockerfile"), "FROM seamless/busybox\n")?;
    std::fs::write(
        dir.join("seamless.toml"),
        format!(
            "version = 1\npipeline = \"bench\"\n[secrets]\nAPI_TOKEN = {{ from-env = \"HOME\" }}\n\
             [[service]]\nname = \"svc\"\n[[stage]]\nname = \"ok\"\nuses = \"{uses}\"\n\
             [stage.with]\nbehaviour = \"ok\"\n[stage.grants]\ncontainers = true\n\
             workspace-write = true\nsecrets = [\"API_TOKEN\"]\n"
        ),
    )?;
    Ok(())
}

/// Pushes the misbehave fixture as a bundle, then measures installs and runs.
pub async fn run() -> Result<()> {
    let registry = seamless_test_support::registry::try_plain()?;
    let bin = seamless_bin()?;
    let work = tempfile::tempdir()?;
    let project = work.path().join("project");
    write_project(&project)?;
    let wasm = seamless_test_support::fixtures::misbehave_wasm();
    timed(
        Command::new(&bin)
            .args(["plugin", "pack", "--component"])
            .arg(&wasm)
            .args(["-o", "dist/b"])
            .current_dir(&project),
    )?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let reference = format!("{registry}/bench/misbehave-{nanos}:1.0.0");
    timed(
        Command::new(&bin)
            .args(["plugin", "push", &reference, "--bundle", "dist/b"])
            .current_dir(&project),
    )?;

    // Installs, each into a new data directory and pipeline (nothing cached).
    let mut installs = Vec::new();
    for i in 0..INSTALLS {
        let dir = work.path().join(format!("pipeline-{i}"));
        std::fs::create_dir_all(&dir)?;
        write_pipeline(&dir, &reference)?;
        let data = work.path().join(format!("data-{i}"));
        installs.push(timed(
            Command::new(&bin)
                .args(["plugin", "install", &reference, "--yes", "--data-dir"])
                .arg(&data)
                .current_dir(&dir),
        )?);
    }

    // Runs of the newly installed plugin: the first compiles it, the second loads the
    // compiled artifact from the cache.
    let dir = work.path().join("pipeline-0");
    let data = work.path().join("data-0");
    let mut runs: Vec<Duration> = Vec::new();
    for _ in 0..2 {
        runs.push(timed(
            Command::new(&bin)
                .args(["run", ".", "--host", "local", "--data-dir"])
                .arg(&data)
                .current_dir(&dir),
        )?);
    }

    // The same split inside the engine, on the stored bundle's component.
    let component = std::fs::read(&wasm)?;
    let cache = tempfile::tempdir()?;
    let engine = PluginEngine::new(cache.path().to_owned())?;
    let t = Instant::now();
    let first = engine.load(&reference, &component).await?;
    let compile = t.elapsed();
    anyhow::ensure!(!first.from_cache, "the first load came from the cache");
    let engine = PluginEngine::new(cache.path().to_owned())?;
    let t = Instant::now();
    let second = engine.load(&reference, &component).await?;
    let cached = t.elapsed();
    anyhow::ensure!(
        second.from_cache,
        "the second load did not come from the cache"
    );

    installs.sort();
    println!(
        "bundles (misbehave fixture, {} KB component, registry {registry})",
        component.len() / 1024
    );
    println!(
        "  plugin install from the registry ({INSTALLS} installs, new data dir each): median {}, max {}",
        ms(percentile(&installs, 50.0)),
        ms(percentile(&installs, 100.0))
    );
    println!(
        "  `seamless run` of a one-stage pipeline, first after install (compiles): {}",
        ms(runs[0])
    );
    println!(
        "  second run (compiled artifact from the cache): {}",
        ms(runs[1])
    );
    println!(
        "  engine load: compile {}, from the cache {}",
        ms(compile),
        ms(cached)
    );
    Ok(())
}
