//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Seamless runs one shared CI/CD pipeline for many containerized services. Every
/// stage is a sandboxed WebAssembly plugin.
#[derive(Debug, Parser)]
#[command(name = "seamless", version, about, long_about = None)]
pub struct Cli {
    /// Where runs, logs and the compiled-plugin cache are kept
    /// [default: $XDG_DATA_HOME/seamless, or ~/.local/share/seamless]
    #[arg(long, global = true, env = "SEAMLESS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// A `seamless serve` to talk to instead of the local data directory (for runs,
    /// show, logs, approve, reject, rollback and trigger) [default: `server` in
    /// $XDG_CONFIG_HOME/seamless/cli.toml]
    #[arg(long, global = true, env = "SEAMLESS_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// The API token for --server (from `seamless token create`) [default: `token` in
    /// $XDG_CONFIG_HOME/seamless/cli.toml]
    #[arg(
        long,
        global = true,
        env = "SEAMLESS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the pipeline on this machine, now, for the checked-out commit.
    Run(RunArgs),
    /// Check seamless.toml and report every problem with file:line:col.
    Validate(ValidateArgs),
    /// Write a starting seamless.toml for a repository.
    Init(InitArgs),
    /// Continue runs whose process died (all of them, or the ones named).
    Resume(ResumeArgs),
    /// Approve a run that waits for approval; it then deploys to production.
    Approve(DecideArgs),
    /// Reject a run that waits for approval; it then fails.
    Reject(RejectArgs),
    /// Cancel a run and remove its containers and networks.
    Cancel(CancelArgs),
    /// List runs, newest first.
    Runs(RunsArgs),
    /// Show a run: its stages with statuses, durations, attempts, test counts, and the
    /// approval.
    Show(ShowArgs),
    /// List the deploy revisions of a service.
    Deployments(DeploymentsArgs),
    /// Redeploy an earlier healthy revision of a service, health-checked.
    Rollback(RollbackArgs),
    /// Serve GitHub webhooks for one pipeline: pushes and pull requests start runs.
    Serve(Box<ServeArgs>),
    /// Print a run's log lines; with -f, follow them until the run ends.
    Logs(LogsArgs),
    /// Start a run on a server (`--server`), at a branch or commit of its checkout.
    Trigger(TriggerArgs),
    /// Create, list and revoke the API tokens of `seamless serve`.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Make, publish, install, pin and verify stage plugin bundles (OCI artifacts).
    #[command(subcommand)]
    Plugin(crate::commands::plugin::args::PluginCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell).
    Completions(CompletionsArgs),
    /// Check what runs need: the Docker engine, the registry, the data directory, the
    /// plugin cache, the wasm32-wasip2 target and free disk space.
    Doctor(DoctorArgs),
}

/// How a command prints what it found: `--output text|json`, or `--json`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct OutputArgs {
    /// Text for people, or JSON for programs (one object per line for streams).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// The same as `--output json`.
    #[arg(long, conflicts_with = "output")]
    pub json: bool,
}

impl OutputArgs {
    /// Whether to print JSON.
    pub fn is_json(self) -> bool {
        self.json || self.output == OutputFormat::Json
    }
}

/// The formats of `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Lines and tables for a terminal.
    Text,
    /// JSON, in the API's schema where the API has the same thing.
    Json,
}

/// Arguments of `seamless logs`.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// The run.
    pub run: String,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Keep printing new lines until the run ends.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only this stage's lines.
    #[arg(long)]
    pub stage: Option<String>,
    /// Only this service's lines.
    #[arg(long)]
    pub service: Option<String>,
}

/// Arguments of `seamless trigger`.
#[derive(Debug, clap::Args)]
pub struct TriggerArgs {
    /// The pipeline [default: the server's only pipeline].
    #[arg(long)]
    pub pipeline: Option<String>,
    /// The branch [default: the checkout's current branch].
    #[arg(long)]
    pub branch: Option<String>,
    /// The commit [default: the branch's newest].
    #[arg(long)]
    pub commit: Option<String>,
    /// How far the run goes.
    #[arg(long, value_enum, default_value = "manual")]
    pub trigger: TriggerChoice,
    /// Run only this service (repeatable).
    #[arg(long = "service", short = 's', value_name = "S")]
    pub services: Vec<String>,
    /// Run only this stage and the stages it needs (repeatable).
    #[arg(long = "stage", value_name = "X")]
    pub stages: Vec<String>,
    /// Follow the run's log until it ends; exit 1 unless it succeeds.
    #[arg(long)]
    pub wait: bool,
}

/// `seamless token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once (only its hash is stored).
    Create(TokenCreateArgs),
    /// List the tokens (never their values).
    List(OutputArgs),
    /// Revoke a token by id; requests with it are refused from now on.
    Revoke(TokenRevokeArgs),
}

/// Arguments of `seamless token create`.
#[derive(Debug, clap::Args)]
pub struct TokenCreateArgs {
    /// What the token is for (shown in listings and recorded with decisions).
    pub name: String,
    /// `viewer` reads; `operator` also approves, rejects, cancels, reruns, triggers,
    /// rolls back and changes configuration.
    #[arg(long, value_enum, default_value = "viewer")]
    pub role: RoleChoice,
}

/// A token's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleChoice {
    /// Reads runs, logs, pipelines and deploys.
    Viewer,
    /// Also acts on them.
    Operator,
}

/// Arguments of `seamless token revoke`.
#[derive(Debug, clap::Args)]
pub struct TokenRevokeArgs {
    /// The token's id, as `seamless token list` shows it.
    pub id: String,
}

/// What started a run, as `--trigger` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriggerChoice {
    /// The whole pipeline (or the stages named with --stage).
    Manual,
    /// A push: the whole pipeline.
    Push,
    /// A pull request: up to `[triggers.pull-request] until` (integration-test).
    PullRequest,
}

/// Which container backend runs the stages' containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostChoice {
    /// The Docker engine (API 1.41 or newer).
    Docker,
    /// Plain processes in the workspace, without isolation.
    Local,
    /// AWS ECS: stage containers as Fargate tasks (`[hosts.ecs]`, or `SEAMLESS_ECS_*`).
    Ecs,
}

impl HostChoice {
    /// The backend a run recorded by name (`ContainerHost::name`), if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "docker" => Some(HostChoice::Docker),
            "local" => Some(HostChoice::Local),
            "ecs" => Some(HostChoice::Ecs),
            _ => None,
        }
    }
}

/// Arguments of `seamless run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The repository: a directory holding seamless.toml, or the file itself.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Run only this service (repeatable).
    #[arg(long = "service", short = 's', value_name = "S")]
    pub services: Vec<String>,
    /// Run only this stage and the stages it needs (repeatable).
    #[arg(long = "stage", value_name = "X")]
    pub stages: Vec<String>,
    /// Container backend [default: docker when an engine answers, local otherwise].
    #[arg(long, value_enum)]
    pub host: Option<HostChoice>,
    /// Stream every stage's log lines to the terminal.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Most stage instances running at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// What started the run; it decides how far the run goes.
    #[arg(long, value_enum, default_value_t = TriggerChoice::Manual)]
    pub trigger: TriggerChoice,
    /// The branch being built [default: the checked-out branch].
    #[arg(long)]
    pub branch: Option<String>,
    /// Run only the services whose files changed between this commit and the one
    /// being built (a change to seamless.toml runs every service).
    #[arg(long, value_name = "COMMIT")]
    pub base: Option<String>,
    /// Approve the approval gate in advance: deploy to production without waiting.
    #[arg(long)]
    pub approve: bool,
    /// Check the source out of this git repository (URL, file:// or path) instead of
    /// copying the directory holding seamless.toml.
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
    /// With --source: the commit to check out [default: the repository's HEAD].
    #[arg(long, requires = "source")]
    pub commit: Option<String>,
}

/// Arguments of `seamless resume`.
#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    /// Runs to resume [default: every unfinished run that no live process carries out].
    pub runs: Vec<String>,
    /// Container backend [default: the one the run used].
    #[arg(long, value_enum)]
    pub host: Option<HostChoice>,
    /// Stream every stage's log lines to the terminal.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// Arguments of `seamless approve`.
#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    /// The run.
    pub run: String,
    /// Who decides, for the record [default: $USER].
    #[arg(long)]
    pub by: Option<String>,
    /// Only record the decision; do not carry an abandoned run on in this process.
    #[arg(long)]
    pub no_resume: bool,
}

/// Arguments of `seamless reject`.
#[derive(Debug, clap::Args)]
pub struct RejectArgs {
    /// The decision.
    #[command(flatten)]
    pub decide: DecideArgs,
    /// Why, for the record and the run's failure message.
    #[arg(long)]
    pub reason: Option<String>,
}

/// Arguments of `seamless cancel`.
#[derive(Debug, clap::Args)]
pub struct CancelArgs {
    /// The run.
    pub run: String,
}

/// Arguments of `seamless runs`.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// Only runs of this service.
    #[arg(long)]
    pub service: Option<String>,
    /// Only runs with this status (success, failure, in-progress, awaiting-approval,
    /// cancelled).
    #[arg(long)]
    pub status: Option<String>,
    /// Only runs with this trigger.
    #[arg(long)]
    pub trigger: Option<String>,
    /// Only runs of this branch.
    #[arg(long)]
    pub branch: Option<String>,
    /// At most this many runs.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `seamless deployments`.
#[derive(Debug, clap::Args)]
pub struct DeploymentsArgs {
    /// The service.
    pub service: String,
    /// Only this environment.
    #[arg(long = "env", value_name = "E")]
    pub environment: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `seamless rollback`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["to", "previous"])))]
pub struct RollbackArgs {
    /// The service.
    pub service: String,
    /// The environment.
    #[arg(long = "env", value_name = "E")]
    pub environment: String,
    /// The commit (or a prefix of it) of the revision to go back to.
    #[arg(long, value_name = "COMMIT")]
    pub to: Option<String>,
    /// The newest healthy revision before the one that serves now.
    #[arg(long)]
    pub previous: bool,
    /// With --server: the pipeline [default: the server's only pipeline].
    #[arg(long)]
    pub pipeline: Option<String>,
    /// The repository: a directory holding seamless.toml, or the file itself.
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// Container backend [default: docker when an engine answers].
    #[arg(long, value_enum)]
    pub host: Option<HostChoice>,
    /// Stream the deploy's log lines to the terminal.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// Arguments of `seamless serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The pipeline: a directory holding seamless.toml, or the file itself (read once,
    /// at start).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The environment variable holding the webhook secret.
    #[arg(long, value_name = "VAR", conflicts_with = "webhook_secret_file")]
    pub webhook_secret_env: Option<String>,
    /// The file holding the webhook secret (a trailing newline is ignored).
    #[arg(long, value_name = "FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Container backend for new runs [default: docker when an engine answers, local
    /// otherwise]; resumed runs use the one they started on.
    #[arg(long, value_enum)]
    pub host: Option<HostChoice>,
    /// Most stage instances of one run running at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Most runs carried out at once; further requests wait in the queue.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_runs: u16,
    /// How long the log lines of finished runs are kept, such as `30d` or `12h`, or
    /// `forever`. Runs and their stages stay in any case.
    #[arg(long, default_value = "30d", value_name = "DURATION", value_parser = parse_retention)]
    pub log_retention: Retention,
    /// The GitHub REST API that commit statuses are posted to (GitHub Enterprise:
    /// https://HOST/api/v3).
    #[arg(long, value_name = "URL", default_value = seamless_server::github::DEFAULT_API_URL)]
    pub github_api: String,
    /// The environment variable holding the GitHub token (statuses: write; for
    /// auto-merge, contents and pull requests: write). Without a token no commit status
    /// is posted.
    #[arg(long, value_name = "VAR", conflicts_with = "github_token_file")]
    pub github_token_env: Option<String>,
    /// The file holding the GitHub token (a trailing newline is ignored).
    #[arg(long, value_name = "FILE")]
    pub github_token_file: Option<PathBuf>,
    /// The server's public base URL; commit statuses link to URL/runs/RUN.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// The GitHub OAuth app's client id: turns on the dashboard's GitHub login (its
    /// callback URL is PUBLIC_URL/auth/callback).
    #[arg(long, value_name = "ID", requires = "public_url")]
    pub oauth_client_id: Option<String>,
    /// The environment variable holding the OAuth app's client secret.
    #[arg(long, value_name = "VAR", conflicts_with = "oauth_client_secret_file")]
    pub oauth_client_secret_env: Option<String>,
    /// The file holding the OAuth app's client secret.
    #[arg(long, value_name = "FILE")]
    pub oauth_client_secret_file: Option<PathBuf>,
    /// GitHub's authorization page (GitHub Enterprise: https://HOST/login/oauth/authorize).
    #[arg(long, value_name = "URL", default_value = seamless_server::login::DEFAULT_AUTHORIZE_URL)]
    pub oauth_authorize_url: String,
    /// GitHub's OAuth token endpoint.
    #[arg(long, value_name = "URL", default_value = seamless_server::login::DEFAULT_TOKEN_URL)]
    pub oauth_token_url: String,
    /// GitHub users who may sign in to the dashboard (comma-separated logins).
    #[arg(long, value_name = "LOGINS", value_delimiter = ',')]
    pub allow_users: Vec<String>,
    /// GitHub organisations whose members may sign in (comma-separated).
    #[arg(long, value_name = "ORGS", value_delimiter = ',')]
    pub allow_orgs: Vec<String>,
    /// Signed-in users who get the operator role: approve, reject, cancel, rerun, roll
    /// back and change configuration (comma-separated logins; others are viewers).
    #[arg(long, value_name = "LOGINS", value_delimiter = ',')]
    pub operators: Vec<String>,
    /// How long a dashboard session lasts.
    #[arg(long, value_name = "DURATION", default_value = "12h", value_parser = humantime::parse_duration)]
    pub session_ttl: std::time::Duration,
}

/// How long logs are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub Option<std::time::Duration>);

fn parse_retention(s: &str) -> Result<Retention, String> {
    if s == "forever" {
        return Ok(Retention(None));
    }
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("{e}; give a duration such as 30d or 12h, or `forever`"))?;
    if d.is_zero() {
        return Err(
            "a retention of 0 would delete logs at once; give `forever` to keep them".into(),
        );
    }
    Ok(Retention(Some(d)))
}

/// Arguments of `seamless validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The repository: a directory holding seamless.toml, or the file itself.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// With JSON, each problem is an object on a line of its own (file, line, column,
    /// code, message), as cargo's `--message-format=json` prints them.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `seamless show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The run.
    pub run: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `seamless completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `seamless doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The repository whose seamless.toml names the registry to check: a directory
    /// holding seamless.toml, or the file itself.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `seamless init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The repository's root directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Replace an existing seamless.toml.
    #[arg(long)]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
