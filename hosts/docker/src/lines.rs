//! Splits a byte stream into lines for a [`LogSink`].
//!
//! Docker hands over output in chunks that need not end at a line break; the sink wants
//! one call per complete line. A [`LineBuffer`] keeps the unfinished tail of one stream
//! until the rest arrives.

use seamless_host_api::{LogSink, LogStream};

/// Holds the partial last line of one output stream.
#[derive(Debug, Default)]
pub(crate) struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    /// Appends `chunk` and sends every line it completes to `sink`.
    pub(crate) fn push(&mut self, chunk: &[u8], stream: LogStream, sink: &LogSink) {
        self.pending.extend_from_slice(chunk);
        while let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=pos).collect();
            emit(&line[..line.len() - 1], stream, sink);
        }
    }

    /// Sends what is left, a last line without a line break, if any.
    pub(crate) fn flush(&mut self, stream: LogStream, sink: &LogSink) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            emit(&line, stream, sink);
        }
    }
}

fn emit(line: &[u8], stream: LogStream, sink: &LogSink) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    sink(stream, &String::from_utf8_lossy(line));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn collecting() -> (LogSink, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = lines.clone();
        let sink: LogSink = Arc::new(move |_, line: &str| {
            if let Ok(mut v) = seen.lock() {
                v.push(line.to_string());
            }
        });
        (sink, lines)
    }

    #[test]
    fn lines_split_across_chunks_arrive_whole() {
        let (sink, lines) = collecting();
        let mut buf = LineBuffer::default();
        buf.push(b"hel", LogStream::Stdout, &sink);
        buf.push(b"lo\nwor", LogStream::Stdout, &sink);
        buf.push(b"ld\r\n\nlast", LogStream::Stdout, &sink);
        buf.flush(LogStream::Stdout, &sink);
        let got = lines.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(got, vec!["hello", "world", "", "last"]);
    }

    #[test]
    fn flush_of_empty_buffer_sends_nothing() {
        let (sink, lines) = collecting();
        let mut buf = LineBuffer::default();
        buf.push(b"done\n", LogStream::Stderr, &sink);
        buf.flush(LogStream::Stderr, &sink);
        let got = lines.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(got, vec!["done"]);
    }
}
