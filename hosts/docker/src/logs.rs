//! Follows a container's output and hands it to a [`LogSink`] line by line.

use crate::lines::LineBuffer;
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use seamless_host_api::{LogSink, LogStream};
use tokio::task::JoinHandle;

/// Starts a task that follows stdout and stderr of container `id` until it exits.
/// The task ends when the engine closes the stream, after flushing partial lines.
pub(crate) fn follow(docker: Docker, id: String, sink: LogSink) -> JoinHandle<()> {
    tokio::spawn(async move {
        let options = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .build();
        let mut stream = docker.logs(&id, Some(options));
        let mut stdout = LineBuffer::default();
        let mut stderr = LineBuffer::default();
        while let Some(item) = stream.next().await {
            match item {
                Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                    stdout.push(&message, LogStream::Stdout, &sink);
                }
                Ok(LogOutput::StdErr { message }) => {
                    stderr.push(&message, LogStream::Stderr, &sink);
                }
                Ok(LogOutput::StdIn { .. }) => {}
                Err(err) => {
                    tracing::warn!(container = %id, error = %err, "docker log stream ended early");
                    break;
                }
            }
        }
        stdout.flush(LogStream::Stdout, &sink);
        stderr.flush(LogStream::Stderr, &sink);
    })
}
