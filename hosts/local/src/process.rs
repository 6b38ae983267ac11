//! Starts one local process and supervises it until it ends.
//!
//! Each process leads a process group of its own, so that stopping it, or its own
//! exit, also ends whatever it started in the background, as the end of a container
//! would. A supervisor task owns the child, forwards its output line by line and
//! publishes the exit code once both output streams are drained.

use seamless_host_api::{LogSink, LogStream};
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Notify, watch};

/// A running (or finished) process as seen by the host.
pub(crate) struct Supervised {
    /// Asks the supervisor to kill the process group.
    pub(crate) kill: Arc<Notify>,
    /// `Some(exit code)` once the process has ended and its output is drained.
    pub(crate) exit: watch::Receiver<Option<i64>>,
}

/// Spawns `command`, which must be set up apart from its stdio, and supervises it.
pub(crate) fn spawn(mut command: Command, logs: LogSink) -> std::io::Result<Supervised> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn()?;
    let readers = [
        child
            .stdout
            .take()
            .map(|out| tokio::spawn(forward(out, LogStream::Stdout, logs.clone()))),
        child
            .stderr
            .take()
            .map(|err| tokio::spawn(forward(err, LogStream::Stderr, logs))),
    ];
    let kill = Arc::new(Notify::new());
    let (tx, exit) = watch::channel(None);
    let stop = kill.clone();
    tokio::spawn(async move {
        let group = child.id();
        let status = supervise(&mut child, group, &stop).await;
        // End what the process left running, then drain its output.
        kill_group(group);
        for reader in readers.into_iter().flatten() {
            let _ = reader.await;
        }
        let code = match status {
            Ok(status) => exit_code(status),
            Err(err) => {
                tracing::warn!(error = %err, "waiting for a local process failed");
                -1
            }
        };
        let _ = tx.send(Some(code));
    });
    Ok(Supervised { kill, exit })
}

/// Waits for the child to exit, or kills it when asked to.
async fn supervise(
    child: &mut Child,
    group: Option<u32>,
    stop: &Notify,
) -> std::io::Result<ExitStatus> {
    let exited = tokio::select! {
        status = child.wait() => Some(status),
        () = stop.notified() => None,
    };
    match exited {
        Some(status) => status,
        None => {
            kill_group(group);
            let _ = child.start_kill();
            child.wait().await
        }
    }
}

/// Sends SIGKILL to the process group led by `leader`; a group already gone is fine.
fn kill_group(leader: Option<u32>) {
    let pid = leader
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// The exit code, or 128 + the signal for a process ended by a signal, as a shell
/// reports it; -1 if neither is known.
fn exit_code(status: ExitStatus) -> i64 {
    match (status.code(), status.signal()) {
        (Some(code), _) => i64::from(code),
        (None, Some(signal)) => 128 + i64::from(signal),
        (None, None) => -1,
    }
}

/// Sends each line read from `reader` to `logs`, the last one even without a newline.
async fn forward(reader: impl AsyncRead + Unpin, stream: LogStream, logs: LogSink) {
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) => break,
            Ok(_) => {
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                logs(stream, &String::from_utf8_lossy(text));
            }
            Err(err) => {
                tracing::warn!(error = %err, "reading a local process's output failed");
                break;
            }
        }
    }
}
