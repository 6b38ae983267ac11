//! `seamless`: the CI/CD runtime's command line.

mod args;
mod commands;
mod data_dir;
mod git;
mod host_select;
mod output;
mod progress;
mod remote;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    // The server logs what it receives and runs; the other commands print progress.
    let serving = matches!(cli.command, args::Command::Serve(_));
    // rustls-platform-verifier logs each certificate it refuses; the registry error
    // that follows says more (which registry, what is trusted, the fix).
    let default_filter = if serving {
        "warn,seamless_server=info,rustls_platform_verifier=off"
    } else {
        "warn,rustls_platform_verifier=off"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SEAMLESS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        // A server's log usually goes to a file or a journal: colour only a terminal.
        .with_ansi(!serving || std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(code) => code,
        // 2 is kept for an invalid seamless.toml (the commands return it themselves);
        // any other error of the command line is 1.
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
