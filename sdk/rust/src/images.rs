//! Container images built from the workspace. Needs the `images` capability.

use crate::HostError;
use crate::bindings::seamless::plugin::images as host;

pub use host::BuildRequest;

impl BuildRequest {
    /// Builds `dockerfile` (relative to `context`) in the workspace directory
    /// `context`, and tags the image `tag`.
    pub fn new(
        context: impl Into<String>,
        dockerfile: impl Into<String>,
        tag: impl Into<String>,
    ) -> Self {
        Self {
            context: context.into(),
            dockerfile: dockerfile.into(),
            tag: tag.into(),
        }
    }
}

/// Builds an image and returns the reference it was given. Build output goes to the
/// stage log.
pub fn build(request: &BuildRequest) -> Result<String, HostError> {
    host::build(request)
}

/// Pushes an image to its registry and returns the digest the registry gave it
/// (`sha256:...`). Credentials come from the runtime, never from the plugin.
pub fn push(reference: &str) -> Result<String, HostError> {
    host::push(reference)
}
