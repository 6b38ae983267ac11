//! Runs a plan: starts ready stage instances with bounded parallelism, records
//! every transition before acting on it, skips dependents of failures, and cleans
//! up the run's containers however it ends.

mod approval;
#[cfg(test)]
mod approval_tests;
pub mod bundles;
mod driver;
mod events;
mod invocation;
mod ledger;
mod log_writer;
mod plugins;
mod readiness;
mod recovery;
mod request;
pub mod rollback;
mod run;
mod secrets;
mod workspaces;

pub use events::RunEvent;
pub use ledger::StoreLedger;
pub use request::{RunOutcome, RunRequest, stored_request};
pub use run::{Scheduler, SchedulerError, new_run_id};
