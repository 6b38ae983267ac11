//! `seamless validate`.

use super::EXIT_INVALID;
use crate::args::ValidateArgs;
use std::process::ExitCode;

/// Prints every problem of the configuration, or a one-line summary when it is valid.
pub fn validate(args: &ValidateArgs) -> ExitCode {
    match seamless_core::config::load(&args.path) {
        Ok(config) => {
            println!(
                "{}: ok: pipeline '{}', {} service(s), {} stage(s)",
                config.file.display(),
                config.pipeline,
                config.services.len(),
                config.stages.len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}
