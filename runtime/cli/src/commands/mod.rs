//! One module per subcommand.

mod cancel;
mod decide;
mod init;
mod resume;
mod rollback;
mod run;
mod runs;
mod serve;
mod serve_login;
mod session;
mod token;
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
        Command::Token(command) => token::token(command, cli.data_dir),
        Command::Validate(args) => Ok(validate::validate(&args)),
        Command::Init(args) => init::init(&args).map(|()| ExitCode::SUCCESS),
        Command::Resume(args) => resume::resume(args, cli.data_dir).await,
        Command::Approve(args) => decide::decide(args, true, None, cli.data_dir).await,
        Command::Reject(args) => {
            decide::decide(args.decide, false, args.reason, cli.data_dir).await
        }
        Command::Cancel(args) => cancel::cancel(args, cli.data_dir).await,
        Command::Runs(args) => runs::runs(args, cli.data_dir).await,
        Command::Deployments(args) => runs::deployments(args, cli.data_dir).await,
        Command::Rollback(args) => rollback::rollback(args, cli.data_dir).await,
        Command::Serve(args) => serve::serve(*args, cli.data_dir).await,
    }
}
