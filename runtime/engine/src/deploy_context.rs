//! What the `services` host functions need beyond the stage itself: the service's
//! deploy settings, and the ledger that records revisions and holds deploy locks.

use std::sync::Arc;
use std::time::Duration;

use seamless_core::config::Service;
use seamless_core::deploy::Revision;

/// Records deploy revisions and holds deploy locks (the run store implements it, so
/// runtimes on different machines that share it exclude each other).
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
    /// Takes the deploy lock of `service` in `environment` for `holder` (of `run_id`)
    /// if it is free, `holder`'s, or not renewed for `stale`; returns whether it did.
    fn try_lock(
        &self,
        service: &str,
        environment: &str,
        holder: &str,
        run_id: &str,
        stale: Duration,
    ) -> Result<bool, String>;
    /// Renews `holder`'s lock; `false` if it lost it.
    fn renew_lock(&self, service: &str, environment: &str, holder: &str) -> Result<bool, String>;
    /// Releases `holder`'s lock.
    fn release_lock(&self, service: &str, environment: &str, holder: &str) -> Result<(), String>;
}

/// The deploy side of one stage invocation.
#[derive(Clone)]
pub struct DeployContext {
    /// The service, with its port, health path, environment and targets.
    pub service: Service,
    /// Where revisions are recorded and deploy locks held.
    pub ledger: Arc<dyn DeployLedger>,
}
