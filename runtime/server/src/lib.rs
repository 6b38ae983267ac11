//! The `seamless serve` HTTP server.
//!
//! One server carries out one pipeline (the `seamless.toml` it was started with):
//! - [`webhooks`]: `POST /webhooks/github` verifies, deduplicates and queues
//!   deliveries as [`webhooks::TriggerRequest`]s;
//! - [`worker`]: takes queued requests, decides whether they run, selects the services
//!   whose files changed (through bare mirrors of the repositories, [`mirror`]), plans
//!   and carries the runs out, at most `max_runs` at once;
//! - [`github`]: with a GitHub token, posts each run's commit statuses (`pending`, then
//!   `success`, `failure` or `error`, as context `seamless/<pipeline>`) and merges a
//!   pull request whose run passed when `[triggers.pull-request] auto-merge` is on, in
//!   the background (retried, never failing or delaying a run); the API base URL is
//!   configurable, so tests use a local stand-in;
//! - [`resume`]: on start, carries on every unfinished run whose process died;
//! - [`app`]: the router; [`serve()`]: binds, serves and stops gracefully.
//!
//! Several pipelines per server come with the REST API, which manages them; until then
//! a team runs one server per pipeline (each with its own `--listen` address and
//! webhook secret, and they may share a data directory).
//!
//! The GitHub token is held in this process's memory only. Stages never see the
//! server's environment (plugins get no environment variables; the local host clears
//! commands' environment but for `PATH` and `HOME`; Docker containers get only their
//! spec's), and secrets reach only the stages granted them, so a stage sees the token
//! only if `seamless.toml` declares it as a secret and grants it.
//!
//! Stopping (SIGTERM or Ctrl-C) stops accepting deliveries and exits without cancelling
//! anything: runs in progress keep their state in the store, and the next `seamless
//! serve` (or `seamless resume`) carries them on.

pub mod api;
pub mod app;
pub mod dashboard;
pub mod github;
pub mod http_client;
pub mod launch;
pub mod live;
pub mod login;
pub mod metrics;
pub mod mirror;
pub mod pipeline;
pub mod registry;
pub mod resume;
pub mod runtime;
mod serve;
pub mod webhooks;
pub mod worker;

pub use pipeline::Pipeline;
pub use runtime::{HostResolver, Runtime};
pub use serve::{
    DEFAULT_LOG_RETENTION, DEFAULT_QUEUE_CAPACITY, ServeOptions, serve, shutdown_signal,
};
