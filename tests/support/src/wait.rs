//! Polling for a state with one deadline, instead of sleeping and hoping.

use std::time::{Duration, Instant};

/// How long any state a test waits for may take to show up.
pub const DEADLINE: Duration = Duration::from_secs(180);

/// Polls `check` every 100 ms until it gives a value; panics with `what` and
/// `context()` once [`DEADLINE`] passes.
pub fn wait_for<T>(
    what: &str,
    mut check: impl FnMut() -> Option<T>,
    context: impl Fn() -> String,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out after {}s waiting for {what}\n{}",
            DEADLINE.as_secs(),
            context()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
