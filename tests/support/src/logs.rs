//! A container host's log sink that keeps every line, for tests to read back.

use seamless_host_api::{LogSink, LogStream};
use std::sync::{Arc, Mutex, PoisonError};

/// Every line a [`collector`]'s sink received, with its stream, in order.
pub type Lines = Arc<Mutex<Vec<(LogStream, String)>>>;

/// A log sink and the lines it keeps.
pub fn collector() -> (LogSink, Lines) {
    let lines: Lines = Arc::new(Mutex::new(Vec::new()));
    let seen = lines.clone();
    let sink: LogSink = Arc::new(move |stream, line: &str| {
        seen.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((stream, line.to_string()));
    });
    (sink, lines)
}

/// The lines received on `stream`.
pub fn on(lines: &Lines, stream: LogStream) -> Vec<String> {
    lines
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|(s, _)| *s == stream)
        .map(|(_, l)| l.clone())
        .collect()
}
