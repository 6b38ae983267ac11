//! What the `services` host functions need beyond the stage itself: the service's
//! deploy settings, the ledger that records revisions, and where deploy locks live.

use std::path::PathBuf;
use std::sync::Arc;

use seamless_core::config::Service;
use seamless_core::deploy::Revision;

/// Records deploy revisions (the run store implements it).
pub trait DeployLedger: Send + Sync {
    /// Records a deploy that starts now.
    fn start(&self, revision: &Revision) -> Result<(), String>;
    /// Ends a deploy with `result` and returns it.
    fn finish(
        &self,
        id: &str,
        result: &str,
        reason: Option<&str>,
        endpoint: Option<&str>,
    ) -> Result<Revision, String>;
    /// The revision that serves `service` in `environment`, if any.
    fn current(&self, service: &str, environment: &str) -> Result<Option<Revision>, String>;
}

/// The deploy side of one stage invocation.
#[derive(Clone)]
pub struct DeployContext {
    /// The service, with its port, health path, environment and targets.
    pub service: Service,
    /// Where revisions are recorded.
    pub ledger: Arc<dyn DeployLedger>,
    /// Directory of the per-(service, environment) lock files that keep two runs from
    /// deploying the same service to the same environment at once.
    pub locks_dir: PathBuf,
}
