//! Waiting for stage tasks: one poller per host asks `DescribeTasks` about every task
//! anyone waits for, up to 100 in one call, so polling stays at one call per interval
//! however many stages run at once. The interval starts at [`Intervals::min`] and
//! grows while nothing changes, up to [`Intervals::max`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use seamless_host_api::HostError;
use tokio::sync::{Notify, watch};

use crate::action::Action;
use crate::call::call;
use crate::retry::Failure;
use crate::stop::{self, Stopped};
use crate::{BACKEND, Clients};

/// `DescribeTasks` takes at most this many tasks.
const BATCH: usize = 100;

/// How often the poller asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    /// The wait after a change.
    pub min: Duration,
    /// The longest wait, reached while nothing changes.
    pub max: Duration,
}

impl Default for Intervals {
    fn default() -> Self {
        Self {
            min: Duration::from_secs(1),
            max: Duration::from_secs(5),
        }
    }
}

/// How a task ended, as `DescribeTasks` reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskEnd {
    /// The task's `stopCode`.
    pub stop_code: Option<String>,
    /// The task's `stoppedReason`.
    pub stopped_reason: Option<String>,
    /// The stage container's `reason`.
    pub container_reason: Option<String>,
    /// The stage container's exit code.
    pub exit_code: Option<i32>,
}

impl TaskEnd {
    /// The stage's exit code, or the error that explains the stop.
    pub fn outcome(&self) -> Result<i64, HostError> {
        stop::outcome(&Stopped {
            stop_code: self.stop_code.as_deref(),
            stopped_reason: self.stopped_reason.as_deref(),
            container_reason: self.container_reason.as_deref(),
            exit_code: self.exit_code,
        })
    }
}

type Ending = Option<Result<TaskEnd, String>>;

struct Shared {
    clients: Clients,
    cluster: String,
    container: &'static str,
    intervals: Intervals,
    waiting: Mutex<HashMap<String, watch::Sender<Ending>>>,
    wake: Notify,
    polls: AtomicU64,
}

/// Waits for tasks to stop.
pub struct Watcher {
    shared: Arc<Shared>,
    poller: OnceLock<tokio::task::JoinHandle<()>>,
}

impl Watcher {
    /// A watcher of tasks in `cluster` whose stage container is named `container`.
    pub fn new(
        clients: Clients,
        cluster: String,
        container: &'static str,
        intervals: Intervals,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                clients,
                cluster,
                container,
                intervals,
                waiting: Mutex::new(HashMap::new()),
                wake: Notify::new(),
                polls: AtomicU64::new(0),
            }),
            poller: OnceLock::new(),
        }
    }

    /// How many `DescribeTasks` calls the poller has made.
    pub fn polls(&self) -> u64 {
        self.shared.polls.load(Ordering::Relaxed)
    }

    /// Starts watching `task` (an ARN); watching one twice is watching it once.
    pub fn watch(&self, task: &str) -> watch::Receiver<Ending> {
        let receiver = {
            let mut waiting = lock(&self.shared.waiting);
            match waiting.get(task) {
                Some(sender) => sender.subscribe(),
                None => {
                    let (sender, receiver) = watch::channel(None);
                    waiting.insert(task.to_owned(), sender);
                    receiver
                }
            }
        };
        self.poller
            .get_or_init(|| tokio::spawn(poll(self.shared.clone())));
        self.shared.wake.notify_one();
        receiver
    }

    /// Waits until `task` has stopped and says how it ended.
    pub async fn wait(&self, task: &str) -> Result<TaskEnd, HostError> {
        let mut receiver = self.watch(task);
        let ended = receiver
            .wait_for(Option::is_some)
            .await
            .map_err(|_| HostError::Backend {
                backend: BACKEND,
                message: "the task poller stopped".into(),
            })?
            .clone();
        match ended {
            Some(Ok(end)) => Ok(end),
            Some(Err(message)) => Err(HostError::Backend {
                backend: BACKEND,
                message,
            }),
            None => unreachable_ending(),
        }
    }
}

fn unreachable_ending() -> Result<TaskEnd, HostError> {
    Err(HostError::Backend {
        backend: BACKEND,
        message: "the task poller ended without an answer".into(),
    })
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(poller) = self.poller.get() {
            poller.abort();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The poller: asks about every watched task each interval until none is left.
async fn poll(shared: Arc<Shared>) {
    let mut interval = shared.intervals.min;
    loop {
        let tasks: Vec<String> = {
            let mut waiting = lock(&shared.waiting);
            waiting.retain(|_, sender| !sender.is_closed());
            waiting.keys().cloned().collect()
        };
        if tasks.is_empty() {
            shared.wake.notified().await;
            interval = shared.intervals.min;
            continue;
        }
        tokio::time::sleep(interval).await;
        let mut changed = false;
        for batch in tasks.chunks(BATCH) {
            changed |= describe(&shared, batch).await;
        }
        interval = if changed {
            shared.intervals.min
        } else {
            interval.mul_f64(1.5).min(shared.intervals.max)
        };
    }
}

/// Asks about one batch and settles the tasks that ended; true if any did.
async fn describe(shared: &Shared, batch: &[String]) -> bool {
    shared.polls.fetch_add(1, Ordering::Relaxed);
    let request = shared
        .clients
        .ecs
        .describe_tasks()
        .cluster(&shared.cluster)
        .set_tasks(Some(batch.to_vec()));
    let answer = match call(Action::DescribeTasks, || request.clone().send()).await {
        Ok(answer) => answer,
        Err(e) if e.failure() == Failure::Transient => {
            tracing::warn!(error = %e.message, "DescribeTasks failed; asking again later");
            return false;
        }
        Err(e) => {
            let message = e.into_host_error().to_string();
            let mut waiting = lock(&shared.waiting);
            for task in batch {
                if let Some(sender) = waiting.remove(task) {
                    sender.send_replace(Some(Err(message.clone())));
                }
            }
            return true;
        }
    };
    let mut ended = Vec::new();
    for task in answer.tasks() {
        if task.last_status() != Some("STOPPED") {
            continue;
        }
        let Some(arn) = task.task_arn() else { continue };
        let container = task
            .containers()
            .iter()
            .find(|c| c.name() == Some(shared.container))
            .or_else(|| task.containers().first());
        let end = TaskEnd {
            stop_code: task.stop_code().map(|c| c.as_str().to_owned()),
            stopped_reason: task.stopped_reason().map(str::to_owned),
            container_reason: container.and_then(|c| c.reason()).map(str::to_owned),
            exit_code: container.and_then(|c| c.exit_code()),
        };
        ended.push((arn.to_owned(), Ok(end)));
    }
    for failure in answer.failures() {
        let Some(arn) = failure.arn() else { continue };
        let reason = failure.reason().unwrap_or("no reason");
        ended.push((
            arn.to_owned(),
            Err(format!(
                "ECS no longer knows task {arn} ({reason}); it forgets stopped tasks after \
                 about an hour"
            )),
        ));
    }
    let mut waiting = lock(&shared.waiting);
    let changed = !ended.is_empty();
    for (arn, end) in ended {
        if let Some(sender) = waiting.remove(&arn) {
            sender.send_replace(Some(end));
        }
    }
    changed
}
