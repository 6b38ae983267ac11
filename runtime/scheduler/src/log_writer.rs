//! Writes log lines to the store in batches, on a thread of its own, so that a
//! chatty container never waits for SQLite.

use seamless_store::{NewLogLine, Store};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

/// Most lines written in one transaction.
const BATCH: usize = 512;

/// A handle that accepts lines; dropping every sender and calling [`LogWriter::finish`]
/// flushes the rest.
pub struct LogWriter {
    tx: Sender<NewLogLine>,
    thread: Option<JoinHandle<()>>,
}

impl LogWriter {
    /// Starts the writer thread.
    pub fn start(store: Arc<Store>) -> Self {
        let (tx, rx) = channel::<NewLogLine>();
        let thread = std::thread::Builder::new()
            .name("seamless-log-writer".into())
            .spawn(move || drain(&store, &rx))
            .ok();
        Self { tx, thread }
    }

    /// A sender for lines.
    pub fn sender(&self) -> Sender<NewLogLine> {
        self.tx.clone()
    }

    /// Waits until every line sent so far is stored.
    pub fn finish(mut self) {
        let (tx, _) = channel();
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn drain(store: &Store, rx: &Receiver<NewLogLine>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(line) => batch.push(line),
                Err(_) => break,
            }
        }
        if let Err(e) = store.append_logs(&batch) {
            tracing::error!(error = %e, lines = batch.len(), "could not store log lines");
        }
    }
}
