//! 10 concurrent `seamless run examples/hello` against a shell script that starts the
//! same containers (and the same build) 10 times in parallel: total wall time, and
//! the runtime's peak resident memory per process.

use crate::pipeline::seamless_bin;
use anyhow::{Result, ensure};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const RUNS: usize = 10;

/// Peak resident set (VmHWM) of a live process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Waits for every child, sampling their peak RSS; returns the wall time and the
/// largest peak.
fn wait_all(mut children: Vec<Child>, started: Instant) -> Result<(Duration, u64)> {
    let mut peak = 0;
    loop {
        let mut running = false;
        for child in &mut children {
            if child.try_wait()?.is_none() {
                running = true;
                peak = peak.max(peak_rss_kib(child.id()).unwrap_or(0));
            }
        }
        if !running {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall = started.elapsed();
    for mut child in children {
        ensure!(child.wait()?.success(), "a run failed");
    }
    Ok((wall, peak))
}

fn copy_hello(to: &Path) -> Result<()> {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello");
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))?;
    }
    std::fs::write(
        to.join("script.sh"),
        "#!/bin/sh\nset -e\ntag=\"hello-script-$1\"\n\
         docker run --rm -v \"$PWD:/workspace:ro\" -w /workspace seamless/busybox sh ./lint.sh >/dev/null\n\
         docker run --rm -v \"$PWD:/workspace\" -w /workspace seamless/busybox sh ./test.sh >/dev/null\n\
         DOCKER_BUILDKIT=0 docker build -q -t \"$tag\" . >/dev/null\n",
    )?;
    Ok(())
}

/// Runs both once to warm up, then measured.
pub fn run() -> Result<()> {
    let bin = seamless_bin()?;
    let repo = tempfile::tempdir()?;
    copy_hello(repo.path())?;
    let data = tempfile::tempdir()?;
    let spawn_ours = || -> Result<Vec<Child>> {
        (0..RUNS)
            .map(|_| {
                Ok(Command::new(&bin)
                    .arg("run")
                    .arg(repo.path())
                    .args(["--host", "docker", "--data-dir"])
                    .arg(data.path())
                    .stdout(std::process::Stdio::null())
                    .spawn()?)
            })
            .collect()
    };
    let spawn_script = || -> Result<Vec<Child>> {
        (0..RUNS)
            .map(|i| {
                Ok(Command::new("sh")
                    .arg("script.sh")
                    .arg(i.to_string())
                    .current_dir(repo.path())
                    .spawn()?)
            })
            .collect()
    };
    wait_all(spawn_ours()?, Instant::now())?;
    wait_all(spawn_script()?, Instant::now())?;
    let (ours, peak) = wait_all(spawn_ours()?, Instant::now())?;
    let (script, _) = wait_all(spawn_script()?, Instant::now())?;
    println!("concurrent: {RUNS} runs of examples/hello at once");
    println!("  seamless, total wall:        {:.2} s", ours.as_secs_f64());
    println!(
        "  shell script, total wall:    {:.2} s",
        script.as_secs_f64()
    );
    println!(
        "  ratio seamless/script:       {:.2}",
        ours.as_secs_f64() / script.as_secs_f64()
    );
    println!(
        "  peak RSS of one seamless process: {:.1} MiB",
        peak as f64 / 1024.0
    );
    for i in 0..RUNS {
        let _ = Command::new("docker")
            .args(["image", "rm", "-f", &format!("hello-script-{i}")])
            .output();
    }
    Ok(())
}
