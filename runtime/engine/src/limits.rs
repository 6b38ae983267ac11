//! The memory cap of one Store, and the epoch ticker behind time limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::{Engine, ResourceLimiter};

/// How often the engine's epoch advances. A time limit is a number of ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Most table elements a plugin may have: generous for Python, bounded for safety.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;
/// Most instances (core modules) a plugin may create.
const MAX_INSTANCES: usize = 1_000;

/// Caps the total linear memory of all memories in a Store, and records when a
/// plugin ran into the cap so the failure can be reported as such.
#[derive(Debug)]
pub struct MemoryCap {
    cap: usize,
    total: usize,
    hit: bool,
}

impl MemoryCap {
    /// A cap of `cap` bytes.
    pub fn new(cap: u64) -> Self {
        Self {
            cap: usize::try_from(cap).unwrap_or(usize::MAX),
            total: 0,
            hit: false,
        }
    }

    /// Whether the plugin asked for more than the cap.
    pub fn was_hit(&self) -> bool {
        self.hit
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let grown = self.total - current.min(self.total) + desired;
        if grown > self.cap {
            self.hit = true;
            return Err(wasmtime::format_err!(
                "memory cap of {} bytes reached (asked for {grown})",
                self.cap
            ));
        }
        self.total = grown;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_INSTANCES
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] on a thread of its own, until
/// dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    /// Starts ticking `engine`.
    pub fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let weak = engine.weak();
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("seamless-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .ok();
        Self { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The number of epoch ticks in `timeout`, at least one.
pub fn ticks(timeout: Duration) -> u64 {
    let t = timeout.as_millis() / EPOCH_TICK.as_millis();
    u64::try_from(t).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_past_the_cap_is_refused_and_recorded() {
        let mut cap = MemoryCap::new(1024 * 1024);
        assert!(matches!(cap.memory_growing(0, 512 * 1024, None), Ok(true)));
        assert!(
            cap.memory_growing(512 * 1024, 2 * 1024 * 1024, None)
                .is_err()
        );
        assert!(cap.was_hit());
    }

    #[test]
    fn total_counts_every_memory() {
        let mut cap = MemoryCap::new(1000);
        assert!(matches!(cap.memory_growing(0, 600, None), Ok(true)));
        assert!(cap.memory_growing(0, 600, None).is_err());
    }

    #[test]
    fn ticks_round_down_but_never_to_zero() {
        assert_eq!(ticks(Duration::from_secs(1)), 100);
        assert_eq!(ticks(Duration::from_millis(1)), 1);
    }
}
