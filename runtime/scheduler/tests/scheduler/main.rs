//! The scheduler's own tests: the driver, retries, recovery after a crash and the
//! approval gate, run in seconds on the local process host (no Docker) with the real
//! built-in plugins and a real store.

#![allow(clippy::unwrap_used, missing_docs)]

mod approval;
mod driver;
mod recovery;
mod retries;
mod support;
