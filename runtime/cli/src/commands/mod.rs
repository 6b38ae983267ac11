//! One module per subcommand.

mod init;
mod run;
mod validate;

use crate::args::{Cli, Command};
use anyhow::Result;
use std::process::ExitCode;

/// Exit code when the configuration is invalid and nothing ran.
pub const EXIT_INVALID: u8 = 2;

/// Runs the chosen subcommand.
pub async fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args, cli.data_dir).await,
        Command::Validate(args) => Ok(validate::validate(&args)),
        Command::Init(args) => init::init(&args).map(|()| ExitCode::SUCCESS),
    }
}
