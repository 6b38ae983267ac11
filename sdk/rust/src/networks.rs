//! Networks that connect a run's containers, such as the one an integration test
//! runs on. Needs the `networks` capability. Networks still present when the run
//! ends are removed by the runtime, but a plugin should remove what it creates.

use crate::HostError;
use crate::bindings::seamless::plugin::networks as host;

/// Creates a network and returns its id. `name` is a hint; the runtime makes it
/// unique to the run. Attach containers with
/// [`ContainerSpec::network`](crate::containers::ContainerSpec::network).
pub fn create(name: &str) -> Result<String, HostError> {
    host::create(name)
}

/// Removes a network and disconnects whatever is still on it.
pub fn remove(id: &str) -> Result<(), HostError> {
    host::remove(id)
}
