//! `seamless show RUN`: one run, from the local store or a server, with its stage
//! instances in plan order (status, duration, attempts, test counts, the reason of a
//! failure) and the approval. Its JSON is the API's [`RunDetail`].

use crate::args::ShowArgs;
use crate::data_dir;
use crate::output::{self, time};
use crate::remote::{Remote, client_escape as escape};
use anyhow::{Context, Result, bail};
use seamless_client::views::RunDetail;
use seamless_server::api::views;
use seamless_store::Store;
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;

/// Prints the run.
pub async fn show(
    args: &ShowArgs,
    remote: Option<Remote>,
    data_dir: Option<PathBuf>,
) -> Result<ExitCode> {
    // One shape for both sources: the JSON of a `RunDetail`.
    let detail: Value = match remote {
        Some(remote) => {
            remote
                .get(&format!("/api/v1/runs/{}", escape(&args.run)))
                .await?
        }
        None => serde_json::to_value(local(&args.run, data_dir)?)
            .context("cannot turn the run into JSON")?,
    };
    if args.output.is_json() {
        output::json(&detail)?;
    } else {
        print!("{}", render(&detail));
    }
    Ok(ExitCode::SUCCESS)
}

/// The run's detail from the local store, as the API builds it.
fn local(run: &str, data_dir: Option<PathBuf>) -> Result<RunDetail> {
    let store = Store::open(&data_dir::resolve(data_dir)?)?;
    let Some(record) = store.run(run)? else {
        bail!("there is no run '{run}'; list runs with `seamless runs`");
    };
    Ok(RunDetail {
        run: views::run(&record),
        stages: store.stages(run)?.iter().map(views::stage).collect(),
        approval: store.approval(run)?.map(views::approval),
        logs_pruned_at: store.logs_pruned_at(run)?,
    })
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("-")
}

/// Milliseconds as seconds with one decimal, such as `12.3s`.
fn seconds(ms: Option<i64>) -> String {
    ms.map_or_else(|| "-".into(), |ms| format!("{:.1}s", ms as f64 / 1000.0))
}

/// The text of `seamless show`.
fn render(detail: &Value) -> String {
    let run = &detail["run"];
    let mut out = format!(
        "run {}  {}\n  pipeline {}, trigger {}, commit {}, branch {}, host {}\n  started {}, took {}\n",
        text(run, "id"),
        text(run, "status"),
        text(run, "pipeline"),
        text(run, "trigger"),
        text(run, "commit"),
        text(run, "branch"),
        text(run, "host"),
        time(run["created_at"].as_i64().unwrap_or(0)),
        seconds(run["duration_ms"].as_i64()),
    );
    out.push_str(&format!(
        "\n{:<36}  {:<17}  {:>8}  {:>8}  tests\n",
        "stage", "status", "time", "attempts"
    ));
    for stage in detail["stages"].as_array().into_iter().flatten() {
        let service = text(stage, "service");
        let name = if service.is_empty() || service == "-" {
            text(stage, "stage").to_string()
        } else {
            format!("{service}/{}", text(stage, "stage"))
        };
        let tests = &stage["tests"];
        let tests = if tests.is_object() {
            format!(
                "{} passed, {} failed, {} skipped",
                tests["passed"], tests["failed"], tests["skipped"]
            )
        } else {
            "-".into()
        };
        out.push_str(&format!(
            "{name:<36}  {:<17}  {:>8}  {:>8}  {tests}\n",
            text(stage, "status"),
            seconds(stage["duration_ms"].as_i64()),
            stage["attempts"].as_u64().unwrap_or(0),
        ));
        if let Some(error) = stage["error"].as_str() {
            out.push_str(&format!("    why: {error}\n"));
        }
    }
    let approval = &detail["approval"];
    if approval.is_object() {
        let verdict = if approval["approved"] == Value::Bool(true) {
            "approved"
        } else {
            "rejected"
        };
        out.push_str(&format!(
            "\napproval: {verdict} by {} at {}{}\n",
            text(approval, "decided_by"),
            time(approval["at"].as_i64().unwrap_or(0)),
            approval["reason"]
                .as_str()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    } else {
        out.push_str("\napproval: none\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;
    use serde_json::json;

    #[test]
    fn a_run_shows_each_stage_with_its_numbers_and_the_approval() {
        let detail = json!({
            "run": {"id": "r1", "pipeline": "p", "trigger": "manual", "status": "failure",
                    "commit": "abc", "branch": null, "created_at": 0, "finished_at": 1500,
                    "duration_ms": 1500, "host": "local"},
            "stages": [
                {"service": "", "stage": "prepare", "status": "success", "duration_ms": 200,
                 "attempts": 1, "tests": null, "error": null},
                {"service": "web", "stage": "unit-test", "status": "failure",
                 "duration_ms": 1260, "attempts": 2,
                 "tests": {"passed": 3, "failed": 1, "skipped": 0}, "error": "1 test failed"}
            ],
            "approval": {"approved": false, "reason": "not today", "decided_by": "ann", "at": 0},
            "logs_pruned_at": null
        });
        let text = render(&detail);
        assert!(text.contains("run r1  failure"), "{text}");
        assert!(text.contains("prepare"), "{text}");
        let unit = text
            .lines()
            .find(|l| l.starts_with("web/unit-test"))
            .unwrap_or_default();
        assert!(unit.contains("failure") && unit.contains("1.3s"), "{unit}");
        assert!(unit.contains("3 passed, 1 failed, 0 skipped"), "{unit}");
        assert!(text.contains("    why: 1 test failed"), "{text}");
        assert!(
            text.contains("approval: rejected by ann at 1970-01-01T00:00:00Z (not today)"),
            "{text}"
        );
    }
}
