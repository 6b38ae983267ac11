//! One deploy at a time per service and environment, across runs and processes: an
//! exclusive `flock` on `<locks_dir>/<service>.<environment>.lock`. The kernel drops
//! the lock when its holder dies, so a crashed run never blocks the next one.

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use rustix::fs::{FlockOperation, flock};

/// A held deploy lock; dropping it releases the lock.
#[derive(Debug)]
pub struct DeployLock {
    _file: File,
}

/// How often a waiting deploy tries the lock again.
const RETRY: Duration = Duration::from_millis(250);

/// Takes the lock for `service` in `environment`, waiting while another run holds it.
/// `waiting` is called once if the lock is busy.
pub async fn acquire(
    locks_dir: &Path,
    service: &str,
    environment: &str,
    waiting: impl FnOnce(),
) -> std::io::Result<DeployLock> {
    std::fs::create_dir_all(locks_dir)?;
    let path = locks_dir.join(format!("{service}.{environment}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    let mut waiting = Some(waiting);
    loop {
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(DeployLock { _file: file }),
            Err(rustix::io::Errno::WOULDBLOCK) => {
                if let Some(notify) = waiting.take() {
                    notify();
                }
                tokio::time::sleep(RETRY).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_deploy_waits_until_the_first_lock_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "web", "production", || {})
            .await
            .unwrap();
        let waited = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = waited.clone();
        let path = dir.path().to_path_buf();
        let second = tokio::spawn(async move {
            acquire(&path, "web", "production", move || {
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
        acquire(dir.path(), "web", "staging", || {}).await.unwrap();
        drop(first);
        second.await.unwrap().unwrap();
    }
}
