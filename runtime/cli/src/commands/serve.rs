//! `seamless serve`: wires the command line to `seamless_server`.

use super::EXIT_INVALID;
use super::session::Session;
use crate::args::{HostChoice, ServeArgs};
use crate::host_select;
use anyhow::{Context, Result};
use async_trait::async_trait;
use seamless_host_api::ContainerHost;
use seamless_server::webhooks::WebhookConfig;
use seamless_server::{
    DEFAULT_QUEUE_CAPACITY, HostResolver, Pipeline, Runtime, ServeOptions, serve as run_server,
    shutdown_signal,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Validates the pipeline, reads the webhook secret, and serves until SIGTERM or
/// Ctrl-C (exit 0). Exit 2 when seamless.toml is invalid or no secret is given.
pub async fn serve(args: ServeArgs, data_dir: Option<PathBuf>) -> Result<ExitCode> {
    let config = match seamless_core::config::load(&args.path) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!(
                "the server did not start: fix seamless.toml (check it with `seamless validate`)"
            );
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let config_text = std::fs::read_to_string(&config.file)
        .with_context(|| format!("cannot read '{}'", config.file.display()))?;
    let webhook = match secret(&args).and_then(|s| WebhookConfig::new(s).map_err(|e| e.to_string()))
    {
        Ok(w) => w,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let session = Session::open(data_dir, args.host).await?;
    let runtime = Runtime {
        data_dir: session.data_dir.clone(),
        store: session.store.clone(),
        engine: session.engine(),
        host: session.host.clone(),
        hosts: Arc::new(Hosts {
            default: session.host.clone(),
        }),
    };
    let options = ServeOptions {
        listen: args.listen,
        webhook,
        max_parallel: usize::from(args.parallel),
        max_runs: usize::from(args.max_runs),
        queue_capacity: DEFAULT_QUEUE_CAPACITY,
        log_retention: args.log_retention.0,
    };
    let pipeline = Pipeline::new(config, config_text);
    run_server(runtime, pipeline, options, shutdown_signal())
        .await
        .with_context(|| format!("cannot serve on {}", args.listen))?;
    Ok(ExitCode::SUCCESS)
}

/// The webhook secret, from `--webhook-secret-env` or `--webhook-secret-file`.
fn secret(args: &ServeArgs) -> Result<String, String> {
    const HOW: &str = "give --webhook-secret-env VAR or --webhook-secret-file FILE \
                       (the secret set on the GitHub webhook; unsigned deliveries are refused)";
    let secret = match (&args.webhook_secret_env, &args.webhook_secret_file) {
        (Some(var), _) => std::env::var(var).map_err(|_| {
            format!("the environment variable {var} (--webhook-secret-env) is not set")
        })?,
        (None, Some(file)) => std::fs::read_to_string(file)
            .map_err(|e| {
                format!(
                    "cannot read the webhook secret file '{}': {e}",
                    file.display()
                )
            })?
            .trim_end_matches(['\r', '\n'])
            .to_string(),
        (None, None) => return Err(format!("a webhook secret is required: {HOW}")),
    };
    if secret.is_empty() {
        return Err(format!("the webhook secret is empty: {HOW}"));
    }
    Ok(secret)
}

/// Resumed runs go back to the host they started on.
struct Hosts {
    default: Arc<dyn ContainerHost>,
}

#[async_trait]
impl HostResolver for Hosts {
    async fn host(&self, name: &str) -> Result<Arc<dyn ContainerHost>, String> {
        if name == self.default.name() {
            return Ok(self.default.clone());
        }
        let choice = match name {
            "docker" => HostChoice::Docker,
            "local" => HostChoice::Local,
            other => return Err(format!("unknown host '{other}'")),
        };
        host_select::select(Some(choice))
            .await
            .map_err(|e| format!("{e:#}"))
    }
}
