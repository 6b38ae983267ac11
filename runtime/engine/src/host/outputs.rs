//! `seamless:plugin/outputs`: values handed to later stages.

use crate::bindings::seamless::plugin::outputs::Host;
use crate::bindings::seamless::plugin::types::HostError;
use crate::state::StageState;

/// Most outputs one stage may set, and the largest value, so a plugin cannot bloat
/// the run's store.
const MAX_OUTPUTS: usize = 64;
const MAX_VALUE_BYTES: usize = 64 * 1024;

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Host for StageState {
    async fn set(&mut self, key: String, value: String) -> Result<(), HostError> {
        if !valid_key(&key) {
            return Err(HostError::Invalid(format!(
                "output key '{key}' is not valid; use 1 to 64 lowercase letters, digits and '-'"
            )));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(HostError::Invalid(format!(
                "output '{key}' is {} bytes; the limit is {MAX_VALUE_BYTES}",
                value.len()
            )));
        }
        if !self.outputs.contains_key(&key) && self.outputs.len() >= MAX_OUTPUTS {
            return Err(HostError::Invalid(format!(
                "a stage may set at most {MAX_OUTPUTS} outputs"
            )));
        }
        self.outputs.insert(key, value);
        Ok(())
    }
}
