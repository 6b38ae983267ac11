//! `seamless serve` on the local host:
//! - signed webhook deliveries accepted per second (pushes to a branch the pipeline does
//!   not follow, so each is verified, deduplicated, recorded, queued and settled
//!   without a run), from 16 concurrent senders, one connection per delivery as GitHub
//!   sends them;
//! - the latency from a stage transition (its time in the store) to each of 200
//!   subscribers of the event stream receiving it, over 10 runs of a 5-stage pipeline;
//! - the server's resident memory when idle, and with the 200 subscribers.

use crate::pipeline::seamless_bin;
use crate::stats::{ms, percentile};
use anyhow::{Context, Result, bail, ensure};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "bench-webhook-secret-0123456789";
const DELIVERIES: usize = 3000;
const SENDERS: usize = 16;
const SUBSCRIBERS: usize = 200;
const RUNS: usize = 10;

struct Server {
    child: Child,
    port: u16,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory now (VmRSS), in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn start(repo: &Path, data: &Path) -> Result<Server> {
    let stages: String = (1..=5)
        .map(|i| {
            let before = format!("s{}", i - 1);
            let needs: &[&str] = if i == 1 { &[] } else { &[&before] };
            seamless_test_support::stages::command_stage(&format!("s{i}"), needs, "ok") + "\n"
        })
        .collect();
    std::fs::write(repo.join("Dockerfile"), "FROM scratch\n")?;
    std::fs::write(
        repo.join("seamless.toml"),
        format!(
            "version = 1\npipeline = \"bench\"\n\n[[service]]\nname = \"app\"\n\
             [service.commands]\nok = \"true\"\n\n{stages}"
        ),
    )?;
    seamless_test_support::git::try_init_and_commit(repo, "bench")?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    drop(listener);
    let child = Command::new(seamless_bin()?)
        .arg("serve")
        .arg(repo)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--host", "local"])
        .args(["--webhook-secret-env", "BENCH_SECRET", "--max-runs", "2"])
        .arg("--data-dir")
        .arg(data)
        .env("BENCH_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let out = Command::new(seamless_bin()?)
        .args([
            "token",
            "create",
            "bench",
            "--role",
            "operator",
            "--data-dir",
        ])
        .arg(data)
        .output()?;
    ensure!(out.status.success(), "token create failed");
    let server = Server {
        child,
        port,
        token: String::from_utf8(out.stdout)?.trim().to_string(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        ensure!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server)
}

/// One HTTP/1.1 request on a new connection: the status and body.
async fn request(port: u16, head: &str, body: &[u8]) -> Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").context("no HTTP answer")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .context("no status")?
        .parse()?;
    Ok((status, body.to_string()))
}

fn push_body(n: usize) -> Vec<u8> {
    let sha = format!("{n:040x}");
    serde_json::json!({
        "ref": "refs/heads/not-followed",
        "before": "0".repeat(40),
        "after": sha,
        "repository": {"full_name": "bench/repo", "name": "repo",
                        "clone_url": "file:///nonexistent", "default_branch": "main"},
        "head_commit": {"id": sha},
        "commits": [],
    })
    .to_string()
    .into_bytes()
}

async fn deliver(port: u16, n: usize) -> Result<()> {
    let body = push_body(n);
    let sig = seamless_server::webhooks::sign(SECRET.as_bytes(), &body)?;
    let head = format!(
        "POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: bench-{n}\r\n\
         X-Hub-Signature-256: {sig}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (status, answer) = request(port, &head, &body).await?;
    ensure!(status == 202, "delivery {n}: {status} {answer}");
    Ok(())
}

async fn webhooks(port: u16) -> Result<f64> {
    // Warm-up.
    for n in 0..50 {
        deliver(port, 1_000_000 + n).await?;
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for s in 0..SENDERS {
        tasks.spawn(async move {
            for n in (s..DELIVERIES).step_by(SENDERS) {
                deliver(port, n).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(DELIVERIES as f64 / started.elapsed().as_secs_f64())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Follows every status change; records now − `at` of each until `stop`.
async fn subscribe(port: u16, token: String, stop: Arc<AtomicBool>) -> Result<Vec<Duration>> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    let head = format!(
        "GET /api/v1/events?no_logs=true HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await?;
    let mut samples = Vec::new();
    let mut text = String::new();
    let mut buf = vec![0u8; 16384];
    while !stop.load(Ordering::Relaxed) {
        let n = match tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await {
            Ok(read) => read?,
            Err(_) => continue,
        };
        if n == 0 {
            bail!("the event stream closed");
        }
        let received = now_ms();
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        while let Some(i) = text.find("\n\n") {
            let block: String = text.drain(..i + 2).collect();
            if let Some(at) = block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .and_then(|v| v["at"].as_i64())
            {
                samples.push(Duration::from_millis((received - at).max(0) as u64));
            }
        }
    }
    Ok(samples)
}

async fn trigger_and_wait(port: u16, token: &str) -> Result<()> {
    let head = format!(
        "POST /api/v1/pipelines/bench/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n"
    );
    let (status, body) = request(port, &head, b"{}").await?;
    ensure!(status == 202, "trigger: {status} {body}");
    let run: serde_json::Value = serde_json::from_str(&body)?;
    let id = run["run_id"].as_str().context("no run id")?.to_string();
    loop {
        let head = format!(
            "GET /api/v1/runs/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Authorization: Bearer {token}\r\n\r\n"
        );
        let (_, body) = request(port, &head, b"").await?;
        let detail: serde_json::Value = serde_json::from_str(&body)?;
        match detail["run"]["status"].as_str() {
            Some("success") => return Ok(()),
            Some("in-progress") => tokio::time::sleep(Duration::from_millis(50)).await,
            other => bail!("run {id} ended {other:?}"),
        }
    }
}

/// Runs the server benchmarks.
pub async fn run() -> Result<()> {
    let repo = tempfile::tempdir()?;
    let data = tempfile::tempdir()?;
    let server = start(repo.path(), data.path())?;
    let (port, pid) = (server.port, server.child.id());
    // One run so that plugins are compiled and cached before anything is measured.
    trigger_and_wait(port, &server.token).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = rss_kib(pid);

    let per_second = webhooks(port).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let mut subscribers = tokio::task::JoinSet::new();
    for _ in 0..SUBSCRIBERS {
        subscribers.spawn(subscribe(port, server.token.clone(), stop.clone()));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for _ in 0..RUNS {
        trigger_and_wait(port, &server.token).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let with_subscribers = rss_kib(pid);
    stop.store(true, Ordering::Relaxed);
    let mut samples = Vec::new();
    while let Some(done) = subscribers.join_next().await {
        samples.extend(done??);
    }
    println!(
        "server: {DELIVERIES} signed webhook deliveries from {SENDERS} senders: {per_second:.0} per second"
    );
    println!(
        "server: stage transition -> subscriber, {SUBSCRIBERS} subscribers, {} samples: p50 {}, p99 {}",
        samples.len(),
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 99.0))
    );
    println!(
        "server: RSS idle {:.1} MiB, with {SUBSCRIBERS} subscribers {:.1} MiB",
        idle as f64 / 1024.0,
        with_subscribers as f64 / 1024.0
    );
    Ok(())
}
