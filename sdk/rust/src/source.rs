//! The run's source code.

use crate::HostError;
use crate::bindings::seamless::plugin::source as host;

pub use host::CheckoutInfo;

/// Checks the run's repository out at the run's commit into the workspace, and
/// says what was checked out. Needs the `workspace-write` capability.
pub fn checkout() -> Result<CheckoutInfo, HostError> {
    host::checkout()
}
