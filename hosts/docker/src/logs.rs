//! Carries a container's output to a [`LogSink`] line by line.
//!
//! The output is read from an attach made before the container starts, not from
//! `logs(follow)`: a follow of the log file can end before the engine has written a
//! last line that lacks a newline, while an attach ends only after all output is copied.
//! The attach asks for live output only (as `docker run` does): asking for the log
//! history too can deliver early lines twice when the container starts during the
//! attach.

use crate::errors::backend;
use crate::lines::LineBuffer;
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::AttachContainerOptionsBuilder;
use futures_util::{Stream, StreamExt};
use seamless_host_api::{HostError, LogSink, LogStream};
use std::pin::Pin;
use tokio::task::JoinHandle;

/// The attached output of a created container.
pub(crate) type Output =
    Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

/// Attaches to stdout and stderr of container `id`; call before starting it.
pub(crate) async fn attach(docker: &Docker, id: &str) -> Result<Output, HostError> {
    let options = AttachContainerOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .stream(true)
        .build();
    let attached = docker
        .attach_container(id, Some(options))
        .await
        .map_err(|err| backend(&format!("attaching to container '{id}'"), err))?;
    Ok(attached.output)
}

/// Starts a task that sends `output` to `sink` until the container exits, then flushes
/// the partial last lines.
pub(crate) fn forward(id: String, mut output: Output, sink: LogSink) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut stdout = LineBuffer::default();
        let mut stderr = LineBuffer::default();
        while let Some(item) = output.next().await {
            match item {
                Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                    stdout.push(&message, LogStream::Stdout, &sink);
                }
                Ok(LogOutput::StdErr { message }) => {
                    stderr.push(&message, LogStream::Stderr, &sink);
                }
                Ok(LogOutput::StdIn { .. }) => {}
                Err(err) => {
                    tracing::warn!(container = %id, error = %err, "docker output stream ended early");
                    break;
                }
            }
        }
        stdout.flush(LogStream::Stdout, &sink);
        stderr.flush(LogStream::Stderr, &sink);
    })
}
