//! The run store as the engine's deploy ledger.

use seamless_core::deploy::Revision;
use seamless_engine::DeployLedger;
use seamless_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Records deploy revisions in the run store.
pub struct StoreLedger(pub Arc<Store>);

impl DeployLedger for StoreLedger {
    fn start(&self, revision: &Revision) -> Result<(), String> {
        self.0.start_revision(revision).map_err(|e| e.to_string())
    }

    fn finish(
        &self,
        id: &str,
        result: &str,
        reason: Option<&str>,
        endpoint: Option<&str>,
    ) -> Result<Revision, String> {
        self.0
            .finish_revision(id, result, reason, endpoint)
            .map_err(|e| e.to_string())
    }

    fn current(&self, service: &str, environment: &str) -> Result<Option<Revision>, String> {
        self.0
            .current_revision(service, environment)
            .map_err(|e| e.to_string())
    }

    fn try_lock(
        &self,
        service: &str,
        environment: &str,
        holder: &str,
        run_id: &str,
        stale: Duration,
    ) -> Result<bool, String> {
        let stale_ms = i64::try_from(stale.as_millis()).unwrap_or(i64::MAX);
        self.0
            .try_deploy_lock(service, environment, holder, run_id, stale_ms)
            .map_err(|e| e.to_string())
    }

    fn renew_lock(&self, service: &str, environment: &str, holder: &str) -> Result<bool, String> {
        self.0
            .renew_deploy_lock(service, environment, holder)
            .map_err(|e| e.to_string())
    }

    fn release_lock(&self, service: &str, environment: &str, holder: &str) -> Result<(), String> {
        self.0
            .release_deploy_lock(service, environment, holder)
            .map_err(|e| e.to_string())
    }
}
