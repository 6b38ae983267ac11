//! The full shop pipeline (examples/shop, `--trigger push --approve`): wall time, and
//! per stage the runtime's own share, the time not spent waiting for containers,
//! builds, pushes and deploys (the scheduler logs both for every attempt).

use crate::pipeline::{seamless_bin, timed};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// `(stage, wall ms, runtime ms)` of every attempt, from the run's log lines.
fn attempts(data: &Path, run_id: &str) -> Result<Vec<(String, u64, u64)>> {
    let store = seamless_store::Store::open(data)?;
    let mut rows = Vec::new();
    for line in store.logs(run_id)? {
        if line.source != "runtime" || !line.line.starts_with("attempt took ") {
            continue;
        }
        let numbers: Vec<u64> = line
            .line
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        if let [wall, _busy, own] = numbers[..] {
            rows.push((line.stage, wall, own));
        }
    }
    Ok(rows)
}

/// Runs the shop twice (the first warms Docker's build cache) and reports the second.
pub fn run() -> Result<()> {
    let registry = seamless_test_support::registry::try_plain()?;
    let bin = seamless_bin()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let repo = tempfile::tempdir()?;
    let data = tempfile::tempdir()?;
    seamless_test_support::fs::copy_dir_all(&root.join("examples/shop"), repo.path())?;
    let config = repo.path().join("seamless.toml");
    let text = std::fs::read_to_string(&config)?
        .replace("127.0.0.1:5001/shop", &format!("{registry}/shop-bench"));
    std::fs::write(&config, text)?;
    seamless_test_support::git::try_init_and_commit(repo.path(), "bench")?;
    let run = |data: &Path| -> Result<std::time::Duration> {
        timed(
            Command::new(&bin)
                .arg("run")
                .arg(repo.path())
                .args(["--trigger", "push", "--approve", "--host", "docker"])
                .arg("--data-dir")
                .arg(data),
        )
    };
    let warm = tempfile::tempdir()?;
    run(warm.path())?;
    let wall = run(data.path())?;
    let out = Command::new(&bin)
        .args(["runs", "--limit", "1", "--data-dir"])
        .arg(data.path())
        .output()?;
    let listing = String::from_utf8_lossy(&out.stdout);
    let run_id = listing
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .context("no run listed")?
        .to_string();
    let mut by_stage: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for (stage, wall_ms, own_ms) in attempts(data.path(), &run_id)? {
        let entry = by_stage.entry(stage).or_default();
        entry.0 += 1;
        entry.1 += wall_ms;
        entry.2 += own_ms;
    }
    let instances = seamless_store::Store::open(data.path())?
        .stages(&run_id)?
        .len();
    println!("shop: full pipeline (3 services, {instances} stage instances), second run");
    println!("  wall time: {:.1} s", wall.as_secs_f64());
    println!("  stage                attempts  mean wall ms  mean runtime ms");
    for (stage, (n, wall_ms, own_ms)) in &by_stage {
        println!(
            "  {stage:<20} {n:>8}  {:>12}  {:>15}",
            wall_ms / n,
            own_ms / n
        );
    }
    Ok(())
}
