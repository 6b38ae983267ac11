//! One deploy at a time per service and environment, across runs, processes and
//! machines: a lock in the run store ([`DeployLedger::try_lock`]), renewed while the
//! deploy runs. A holder that dies stops renewing, and after [`STALE`] the next
//! deploy takes the lock over, so a crashed run never blocks the next one for long;
//! the crashed run itself, resumed, takes its lock over at once.

use std::sync::Arc;
use std::time::Duration;

use crate::deploy_context::DeployLedger;

/// How often a waiting deploy tries the lock again.
const RETRY: Duration = Duration::from_millis(250);
/// How often a holder renews its lock.
const RENEW: Duration = Duration::from_secs(10);
/// How long a lock may go unrenewed before another deploy takes it over.
pub const STALE: Duration = Duration::from_secs(60);

/// A held deploy lock; dropping it releases the lock.
pub struct DeployLock {
    ledger: Arc<dyn DeployLedger>,
    service: String,
    environment: String,
    holder: String,
    renewer: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for DeployLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeployLock")
            .field("service", &self.service)
            .field("environment", &self.environment)
            .field("holder", &self.holder)
            .finish()
    }
}

impl Drop for DeployLock {
    fn drop(&mut self) {
        self.renewer.abort();
        if let Err(e) = self
            .ledger
            .release_lock(&self.service, &self.environment, &self.holder)
        {
            tracing::warn!(error = %e, service = %self.service, "cannot release the deploy lock");
        }
    }
}

/// Takes the lock for `service` in `environment` on behalf of `run_id`, waiting
/// while another deploy holds it. `waiting` is called once if the lock is busy.
pub async fn acquire(
    ledger: Arc<dyn DeployLedger>,
    service: &str,
    environment: &str,
    run_id: &str,
    waiting: impl FnOnce(),
) -> Result<DeployLock, String> {
    let holder = format!("{run_id}/{}", uuid::Uuid::now_v7().simple());
    let mut waiting = Some(waiting);
    loop {
        if ledger.try_lock(service, environment, &holder, run_id, STALE)? {
            break;
        }
        if let Some(notify) = waiting.take() {
            notify();
        }
        tokio::time::sleep(RETRY).await;
    }
    let renewer = tokio::spawn(renew(
        ledger.clone(),
        service.to_owned(),
        environment.to_owned(),
        holder.clone(),
    ));
    Ok(DeployLock {
        ledger,
        service: service.to_owned(),
        environment: environment.to_owned(),
        holder,
        renewer,
    })
}

async fn renew(
    ledger: Arc<dyn DeployLedger>,
    service: String,
    environment: String,
    holder: String,
) {
    loop {
        tokio::time::sleep(RENEW).await;
        match ledger.renew_lock(&service, &environment, &holder) {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(%service, %environment, "the deploy lock was taken over");
                return;
            }
            Err(e) => tracing::warn!(error = %e, %service, "cannot renew the deploy lock"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use seamless_core::deploy::Revision;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// The lock half of a ledger, in memory (the store's own is tested in the store).
    #[derive(Default)]
    struct Locks(Mutex<HashMap<(String, String), String>>);

    impl DeployLedger for Locks {
        fn start(&self, _: &Revision) -> Result<(), String> {
            Ok(())
        }
        fn finish(
            &self,
            _: &str,
            _: &str,
            _: Option<&str>,
            _: Option<&str>,
        ) -> Result<Revision, String> {
            Err("unused".into())
        }
        fn current(&self, _: &str, _: &str) -> Result<Option<Revision>, String> {
            Ok(None)
        }
        fn try_lock(
            &self,
            s: &str,
            e: &str,
            holder: &str,
            _: &str,
            _: Duration,
        ) -> Result<bool, String> {
            let mut locks = self.0.lock().unwrap();
            let key = (s.to_owned(), e.to_owned());
            match locks.get(&key) {
                Some(h) if h != holder => Ok(false),
                _ => {
                    locks.insert(key, holder.to_owned());
                    Ok(true)
                }
            }
        }
        fn renew_lock(&self, _: &str, _: &str, _: &str) -> Result<bool, String> {
            Ok(true)
        }
        fn release_lock(&self, s: &str, e: &str, holder: &str) -> Result<(), String> {
            let mut locks = self.0.lock().unwrap();
            let key = (s.to_owned(), e.to_owned());
            if locks.get(&key).map(String::as_str) == Some(holder) {
                locks.remove(&key);
            }
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_second_deploy_waits_until_the_first_lock_is_dropped() {
        let ledger: Arc<dyn DeployLedger> = Arc::new(Locks::default());
        let first = acquire(ledger.clone(), "web", "production", "run-1", || {})
            .await
            .unwrap();
        let waited = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = waited.clone();
        let shared = ledger.clone();
        let second = tokio::spawn(async move {
            acquire(shared, "web", "production", "run-2", move || {
                flag.store(true, std::sync::atomic::Ordering::SeqCst)
            })
            .await
        });
        // The callback is the second deploy's decision to wait for the held lock.
        for tries in 0.. {
            if waited.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            assert!(!second.is_finished(), "the second deploy did not wait");
            assert!(tries < 3000, "the second deploy neither waited nor ended");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!second.is_finished(), "the second deploy must wait");
        // Another environment is independent.
        acquire(ledger.clone(), "web", "staging", "run-3", || {})
            .await
            .unwrap();
        drop(first);
        second.await.unwrap().unwrap();
    }
}
