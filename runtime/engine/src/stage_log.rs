//! The stage log: every line a plugin, its containers or the engine write, masked
//! for secrets before anyone sees it.

use crate::masking::Masker;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    /// The plugin's `log.write` at this level.
    Plugin(&'static str),
    /// The plugin's stdout.
    PluginStdout,
    /// The plugin's stderr.
    PluginStderr,
    /// A container's stdout.
    ContainerStdout,
    /// A container's stderr.
    ContainerStderr,
    /// The runtime itself.
    Runtime,
}

impl LogSource {
    /// A short name for storage and display.
    pub fn as_str(&self) -> &'static str {
        match self {
            LogSource::Plugin(level) => level,
            LogSource::PluginStdout => "stdout",
            LogSource::PluginStderr => "stderr",
            LogSource::ContainerStdout => "container",
            LogSource::ContainerStderr => "container-err",
            LogSource::Runtime => "runtime",
        }
    }
}

/// One masked log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Where it came from.
    pub source: LogSource,
    /// The text, already masked.
    pub text: String,
}

/// Receives masked log lines.
pub type LogLineSink = Arc<dyn Fn(LogLine) + Send + Sync>;

/// A stage's log: masks, splits on newlines and forwards to a sink.
#[derive(Clone)]
pub struct StageLog {
    sink: LogLineSink,
    masker: Arc<Masker>,
}

/// Lines longer than this are cut, so a plugin cannot flood memory with one line.
const MAX_LINE: usize = 16 * 1024;

impl StageLog {
    /// A log that masks with `masker` and hands lines to `sink`.
    pub fn new(sink: LogLineSink, masker: Arc<Masker>) -> Self {
        Self { sink, masker }
    }

    /// Writes text, one line per `\n`-separated piece.
    pub fn write(&self, source: LogSource, text: &str) {
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let line = truncate(line);
            (self.sink)(LogLine {
                source,
                text: self.masker.mask(line),
            });
        }
    }

    /// A writer for plugin stdout or stderr that turns bytes into lines.
    pub fn writer(&self, source: LogSource) -> LineWriter {
        LineWriter {
            log: self.clone(),
            source,
            buf: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

fn truncate(line: &str) -> &str {
    if line.len() <= MAX_LINE {
        return line;
    }
    let mut end = MAX_LINE;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

/// Buffers bytes until a newline and writes whole lines to the stage log.
#[derive(Clone)]
pub struct LineWriter {
    log: StageLog,
    source: LogSource,
    buf: Arc<Mutex<Vec<u8>>>,
}

impl LineWriter {
    fn push(&self, bytes: &[u8]) {
        let mut buf = match self.buf.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        buf.extend_from_slice(bytes);
        while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            self.log.write(
                self.source,
                String::from_utf8_lossy(&line[..line.len() - 1]).as_ref(),
            );
        }
        if buf.len() > MAX_LINE {
            let line: Vec<u8> = std::mem::take(&mut *buf);
            self.log
                .write(self.source, String::from_utf8_lossy(&line).as_ref());
        }
    }

    /// Writes out a trailing line that has no newline.
    pub fn flush_tail(&self) {
        let mut buf = match self.buf.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if !buf.is_empty() {
            let line: Vec<u8> = std::mem::take(&mut *buf);
            self.log
                .write(self.source, String::from_utf8_lossy(&line).as_ref());
        }
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl wasmtime_wasi::cli::IsTerminal for LineWriter {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for LineWriter {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn collecting() -> (StageLog, Arc<Mutex<Vec<LogLine>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l2 = lines.clone();
        let log = StageLog::new(
            Arc::new(move |l| l2.lock().unwrap().push(l)),
            Arc::new(Masker::new(["topsecret"])),
        );
        (log, lines)
    }

    #[test]
    fn writer_joins_chunks_into_masked_lines() {
        let (log, lines) = collecting();
        let w = log.writer(LogSource::PluginStdout);
        w.push(b"token=top");
        w.push(b"secret\nsecond ");
        w.push(b"line\npartial");
        w.flush_tail();
        let texts: Vec<String> = lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| l.text.clone())
            .collect();
        assert_eq!(texts, ["token=***", "second line", "partial"]);
    }
}
