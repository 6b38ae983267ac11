//! From a stage's `uses` to the bundle a run may execute: only the digest pinned in
//! `seamless.lock`, checked against where the reference points now, and signed by a
//! trusted key when the pipeline requires it.
//!
//! - Not in the lock: refused (`seamless plugin install` pins it).
//! - A tag that now points to another digest: refused until `seamless plugin update`
//!   accepts the change. When the registry cannot be reached the pinned digest runs
//!   (it is content-addressed, so it is exactly what was accepted) and the caller is told.
//! - A bundle path whose content changed: refused the same way.
//! - Not in the local store: pulled by digest (`repo@sha256:...`) and installed.
//! - Trusted keys configured: signatures are checked (from the store, else from the
//!   registry); without a trusted one the bundle is refused if the pipeline requires
//!   signatures, and runs with a note otherwise.

use std::path::{Path, PathBuf};

use oci_client::Reference;

use crate::lock::{LOCK_FILE, Lock, LockedPlugin};
use crate::registry::{Registry, parse_reference};
use crate::signature::{PublicKey, SignatureError, verify};
use crate::store::PluginStore;
use crate::{Bundle, BundleError, layout};

/// Why a plugin reference cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// `seamless.lock` has no pin for it.
    #[error(
        "plugin '{reference}' is not pinned in {lock}; run `seamless plugin install {reference}` \
         to review its capabilities and pin its digest"
    )]
    NotLocked {
        /// The reference.
        reference: String,
        /// The lock file.
        lock: String,
    },
    /// The tag (or path) now points to other content than the pinned digest.
    #[error(
        "plugin '{reference}' now points to {now}, but {lock} pins {pinned}; the run refuses \
         the changed plugin. Review the change (digest and capabilities) and accept it with \
         `seamless plugin update {reference}`"
    )]
    Moved {
        /// The reference.
        reference: String,
        /// The lock file.
        lock: String,
        /// The pinned digest.
        pinned: String,
        /// Where it points now.
        now: String,
    },
    /// The lock file or the store could not be read, or a bundle is bad.
    #[error("plugin '{reference}': {source}")]
    Bundle {
        /// The reference.
        reference: String,
        /// What is wrong.
        source: BundleError,
    },
    /// The registry failed.
    #[error("plugin '{reference}': {source}")]
    Registry {
        /// The reference.
        reference: String,
        /// What failed.
        source: crate::registry::RegistryError,
    },
    /// A signature is required and missing or untrusted.
    #[error("plugin '{reference}': {source}")]
    Signature {
        /// The reference.
        reference: String,
        /// Which key was expected.
        source: SignatureError,
    },
}

/// Where a `uses` value points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An OCI reference in a registry.
    Registry(Reference),
    /// An OCI image layout on disk (absolute).
    Path(PathBuf),
}

impl Source {
    /// Reads a `uses` value: a path (`./`, `../`, `/` or `.tar`, relative to `root`) or
    /// an OCI reference.
    pub fn parse(uses: &str, root: &Path) -> Result<Self, crate::registry::RegistryError> {
        if uses.starts_with("./")
            || uses.starts_with("../")
            || uses.starts_with('/')
            || uses.ends_with(".tar")
        {
            Ok(Self::Path(root.join(uses)))
        } else {
            parse_reference(uses).map(Self::Registry)
        }
    }
}

/// Trust settings of a pipeline (`[plugins]`).
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Every bundle must carry a signature by one of `keys`.
    pub require_signatures: bool,
    /// The trusted keys.
    pub keys: Vec<PublicKey>,
}

/// A bundle a run may execute.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Its pinned digest.
    pub digest: String,
    /// The bundle, read from the store and checked.
    pub bundle: Bundle,
    /// What the caller should know (a registry that could not be reached).
    pub notes: Vec<String>,
    /// The id of the key whose signature was accepted, when one was required.
    pub signed_by: Option<String>,
}

/// Resolves `uses` values of the pipeline at `root` through its lock and `store`.
pub struct Resolver {
    root: PathBuf,
    lock: Lock,
    store: PluginStore,
    trust: Trust,
}

impl Resolver {
    /// A resolver for the config directory `root` (its `seamless.lock` is read now).
    pub fn new(root: &Path, store: PluginStore, trust: Trust) -> Result<Self, BundleError> {
        let lock = Lock::load(&root.join(LOCK_FILE))?;
        Ok(Self {
            root: root.to_path_buf(),
            lock,
            store,
            trust,
        })
    }

    fn lock_name(&self) -> String {
        self.root.join(LOCK_FILE).display().to_string()
    }

    /// The id of a trusted key that signed `digest`: from the store, else from the
    /// bundle's registry repository (signatures may have been added since the install).
    async fn trusted_signature(
        &self,
        uses: &str,
        digest: &str,
        source: &Source,
    ) -> Result<String, ResolveError> {
        let bundle_err = |source| ResolveError::Bundle {
            reference: uses.to_string(),
            source,
        };
        let signature_err = |source| ResolveError::Signature {
            reference: uses.to_string(),
            source,
        };
        let signatures = self.store.signatures(digest).map_err(bundle_err)?;
        let first = verify(digest, &signatures, &self.trust.keys);
        let Source::Registry(reference) = source else {
            return first.map_err(signature_err);
        };
        if first.is_ok() {
            return first.map_err(signature_err);
        }
        let registry_err = |source| ResolveError::Registry {
            reference: uses.to_string(),
            source,
        };
        let fetched = Registry::for_registry(reference.registry())
            .await
            .map_err(registry_err)?
            .pull_signatures(reference, digest)
            .await
            .map_err(registry_err)?;
        let signatures = self
            .store
            .add_signatures(digest, &fetched)
            .map_err(bundle_err)?;
        verify(digest, &signatures, &self.trust.keys).map_err(signature_err)
    }

    /// The bundle `uses` may run as: see the module's documentation.
    pub async fn resolve(&self, uses: &str) -> Result<Resolved, ResolveError> {
        let bundle_err = |source| ResolveError::Bundle {
            reference: uses.to_string(),
            source,
        };
        let registry_err = |source| ResolveError::Registry {
            reference: uses.to_string(),
            source,
        };
        let pin: &LockedPlugin = self.lock.get(uses).ok_or_else(|| ResolveError::NotLocked {
            reference: uses.to_string(),
            lock: self.lock_name(),
        })?;
        let moved = |now: String| ResolveError::Moved {
            reference: uses.to_string(),
            lock: self.lock_name(),
            pinned: pin.digest.clone(),
            now,
        };
        let mut notes = Vec::new();
        let source = Source::parse(uses, &self.root).map_err(registry_err)?;
        let bundle = match &source {
            Source::Path(path) => {
                let bundle = layout::read(path).map_err(bundle_err)?;
                if bundle.digest() != pin.digest {
                    return Err(moved(bundle.digest()));
                }
                self.store.install(&bundle).map_err(bundle_err)?;
                bundle
            }
            Source::Registry(reference) => {
                let registry = Registry::for_registry(reference.registry())
                    .await
                    .map_err(registry_err)?;
                if let Some(d) = reference.digest() {
                    if d != pin.digest {
                        return Err(moved(d.to_string()));
                    }
                } else {
                    match registry.resolve(reference).await {
                        Ok(now) if now != pin.digest => return Err(moved(now)),
                        Ok(_) => {}
                        Err(e) => notes.push(format!(
                            "could not check where '{uses}' points now ({e}); running the pinned \
                             {}",
                            pin.digest
                        )),
                    }
                }
                match self.store.get(&pin.digest).map_err(bundle_err)? {
                    Some(b) => b,
                    None => {
                        let by_digest = Reference::with_digest(
                            reference.registry().to_string(),
                            reference.repository().to_string(),
                            pin.digest.clone(),
                        );
                        let bundle = registry.pull(&by_digest).await.map_err(registry_err)?;
                        self.store.install(&bundle).map_err(bundle_err)?;
                        bundle
                    }
                }
            }
        };
        // Signatures are checked whenever keys are trusted; only a pipeline that
        // requires them refuses a bundle without a trusted one.
        let signed_by = if self.trust.keys.is_empty() {
            None
        } else {
            match self.trusted_signature(uses, &pin.digest, &source).await {
                Ok(key) => Some(key),
                Err(e) if self.trust.require_signatures => return Err(e),
                Err(e) => {
                    notes.push(format!(
                        "{e}; it runs because [plugins] require-signatures is off"
                    ));
                    None
                }
            }
        };
        Ok(Resolved {
            digest: pin.digest.clone(),
            bundle,
            notes,
            signed_by,
        })
    }
}
