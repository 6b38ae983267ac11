//! One module per subcommand.

mod accepted;
mod cancel;
mod completions;
mod decide;
mod doctor;
mod init;
mod logs;
pub mod plugin;
mod resume;
mod rollback;
mod run;
mod runs;
mod serve;
mod serve_login;
mod session;
mod show;
mod token;
mod trigger;
mod validate;

use crate::args::{Cli, Command};
use anyhow::Result;
use std::process::ExitCode;

/// Exit code when the configuration is invalid and nothing ran.
pub const EXIT_INVALID: u8 = 2;

/// Runs the chosen subcommand.
pub async fn dispatch(cli: Cli) -> Result<ExitCode> {
    let remote = || crate::remote::connect(cli.server.clone(), cli.token.clone());
    match cli.command {
        Command::Logs(args) => logs::logs(args, remote()?, cli.data_dir).await,
        Command::Trigger(args) => trigger::trigger(args, remote()?).await,
        Command::Run(args) => run::run(args, cli.data_dir).await,
        Command::Token(command) => token::token(command, cli.data_dir),
        Command::Validate(args) => validate::validate(&args),
        Command::Init(args) => init::init(&args).map(|()| ExitCode::SUCCESS),
        Command::Resume(args) => resume::resume(args, cli.data_dir).await,
        Command::Approve(args) => match remote()? {
            Some(r) => decide::decide_remote(&r, &args.run, true, None).await,
            None => decide::decide(args, true, None, cli.data_dir).await,
        },
        Command::Reject(args) => match remote()? {
            Some(r) => decide::decide_remote(&r, &args.decide.run, false, args.reason).await,
            None => decide::decide(args.decide, false, args.reason, cli.data_dir).await,
        },
        Command::Cancel(args) => cancel::cancel(args, cli.data_dir).await,
        Command::Runs(args) => match remote()? {
            Some(r) => runs::runs_remote(&r, &args).await,
            None => runs::runs(args, cli.data_dir).await,
        },
        Command::Show(args) => show::show(&args, remote()?, cli.data_dir).await,
        Command::Completions(args) => {
            completions::completions(&args);
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor(args) => doctor::doctor(&args, cli.data_dir).await,
        Command::Deployments(args) => runs::deployments(args, cli.data_dir).await,
        Command::Rollback(args) => match remote()? {
            Some(r) => rollback::rollback_remote(&r, &args).await,
            None => rollback::rollback(args, cli.data_dir).await,
        },
        Command::Serve(args) => serve::serve(*args, cli.data_dir).await,
        Command::Plugin(command) => plugin::plugin(command, cli.data_dir).await,
    }
}
