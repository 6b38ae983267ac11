//! `ecs`: the ECS host's client-side cost per stage, against moto: the AWS requests a
//! stage task costs (by action), how often waiting asks `DescribeTasks` while many
//! tasks run at once, and the runtime's CPU time per stage. moto answers at once, so
//! this measures Seamless, not Fargate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use seamless_host_api::{ContainerHost, ContainerSpec, LABEL_RUN, LABEL_STAGE};
use seamless_host_ecs::call::sent;
use seamless_host_ecs::{EcsHost, Endpoint, HostMemory, MemoryCache, Timing};
use seamless_test_support::moto::{Moto, REGION};

/// Stage tasks started at once.
const STAGES: usize = 40;
/// How long they run (moto holds them) while polling is counted.
const RUNNING: Duration = Duration::from_secs(10);

pub async fn run() -> Result<()> {
    let moto = Moto::acquire();
    let account = moto.set_up_ecs();
    moto.keep_tasks_running();
    let options = seamless_core::config::ecs::EcsOptions {
        region: REGION.into(),
        cluster: account.cluster.clone(),
        subnets: vec![account.subnet.clone()],
        security_groups: vec![account.security_group.clone()],
        assign_public_ip: false,
        execution_role: "arn:aws:iam::123456789012:role/seamless-execution".into(),
        task_role: None,
        log_group: account.log_group.clone(),
        file_system: account.file_system.clone(),
        cpu: 512,
        memory_mib: 1024,
        repository_prefix: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/seamless".into(),
        builder_image: "gcr.io/kaniko-project/executor:v1.23.2".into(),
    };
    let endpoint = Endpoint {
        url: moto.endpoint.clone(),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
    };
    let memory: Arc<dyn HostMemory> = Arc::new(MemoryCache::default());
    let host = Arc::new(
        EcsHost::connect(options, memory, Some(&endpoint), Timing::default())
            .await
            .context("the ECS host cannot reach moto")?,
    );
    let before = sent();
    let cpu_before = cpu_time();
    let started = Instant::now();
    let mut handles = Vec::new();
    for i in 0..STAGES {
        let spec = ContainerSpec {
            image: "seamless/busybox:latest".into(),
            command: vec!["true".into()],
            labels: [
                (LABEL_RUN.to_owned(), "bench-run".to_owned()),
                (LABEL_STAGE.to_owned(), format!("stage-{i}")),
            ]
            .into(),
            ..Default::default()
        };
        let sink: seamless_host_api::LogSink = Arc::new(|_, _| {});
        handles.push(host.run(spec, sink).await?);
    }
    let waits: Vec<_> = handles
        .iter()
        .cloned()
        .map(|h| {
            let host = host.clone();
            tokio::spawn(async move { host.wait(&h).await })
        })
        .collect();
    tokio::time::sleep(RUNNING).await;
    let polls_running = host.task_polls();
    let polled_for = started.elapsed();
    moto.stop_tasks_at_once();
    for wait in waits {
        wait.await??;
    }
    let wall = started.elapsed();
    let cpu = cpu_time().saturating_sub(cpu_before);
    let after = sent();
    println!("ecs: {STAGES} stage tasks of one shape, started at once, held {RUNNING:?} by moto");
    println!("| measure | figure |");
    println!("| --- | --- |");
    for ((action, b), (_, a)) in before.iter().zip(after.iter()) {
        if a > b {
            println!(
                "| {action} requests, total / per stage | {} / {:.2} |",
                a - b,
                (a - b) as f64 / STAGES as f64
            );
        }
    }
    println!(
        "| DescribeTasks while {STAGES} tasks ran, per second | {:.2} |",
        polls_running as f64 / polled_for.as_secs_f64()
    );
    println!(
        "| runtime CPU per stage (start, poll, log reads, wait) | {:.2} ms |",
        cpu.as_secs_f64() * 1000.0 / STAGES as f64
    );
    println!(
        "| wall, all {STAGES} stages | {:.1} s |",
        wall.as_secs_f64()
    );
    Ok(())
}

/// User and system CPU time of this process, every thread (`/proc/self/stat`, in
/// clock ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses); utime and stime are
    // the 14th and 15th of the line.
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}
