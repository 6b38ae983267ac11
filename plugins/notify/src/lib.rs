//! The built-in `notify` stage: tells people and systems that a run started,
//! succeeded or failed, by posting to a Slack-compatible webhook (`{"text": ...}`)
//! and/or a generic webhook (a JSON object of facts) over `wasi:http`.
//!
//! `[stage.with]`: `slack-url`, `webhook-url` (at least one), `on =
//! "start,success,failure"` (the default; `cancelled` may be added). Inputs:
//! `run.event`, `run.status`. The stage needs the grant `http(host)` for each URL's
//! host.

mod message;

use std::time::Duration;

use message::RunEvent;
use seamless_sdk::{Capability, Context, Manifest, Outcome, Stage, StageError, log, run_info};
use serde_json::Value;
use wstd::http::{Client, Request};

/// How long to wait for a webhook to connect, and then to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The `notify` stage plugin.
struct Notify;

impl Stage for Notify {
    fn describe() -> Manifest {
        Manifest::new(
            "notify",
            env!("CARGO_PKG_VERSION"),
            "posts the run's status to Slack-compatible and generic webhooks",
        )
        // Manifests are static; `*` asks for any host, and the stage's grant
        // (`http = ["hooks.slack.com"]`) decides which ones it gets.
        .capability(Capability::http("*"))
    }

    fn run(ctx: Context) -> Result<Outcome, StageError> {
        let slack = url(&ctx, "slack-url")?;
        let webhook = url(&ctx, "webhook-url")?;
        if slack.is_none() && webhook.is_none() {
            // The default pipeline has this stage; without a target it sends nothing.
            return Ok(Outcome::new(
                "no notification target; set `slack-url` or `webhook-url` under [stage.with] to send one",
            ));
        }
        let on = message::parse_on(ctx.config("on")).map_err(StageError::invalid_config)?;
        let run = RunEvent::from_context(&ctx)?;
        if !on.contains(&run.event) {
            return Ok(Outcome::new(format!("nothing to send for {}", run.event)));
        }
        let info = run_info::current();
        let targets = [
            (slack, "Slack", message::slack_payload(&info, &run)),
            (webhook, "webhook", message::webhook_payload(&info, &run)),
        ];
        let mut sent = Vec::new();
        let mut failures = Vec::new();
        // Try every target, so one that is down does not silence the others.
        for (url, name, payload) in targets {
            let Some(url) = url else { continue };
            match post(url, &payload) {
                Ok(()) => sent.push(name),
                Err(why) => failures.push(why),
            }
        }
        if !failures.is_empty() {
            return Err(StageError::failed(failures.join("; ")));
        }
        Ok(Outcome::new(format!(
            "sent {} to {}",
            run.event,
            sent.join(" and ")
        )))
    }
}

/// A configured URL, checked to be `http(s)`.
fn url<'a>(ctx: &'a Context, key: &str) -> Result<Option<&'a str>, StageError> {
    match ctx.config(key).map(str::trim) {
        None | Some("") => Ok(None),
        Some(url) => {
            message::origin(url)
                .map_err(|e| StageError::invalid_config(format!("`{key}`: {e}")))?;
            Ok(Some(url))
        }
    }
}

/// Posts `payload` as JSON; on failure, says so naming the URL's origin (never its
/// path, which may hold a token) and the status or error.
fn post(url: &str, payload: &Value) -> Result<(), String> {
    let origin = message::origin(url).unwrap_or(url);
    let fail = |why: String| format!("notifying {origin} failed: {why}");
    let body = payload.to_string();
    // A fixed body with its length: simple receivers read Content-Length, not chunks.
    let request = Request::post(url)
        .header("content-type", "application/json")
        .header("content-length", body.len().to_string())
        .body(body)
        .map_err(|e| fail(e.to_string()))?;
    let mut client = Client::new();
    client.set_connect_timeout(TIMEOUT);
    client.set_first_byte_timeout(TIMEOUT);
    let response =
        wstd::runtime::block_on(client.send(request)).map_err(|e| fail(format!("{e:#}")))?;
    let status = response.status();
    if !status.is_success() {
        return Err(fail(format!("HTTP {}", status.as_u16())));
    }
    log::info(&format!("{origin} answered HTTP {}", status.as_u16()));
    Ok(())
}

seamless_sdk::export_stage!(Notify);
