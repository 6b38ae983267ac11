//! The stage log. Every line is masked for secret values by the runtime before it is
//! stored or shown. `println!` and `eprintln!` also reach the stage log.

pub use crate::bindings::seamless::plugin::log::Level;
use crate::bindings::seamless::plugin::log::write as host_write;

/// Writes a message at `level`; a message with newlines becomes several lines.
pub fn write(level: Level, message: &str) {
    host_write(level, message);
}

/// Writes a debug line.
pub fn debug(message: &str) {
    write(Level::Debug, message);
}

/// Writes an info line: normal progress.
pub fn info(message: &str) {
    write(Level::Info, message);
}

/// Writes a warning: something looks wrong but the stage goes on.
pub fn warn(message: &str) {
    write(Level::Warn, message);
}

/// Writes an error line: something failed.
pub fn error(message: &str) {
    write(Level::Error, message);
}
