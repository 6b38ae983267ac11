//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
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
}

/// Which container backend runs the stages' containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostChoice {
    /// The Docker engine (API 1.41 or newer).
    Docker,
    /// Plain processes in the workspace, without isolation.
    Local,
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
}

/// Arguments of `seamless validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The repository: a directory holding seamless.toml, or the file itself.
    #[arg(default_value = ".")]
    pub path: PathBuf,
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
