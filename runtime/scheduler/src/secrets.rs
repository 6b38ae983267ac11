//! Resolves the values of the secrets declared in `seamless.toml`.

use seamless_core::config::{Config, SecretSource};
use std::collections::BTreeMap;

/// The values that could be resolved, by name, and a message for each that could
/// not (a stage that needs one of those fails when it asks for it).
pub fn resolve(config: &Config) -> (BTreeMap<String, String>, Vec<String>) {
    let mut values = BTreeMap::new();
    let mut problems = Vec::new();
    for (name, source) in &config.secrets {
        match source {
            SecretSource::Env(var) => match std::env::var(var) {
                Ok(v) => {
                    values.insert(name.clone(), v);
                }
                Err(_) => problems.push(format!(
                    "secret '{name}': environment variable '{var}' is not set"
                )),
            },
            SecretSource::File(path) => match std::fs::read_to_string(path) {
                Ok(v) => {
                    values.insert(name.clone(), v.trim_end_matches(['\n', '\r']).to_owned());
                }
                Err(e) => problems.push(format!(
                    "secret '{name}': cannot read '{}': {e}",
                    path.display()
                )),
            },
        }
    }
    (values, problems)
}
