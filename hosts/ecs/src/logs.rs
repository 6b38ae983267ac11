//! Streams a task's CloudWatch log into the stage log while the task runs
//! (`GetLogEvents` from the head, following forward tokens), and drains it after the
//! task stops, so no line is lost or repeated. Fargate's `awslogs` driver merges
//! stdout and stderr into one stream; every line arrives as stdout.

use std::time::Duration;

use seamless_host_api::{LogSink, LogStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Clients;
use crate::action::Action;
use crate::call::call;
use crate::retry::Failure;

/// How often a running task's log is read, and how long to wait after the task
/// stopped for lines still on their way. The wait between reads starts at `poll`
/// and doubles while nothing new arrives, up to `poll_max`: CloudWatch Logs allows
/// an account few `GetLogEvents` per second, and many stages run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogTiming {
    /// The wait between reads after lines arrived.
    pub poll: Duration,
    /// The longest wait between reads.
    pub poll_max: Duration,
    /// The wait after the task stopped before the last read.
    pub grace: Duration,
}

impl Default for LogTiming {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            poll_max: Duration::from_secs(10),
            grace: Duration::from_secs(2),
        }
    }
}

/// Where a task's log lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSource {
    /// The log group.
    pub group: String,
    /// The log stream: `<prefix>/<container>/<task id>`.
    pub stream: String,
}

/// A running follower of one task's log.
pub struct Follower {
    finish: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl Follower {
    /// Starts copying `source` into `sink`.
    pub fn start(clients: Clients, source: LogSource, sink: LogSink, timing: LogTiming) -> Self {
        let (finish, finishing) = watch::channel(false);
        let handle = tokio::spawn(follow(clients, source, sink, timing, finishing));
        Self { finish, handle }
    }

    /// Reads what is left (the task has stopped) and returns once it is copied.
    pub async fn finish(self) {
        self.finish.send_replace(true);
        if let Err(e) = self.handle.await {
            tracing::warn!(error = %e, "the log follower failed");
        }
    }

    /// Stops following without reading the rest.
    pub fn abandon(self) {
        self.handle.abort();
    }
}

async fn follow(
    clients: Clients,
    source: LogSource,
    sink: LogSink,
    timing: LogTiming,
    mut finishing: watch::Receiver<bool>,
) {
    let mut token: Option<String> = None;
    let mut graced = false;
    let mut wait = timing.poll;
    loop {
        match read_page(&clients, &source, &mut token, &sink).await {
            Page::Lines => {
                wait = timing.poll;
                continue;
            }
            Page::Unreadable => return,
            Page::Empty => {}
        }
        if *finishing.borrow() {
            if graced {
                return;
            }
            // Lines may still be on their way from the stopped task.
            graced = true;
            tokio::time::sleep(timing.grace).await;
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = finishing.changed() => {}
        }
        wait = (wait * 2).min(timing.poll_max);
    }
}

/// What one read found.
enum Page {
    /// Events, handed on: read again at once.
    Lines,
    /// Nothing new.
    Empty,
    /// The log cannot be read (said in the stage log); stop reading.
    Unreadable,
}

/// Reads one page after `token`, hands its lines to `sink` and moves `token` on. A
/// stream that does not exist yet (the task has not written) reads as empty.
async fn read_page(
    clients: &Clients,
    source: &LogSource,
    token: &mut Option<String>,
    sink: &LogSink,
) -> Page {
    let request = clients
        .logs
        .get_log_events()
        .log_group_name(&source.group)
        .log_stream_name(&source.stream)
        .start_from_head(true)
        .set_next_token(token.clone());
    let page = match call(Action::GetLogEvents, || request.clone().send()).await {
        Ok(page) => page,
        Err(e) if e.is_not_found() => return Page::Empty,
        Err(e) if e.failure() == Failure::Transient => return Page::Empty,
        Err(e) => {
            let message = e.into_host_error().to_string();
            sink(
                LogStream::Stderr,
                &format!("seamless: cannot read the task's log: {message}"),
            );
            return Page::Unreadable;
        }
    };
    let events = page.events();
    for event in events {
        for line in event.message().unwrap_or_default().lines() {
            sink(LogStream::Stdout, line);
        }
    }
    if let Some(next) = page.next_forward_token() {
        *token = Some(next.to_owned());
    }
    if events.is_empty() {
        Page::Empty
    } else {
        Page::Lines
    }
}
