//! Why a bundle was refused.

/// Why a bundle could not be made, read or trusted. Nothing partial is kept when one
/// is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The plugin manifest is not valid.
    #[error("the plugin manifest is invalid: {0}")]
    Invalid(String),
    /// The plugin targets a WIT version this runtime does not support.
    #[error(
        "the plugin targets {found}, but this runtime supports {supported}; rebuild it against \
         {supported}"
    )]
    UnsupportedWit {
        /// What the plugin targets.
        found: String,
        /// What the runtime supports.
        supported: String,
    },
    /// The component is not a WebAssembly binary.
    #[error(
        "the component layer is not WebAssembly (it does not start with \\0asm); pack the \
         component your build wrote, such as target/wasm32-wasip2/release/NAME.wasm"
    )]
    NotWasm,
    /// Something is larger than allowed.
    #[error("{what} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// What.
        what: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A blob does not have the digest it is listed under.
    #[error("{what} has digest {actual}, not {expected}: the bundle is corrupt or was changed")]
    DigestMismatch {
        /// What.
        what: String,
        /// The digest it is listed under.
        expected: String,
        /// Its real digest.
        actual: String,
    },
    /// A blob the bundle lists is not there.
    #[error("{0} is missing from the bundle")]
    Missing(String),
    /// A media type is not the one expected.
    #[error("{what} has media type '{found}', expected '{expected}'")]
    MediaType {
        /// What.
        what: String,
        /// Its media type.
        found: String,
        /// The expected one.
        expected: String,
    },
    /// The layout's structure is wrong.
    #[error("not a plugin bundle layout: {0}")]
    Layout(String),
    /// A tar entry would land outside the bundle.
    #[error("the tar entry '{0}' points outside the bundle (absolute, `..` or a link); refused")]
    PathTraversal(String),
    /// Reading or writing files failed.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl BundleError {
    pub(crate) fn io(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        Self::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }
}
