//! Runs a plan: starts ready stage instances with bounded parallelism, records
//! every transition before acting on it, skips dependents of failures, and cleans
//! up the run's containers however it ends.

mod events;
mod log_writer;
mod plugins;
mod request;
mod run;
mod secrets;

pub use events::RunEvent;
pub use request::{RunOutcome, RunRequest};
pub use run::{Scheduler, SchedulerError};
