//! `seamless logs RUN [-f]`: a run's log lines, from the local store or a server; with
//! `-f`, new lines as they come until the run ends (the exit code then tells how it
//! ended). With `--output json` each line is a JSON object on a line of its own: the
//! API's [`LogLineView`](seamless_client::views::LogLineView) (following a server, the server's `log` event as it comes).

use crate::args::LogsArgs;
use crate::data_dir;
use crate::output;
use crate::remote::events::Events;
use crate::remote::{Remote, client_escape as escape};
use anyhow::{Result, bail};
use seamless_server::api::views;
use seamless_store::{LogQuery, Store};
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Which lines to show, and how.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    /// Only this service's.
    pub service: Option<String>,
    /// Only this stage's.
    pub stage: Option<String>,
    /// Print JSON objects instead of text lines.
    pub json: bool,
}

impl LineFilter {
    fn keeps(&self, service: &str, stage: &str) -> bool {
        self.service.as_deref().is_none_or(|s| s == service)
            && self.stage.as_deref().is_none_or(|s| s == stage)
    }
}

fn print_line(service: &str, stage: &str, line: &str) {
    if service.is_empty() {
        println!("{stage} | {line}");
    } else {
        println!("{service}/{stage} | {line}");
    }
}

/// Prints (and follows) a run's log.
pub async fn logs(
    args: LogsArgs,
    remote: Option<Remote>,
    data_dir: Option<PathBuf>,
) -> Result<ExitCode> {
    let filter = LineFilter {
        service: args.service.clone(),
        stage: args.stage.clone(),
        json: args.output.is_json(),
    };
    match remote {
        Some(remote) if args.follow => follow_remote(&remote, &args.run, &filter).await,
        Some(remote) => print_remote(&remote, &args.run, &filter).await,
        None => local(&args, &filter, data_dir).await,
    }
}

async fn print_remote(remote: &Remote, run: &str, filter: &LineFilter) -> Result<ExitCode> {
    let mut after = 0i64;
    loop {
        let mut path = format!("/api/v1/runs/{}/logs?limit=5000&after={after}", escape(run));
        if let Some(s) = &filter.service {
            path.push_str(&format!("&service={}", escape(s)));
        }
        if let Some(s) = &filter.stage {
            path.push_str(&format!("&stage={}", escape(s)));
        }
        let page: Value = remote.get(&path).await?;
        for l in page["lines"].as_array().into_iter().flatten() {
            if filter.json {
                // A `LogLineView` as the server wrote it.
                output::json(l)?;
                continue;
            }
            print_line(
                str_of(&l["service"]),
                str_of(&l["stage"]),
                str_of(&l["line"]),
            );
        }
        after = page["after"].as_i64().unwrap_or(after);
        if page["more"] != Value::Bool(true) {
            if page["pruned_at"].is_i64() {
                eprintln!(
                    "seamless: this run's older log lines were deleted by the server's log retention"
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
    }
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// Follows a run on a server (its whole log first) until it ends; exits 0 if it
/// succeeded.
pub async fn follow_remote(remote: &Remote, run: &str, filter: &LineFilter) -> Result<ExitCode> {
    let mut path = format!("/api/v1/runs/{}/logs?follow=true", escape(run));
    for (key, value) in [("service", &filter.service), ("stage", &filter.stage)] {
        if let Some(v) = value {
            path.push_str(&format!("&{key}={}", escape(v)));
        }
    }
    let stream = remote.stream(&path).await?;
    let mut events = Events::new(stream);
    while let Some(event) = events.next().await? {
        let d = &event.data;
        match event.name.as_str() {
            "log" if filter.keeps(str_of(&d["service"]), str_of(&d["stage"])) => {
                if filter.json {
                    output::json(d)?;
                    continue;
                }
                print_line(
                    str_of(&d["service"]),
                    str_of(&d["stage"]),
                    str_of(&d["line"]),
                );
            }
            "run" => {
                let status = str_of(&d["status"]);
                if matches!(status, "success" | "failure" | "cancelled") {
                    eprintln!("seamless: run {run} ended: {status}");
                    return Ok(if status == "success" {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    });
                }
                if status == "awaiting-approval" {
                    eprintln!("seamless: run {run} waits for approval (`seamless approve {run}`)");
                }
            }
            _ => {}
        }
    }
    bail!("the server closed the event stream before run {run} ended")
}

async fn local(
    args: &LogsArgs,
    filter: &LineFilter,
    data_dir: Option<PathBuf>,
) -> Result<ExitCode> {
    let store = Store::open(&data_dir::resolve(data_dir)?)?;
    let Some(mut run) = store.run(&args.run)? else {
        bail!(
            "there is no run '{}'; list runs with `seamless runs`",
            args.run
        );
    };
    let mut after = 0;
    loop {
        let lines = store.log_entries(&LogQuery {
            run_id: Some(args.run.clone()),
            service: filter.service.clone(),
            stage: filter.stage.clone(),
            after,
            limit: 5000,
        })?;
        after = lines.last().map_or(after, |l| l.id);
        let full = lines.len() == 5000;
        for l in lines {
            if filter.json {
                output::json(&views::log_line(l))?;
            } else {
                print_line(&l.service, &l.stage, &l.line);
            }
        }
        if full {
            continue;
        }
        if !args.follow || run.status.is_terminal() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Read the status before the next lines, so the last lines are never missed.
        run = store.run(&args.run)?.unwrap_or(run);
    }
    if args.follow {
        eprintln!("seamless: run {} ended: {}", run.id, run.status);
        return Ok(if run.status.as_str() == "success" {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    Ok(ExitCode::SUCCESS)
}
