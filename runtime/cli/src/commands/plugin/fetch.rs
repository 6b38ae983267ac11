//! Getting a bundle by the reference a user typed: from a registry or a layout on disk.

use anyhow::{Context, Result};
use std::path::Path;

use seamless_bundle::Bundle;
use seamless_bundle::registry::Registry;
use seamless_bundle::resolve::Source;
use seamless_bundle::signature::BundleSignature;

/// A bundle and the signatures found beside it.
pub struct Fetched {
    /// The bundle, checked.
    pub bundle: Bundle,
    /// Its signatures (from its registry repository; none for a path).
    pub signatures: Vec<BundleSignature>,
}

/// Reads `reference` (paths relative to `root`).
pub async fn fetch(reference: &str, root: &Path) -> Result<Fetched> {
    match Source::parse(reference, root)? {
        Source::Path(path) => {
            let bundle = seamless_bundle::layout::read(&path)
                .with_context(|| format!("{} is not a good plugin bundle", path.display()))?;
            Ok(Fetched {
                bundle,
                signatures: Vec::new(),
            })
        }
        Source::Registry(r) => {
            let registry = Registry::for_registry(r.registry()).await?;
            let bundle = registry.pull(&r).await?;
            let signatures = registry.pull_signatures(&r, &bundle.digest()).await?;
            Ok(Fetched { bundle, signatures })
        }
    }
}

/// The directory of a config file (`seamless.toml` → `.`).
pub fn config_root(config: &Path) -> std::path::PathBuf {
    match config.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}
