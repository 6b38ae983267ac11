//! Plugin manifests as the runtime sees them.

use crate::bindings::seamless::plugin::types::Capability as WitCapability;
use crate::capabilities::Capability;

/// The runtime's capability for one a manifest declares.
pub(crate) fn capability_from_wit(c: WitCapability) -> Capability {
    match c {
        WitCapability::Containers => Capability::Containers,
        WitCapability::Images => Capability::Images,
        WitCapability::Secret(name) => Capability::Secret(name),
        WitCapability::WorkspaceWrite => Capability::WorkspaceWrite,
        WitCapability::Networks => Capability::Networks,
        WitCapability::Deploy(env) => Capability::Deploy(env),
        WitCapability::Http(host) => Capability::Http(host),
    }
}
