//! `seamless completions SHELL`: the shell completion script of the command line,
//! generated from its definition by `clap_complete`.

use crate::args::{Cli, CompletionsArgs};
use clap::CommandFactory;

/// Prints the completion script for the shell to stdout.
pub fn completions(args: &CompletionsArgs) {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "seamless", &mut std::io::stdout());
}
