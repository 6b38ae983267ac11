//! `seamless validate`.

use super::EXIT_INVALID;
use crate::args::ValidateArgs;
use seamless_bundle::lock::{LOCK_FILE, Lock};
use seamless_core::config::{Config, PluginRef};
use std::process::ExitCode;

/// Prints every problem of the configuration, or a one-line summary when it is valid.
/// Plugin bundles that `seamless.lock` does not pin are problems too: runs refuse them.
pub fn validate(args: &ValidateArgs) -> ExitCode {
    match seamless_core::config::load(&args.path) {
        Ok(config) => {
            let unpinned = unpinned_bundles(&config);
            if !unpinned.is_empty() {
                for problem in unpinned {
                    eprintln!("{problem}");
                }
                return ExitCode::from(EXIT_INVALID);
            }
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

/// A line for each stage whose bundle is not pinned (or the lock cannot be read).
fn unpinned_bundles(config: &Config) -> Vec<String> {
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
        Err(e) => return vec![e.to_string()],
    };
    bundles
        .into_iter()
        .filter(|(_, r)| lock.get(r).is_none())
        .map(|(stage, r)| {
            format!(
                "{}:{}: stage '{}' uses the plugin '{r}', which {} does not pin; run \
                 `seamless plugin install {r}` to review its capabilities and pin it",
                stage.origin.file,
                stage.origin.line,
                stage.name,
                lock_path.display()
            )
        })
        .collect()
}
