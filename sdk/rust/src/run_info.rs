//! Facts about the run and the service the stage instance works on.

use crate::bindings::seamless::plugin::run_info as host;
use crate::types::lookup;

pub use host::{Info, Service};

/// Returns the facts about this run.
pub fn current() -> Info {
    host::current()
}

impl Service {
    /// The service's command named `name`, such as `unit-test`, if it has one.
    pub fn command(&self, name: &str) -> Option<&str> {
        lookup(&self.commands, name)
    }
}
