//! What to send, and whether to: the run's event, the `on` filter, and the two
//! payloads (Slack-compatible and generic JSON). Pure, so it is unit-tested.

use seamless_sdk::run_info::{Info, short_sha};
use seamless_sdk::{Context, StageError};
use serde_json::{Value, json};

/// The run events a notification is sent for by default.
pub const EVENTS: [&str; 3] = ["start", "success", "failure"];

/// Every run event `on` may name: the defaults, and `cancelled`.
pub const KNOWN_EVENTS: [&str; 4] = ["start", "success", "failure", "cancelled"];

/// The run's event and status, from the inputs `run.event` and `run.status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEvent {
    /// `start`, `success`, `failure` or `cancelled`.
    pub event: String,
    /// `success`, `failure`, `cancelled`, or `in-progress` at the start.
    pub status: String,
}

impl RunEvent {
    /// Reads `run.event` (else `run.status`) and `run.status` from the inputs.
    pub fn from_context(ctx: &Context) -> Result<Self, StageError> {
        let status = ctx.input("run.status").map(str::to_owned);
        let event = ctx
            .input("run.event")
            .map(str::to_owned)
            .or_else(|| status.clone())
            .ok_or_else(|| {
                StageError::invalid_config(format!(
                    "stage `{}` has no `run.event` input; notify stages run when a run starts or ends",
                    ctx.stage
                ))
            })?;
        let status = status.unwrap_or_else(|| match event.as_str() {
            "start" => "in-progress".to_owned(),
            other => other.to_owned(),
        });
        Ok(Self { event, status })
    }
}

/// Parses `on = "start,success,failure"` (the default when unset).
pub fn parse_on(raw: Option<&str>) -> Result<Vec<String>, String> {
    let Some(raw) = raw else {
        return Ok(EVENTS.iter().map(|e| (*e).to_owned()).collect());
    };
    let events: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(bad) = events.iter().find(|e| !KNOWN_EVENTS.contains(&e.as_str())) {
        return Err(format!(
            "`on` under [stage.with] names `{bad}`; use a comma-separated list of {}",
            KNOWN_EVENTS.join(", ")
        ));
    }
    Ok(events)
}

/// One line for people: `shop: run r-1 succeeded (push on main, commit 3f2a9c0d1e2f, service gateway)`.
pub fn text(info: &Info, run: &RunEvent) -> String {
    let what = match (run.event.as_str(), run.status.as_str()) {
        ("start", _) => "started".to_owned(),
        (_, "success") => "succeeded".to_owned(),
        (_, "failure") => "failed".to_owned(),
        (_, "cancelled") => "was cancelled".to_owned(),
        (_, other) => format!("ended: {other}"),
    };
    let mut facts = vec![match &info.branch {
        Some(branch) => format!("{} on {branch}", info.trigger),
        None => info.trigger.to_string(),
    }];
    facts.push(format!("commit {}", short_sha(&info.commit_sha)));
    if !info.service.name.is_empty() {
        facts.push(format!("service {}", info.service.name));
    }
    format!(
        "{}: run {} {what} ({})",
        info.pipeline,
        info.run_id,
        facts.join(", ")
    )
}

/// The Slack-compatible payload: `{"text": ...}`.
pub fn slack_payload(info: &Info, run: &RunEvent) -> Value {
    json!({ "text": text(info, run) })
}

/// The generic payload, one field per fact.
pub fn webhook_payload(info: &Info, run: &RunEvent) -> Value {
    let service = (!info.service.name.is_empty()).then_some(info.service.name.as_str());
    json!({
        "event": run.event,
        "status": run.status,
        "pipeline": info.pipeline,
        "run_id": info.run_id,
        "trigger": info.trigger.as_str(),
        "branch": info.branch,
        "commit_sha": info.commit_sha,
        "service": service,
    })
}

/// The `scheme://host[:port]` part of a URL, for messages (never the path, which may
/// hold a token), or an error when it is not an `http(s)` URL.
pub fn origin(url: &str) -> Result<&str, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{url}` is not an http:// or https:// URL"))?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if host_end == 0 {
        return Err(format!("`{url}` names no host"));
    }
    Ok(&url[..url.len() - rest.len() + host_end])
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
