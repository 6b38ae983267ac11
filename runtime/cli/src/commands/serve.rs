//! `seamless serve`: wires the command line to `seamless_server`.

use super::EXIT_INVALID;
use super::serve_login::secret_from;
use super::session::Session;
use crate::args::{HostChoice, ServeArgs};
use crate::host_select;
use anyhow::{Context, Result};
use async_trait::async_trait;
use seamless_core::config::ecs::EcsSettings;
use seamless_host_api::ContainerHost;
use seamless_server::github::{GitHubClient, Token};
use seamless_server::webhooks::WebhookConfig;
use seamless_server::{
    DEFAULT_QUEUE_CAPACITY, HostResolver, Pipeline, Runtime, ServeOptions, serve as run_server,
    shutdown_signal,
};
use seamless_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Validates the pipeline, reads the webhook secret (and the GitHub token, if one is
/// named), and serves until SIGTERM or Ctrl-C (exit 0). Exit 2 when seamless.toml is
/// invalid, no secret is given, or the GitHub settings are unusable.
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
    let settings = secret(&args)
        .and_then(|s| WebhookConfig::new(s).map_err(|e| e.to_string()))
        .and_then(|webhook| {
            let public_url = public_url(&args)?;
            let login = super::serve_login::login(&args, public_url.as_deref())?;
            Ok((webhook, github(&args)?, public_url, login))
        });
    let (webhook, github, public_url, login) = match settings {
        Ok(settings) => settings,
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
            store: session.store.clone(),
        }),
    };
    let options = ServeOptions {
        listen: args.listen,
        webhook,
        max_parallel: usize::from(args.parallel),
        max_runs: usize::from(args.max_runs),
        queue_capacity: DEFAULT_QUEUE_CAPACITY,
        log_retention: args.log_retention.0,
        github,
        public_url,
        login,
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
    secret_from(
        args.webhook_secret_env.as_ref(),
        args.webhook_secret_file.as_ref(),
        "webhook-secret",
    )?
    .ok_or_else(|| format!("a webhook secret is required: {HOW}"))
}

/// The GitHub client, when `--github-token-env` or `--github-token-file` names a token.
/// The token stays in this process: stages see it only if seamless.toml declares it as
/// a secret and grants it.
fn github(args: &ServeArgs) -> Result<Option<GitHubClient>, String> {
    let Some(token) = secret_from(
        args.github_token_env.as_ref(),
        args.github_token_file.as_ref(),
        "github-token",
    )?
    else {
        return Ok(None);
    };
    GitHubClient::new(&args.github_api, Token::new(&token))
        .map(Some)
        .map_err(|e| format!("{e} (--github-api, --github-token-env/--github-token-file)"))
}

/// `--public-url`, checked and without a trailing `/`.
fn public_url(args: &ServeArgs) -> Result<Option<String>, String> {
    let Some(url) = &args.public_url else {
        return Ok(None);
    };
    let valid = ["http://", "https://"].iter().any(|scheme| {
        url.strip_prefix(scheme)
            .is_some_and(|rest| !rest.is_empty())
    }) && !url.contains(char::is_whitespace);
    if !valid {
        return Err(format!(
            "invalid --public-url '{url}'; give the server's URL as GitHub users reach it, \
             like https://ci.example.com"
        ));
    }
    Ok(Some(url.trim_end_matches('/').to_string()))
}

/// Resumed runs go back to the host they started on.
struct Hosts {
    default: Arc<dyn ContainerHost>,
    store: Arc<Store>,
}

#[async_trait]
impl HostResolver for Hosts {
    async fn host(&self, name: &str) -> Result<Arc<dyn ContainerHost>, String> {
        if name == self.default.name() {
            return Ok(self.default.clone());
        }
        let choice = HostChoice::from_name(name).ok_or_else(|| format!("unknown host '{name}'"))?;
        host_select::select(Some(choice), &EcsSettings::default(), &self.store)
            .await
            .map_err(|e| format!("{e:#}"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;

    fn args(extra: &[&str]) -> ServeArgs {
        let argv = ["seamless", "serve", "--webhook-secret-env", "S"];
        match Cli::parse_from(argv.iter().chain(extra)).command {
            Command::Serve(args) => *args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn without_a_token_no_client_is_made() {
        assert!(github(&args(&[])).unwrap().is_none());
        let unset = github(&args(&["--github-token-env", "SEAMLESS_UNSET_TOKEN_VAR"]));
        let message = unset.unwrap_err();
        assert!(message.contains("SEAMLESS_UNSET_TOKEN_VAR"), "{message}");
    }

    #[test]
    fn the_token_file_and_api_url_make_the_client() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "ghp_from_file\n").unwrap();
        let file = file.to_str().unwrap();
        let client = github(&args(&["--github-token-file", file]))
            .unwrap()
            .unwrap();
        assert_eq!(client.api_url(), "https://api.github.com");
        let local = [
            "--github-token-file",
            file,
            "--github-api",
            "http://127.0.0.1:9/",
        ];
        let client = github(&args(&local)).unwrap().unwrap();
        assert_eq!(client.api_url(), "http://127.0.0.1:9");
        let bad = [
            "--github-token-file",
            file,
            "--github-api",
            "api.example.com",
        ];
        let message = github(&args(&bad)).unwrap_err();
        assert!(message.contains("--github-api"), "{message}");
        assert!(!message.contains("ghp_from_file"), "{message}");
    }

    #[test]
    fn the_public_url_needs_a_scheme_and_loses_its_trailing_slash() {
        let url = public_url(&args(&["--public-url", "https://ci.example.com/"]));
        assert_eq!(url.unwrap().as_deref(), Some("https://ci.example.com"));
        assert!(public_url(&args(&["--public-url", "ci.example.com"])).is_err());
        assert_eq!(public_url(&args(&[])).unwrap(), None);
    }
}
