//! `seamless validate`: every problem of seamless.toml with `file:line:col`, or with
//! `--output json` one [`Diagnostic`] object per line (as cargo's
//! `--message-format=json`), so editors and bots can place them.

use super::EXIT_INVALID;
use crate::args::ValidateArgs;
use crate::output;
use anyhow::Result;
use seamless_bundle::lock::{LOCK_FILE, Lock};
use seamless_core::config::{Config, ConfigError, PluginRef};
use std::process::ExitCode;

mod codes;

/// One problem of a configuration, as `--output json` prints it.
#[derive(Debug, serde::Serialize)]
pub struct Diagnostic {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line; 0 when the problem is about the file as a whole.
    pub line: usize,
    /// 1-based column in characters; 0 when the problem is about the file as a whole.
    pub column: usize,
    /// What kind of problem it is, a stable kebab-case word such as `unknown-key`.
    pub code: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl From<&ConfigError> for Diagnostic {
    fn from(e: &ConfigError) -> Self {
        Self {
            file: e.file.clone(),
            line: e.line,
            column: e.column,
            code: codes::code(&e.message),
            message: e.message.clone(),
        }
    }
}

/// Prints every problem of the configuration, or a one-line summary when it is valid
/// (nothing with JSON). Plugin bundles that `seamless.lock` does not pin are problems
/// too: runs refuse them. Exits [`EXIT_INVALID`] when there is a problem.
pub fn validate(args: &ValidateArgs) -> Result<ExitCode> {
    let problems = match seamless_core::config::load(&args.path) {
        Ok(config) => {
            let unpinned = unpinned_bundles(&config);
            if unpinned.is_empty() {
                if !args.output.is_json() {
                    println!(
                        "{}: ok: pipeline '{}', {} service(s), {} stage(s)",
                        config.file.display(),
                        config.pipeline,
                        config.services.len(),
                        config.stages.len()
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            unpinned
        }
        Err(errors) => errors.0.iter().map(Diagnostic::from).collect(),
    };
    for problem in &problems {
        if args.output.is_json() {
            output::json(problem)?;
        } else {
            eprintln!("{}", text(problem));
        }
    }
    Ok(ExitCode::from(EXIT_INVALID))
}

/// `file:line:col: message`, as the core's errors read.
fn text(d: &Diagnostic) -> String {
    if d.line == 0 {
        format!("{}: {}", d.file, d.message)
    } else {
        format!("{}:{}:{}: {}", d.file, d.line, d.column, d.message)
    }
}

/// A problem for each stage whose bundle is not pinned (or the lock cannot be read).
fn unpinned_bundles(config: &Config) -> Vec<Diagnostic> {
    let lock_path = config.root.join(LOCK_FILE);
    let bundles: Vec<_> = config
        .stages
        .iter()
        .filter_map(|s| match &s.uses {
            PluginRef::Bundle(r) => Some((s, r)),
            _ => None,
        })
        .collect();
    if bundles.is_empty() {
        return Vec::new();
    }
    let lock = match Lock::load(&lock_path) {
        Ok(lock) => lock,
        Err(e) => {
            return vec![Diagnostic {
                file: lock_path.display().to_string(),
                line: 0,
                column: 0,
                code: codes::BAD_LOCK,
                message: e.to_string(),
            }];
        }
    };
    bundles
        .into_iter()
        .filter(|(_, r)| lock.get(r).is_none())
        .map(|(stage, r)| Diagnostic {
            file: stage.origin.file.clone(),
            line: stage.origin.line,
            column: 1,
            code: codes::UNPINNED_PLUGIN,
            message: format!(
                "stage '{}' uses the plugin '{r}', which {} does not pin; run \
                 `seamless plugin install {r}` to review its capabilities and pin it",
                stage.name,
                lock_path.display()
            ),
        })
        .collect()
}
