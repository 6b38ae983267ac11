//! `seamless run` of 5 trivial container stages against a plain shell script.

use crate::stats::{ms, percentile};
use anyhow::{Result, ensure};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;

/// The `seamless` binary, built from the current sources into this benchmark's own
/// target directory and profile first, so a benchmark never measures old code.
pub(crate) fn seamless_bin() -> Result<PathBuf> {
    seamless_test_support::bin::try_seamless_bin().map_err(anyhow::Error::msg)
}

pub(crate) fn timed(cmd: &mut Command) -> Result<Duration> {
    let t = Instant::now();
    let out = cmd.output()?;
    let d = t.elapsed();
    ensure!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(d)
}

fn write_repo(dir: &Path) -> Result<()> {
    let mut toml = String::from(
        "version = 1\npipeline = \"bench\"\n\n[[service]]\nname = \"svc\"\n\n[service.commands]\nstep = \"true\"\n\n",
    );
    for i in 1..=5 {
        toml.push_str(&format!(
            "[[stage]]\nname = \"s{i}\"\nuses = \"builtin:command\"\n{}[stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"step\"\n\n",
            if i > 1 { format!("needs = [\"s{}\"]\n", i - 1) } else { String::new() }
        ));
    }
    std::fs::write(dir.join("seamless.toml"), toml)?;
    std::fs::write(dir.join("Dockerfile"), "FROM seamless/busybox\n")?;
    std::fs::write(
        dir.join("script.sh"),
        "#!/bin/sh\nset -e\nfor i in 1 2 3 4 5; do docker run --rm -v \"$PWD:/workspace:ro\" -w /workspace seamless/busybox sh -c true; done\n",
    )?;
    Ok(())
}

/// Runs both ROUNDS times, interleaved, and prints medians and their ratio.
pub fn run() -> Result<()> {
    let bin = seamless_bin()?;
    let repo = tempfile::tempdir()?;
    let data = tempfile::tempdir()?;
    write_repo(repo.path())?;
    // Warm up both (component cache, page cache).
    timed(
        Command::new(&bin)
            .arg("run")
            .arg(repo.path())
            .args(["--host", "docker", "--data-dir"])
            .arg(data.path()),
    )?;
    timed(Command::new("sh").arg("script.sh").current_dir(repo.path()))?;
    let (mut ours, mut script) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ours.push(timed(
            Command::new(&bin)
                .arg("run")
                .arg(repo.path())
                .args(["--host", "docker", "--data-dir"])
                .arg(data.path()),
        )?);
        script.push(timed(
            Command::new("sh").arg("script.sh").current_dir(repo.path()),
        )?);
    }
    let (a, b) = (percentile(&ours, 50.0), percentile(&script, 50.0));
    println!("pipeline: 5 chained busybox stages, median of {ROUNDS}");
    println!("  seamless run:             {}", ms(a));
    println!("  shell script (docker run): {}", ms(b));
    println!(
        "  ratio seamless/script:    {:.2}",
        a.as_secs_f64() / b.as_secs_f64()
    );
    Ok(())
}
