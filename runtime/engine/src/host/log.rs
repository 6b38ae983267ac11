//! `seamless:plugin/log`: plugin log lines into the stage log.

use crate::bindings::seamless::plugin::log::{Host, Level};
use crate::stage_log::LogSource;
use crate::state::StageState;

impl Host for StageState {
    async fn write(&mut self, level: Level, message: String) {
        let source = match level {
            Level::Debug => LogSource::Plugin("debug"),
            Level::Info => LogSource::Plugin("info"),
            Level::Warn => LogSource::Plugin("warn"),
            Level::Error => LogSource::Plugin("error"),
        };
        self.log.write(source, &message);
    }
}
