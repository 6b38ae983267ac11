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
