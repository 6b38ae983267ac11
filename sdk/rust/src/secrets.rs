//! Named secrets from `seamless.toml`. Each needs the `secret(name)` capability.
//! Prefer [`crate::containers::ContainerSpec::secret_env`], which keeps the value out
//! of the plugin entirely.

use crate::HostError;
use crate::bindings::seamless::plugin::secrets as host;

/// Returns a secret's value. The runtime masks it as `***` in every log line.
pub fn get(name: &str) -> Result<String, HostError> {
    host::get(name)
}
