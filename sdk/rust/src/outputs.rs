//! Values handed to later stages, such as an image reference.

use crate::HostError;
use crate::bindings::seamless::plugin::outputs as host;

/// Sets the output `key` (lowercase letters, digits and `-`). Stages that need this
/// one see it in their context inputs as `<stage>.<key>`.
pub fn set(key: &str, value: &str) -> Result<(), HostError> {
    host::set(key, value)
}
