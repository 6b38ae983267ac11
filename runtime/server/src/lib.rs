//! The `seamless serve` HTTP server (the guide is `runtime/server/README.md`):
//! - [`webhooks`]: `POST /webhooks/github` verifies (each pipeline its own secret),
//!   deduplicates and queues deliveries as [`webhooks::TriggerRequest`]s;
//! - [`dispatch`]: the one way a run starts, for webhooks and the API alike: admission
//!   (at most `max_runs` at once, the others wait in turn), the server's parallelism,
//!   the run id once planned, and the commit statuses at the end ([`github`]);
//! - [`worker`]: takes queued requests, selects the services whose files changed
//!   (through bare mirrors, [`mirror`]), plans the runs and starts them through
//!   [`dispatch`];
//! - [`api`]: the REST API under `/api/v1` with its OpenAPI document, bearer tokens and
//!   roles, and the server-sent event stream fed by [`live`];
//! - [`login`]: the dashboard's GitHub OAuth login, sessions and CSRF; [`dashboard`]: its
//!   embedded files; [`api::metrics`]: `/metrics`;
//! - [`registry`]: the pipelines served; [`resume`]: on start, carries on every unfinished run whose process died;
//! - [`app`]: the router; [`serve()`]: binds, serves and stops gracefully.
//!
//! Stopping (SIGTERM or Ctrl-C) stops accepting deliveries and exits without cancelling
//! anything: runs in progress keep their state in the store, and the next `seamless
//! serve` (or `seamless resume`) carries them on.

pub mod api;
pub mod app;
pub mod dashboard;
pub mod dispatch;
mod git_query;
pub mod github;
pub mod live;
pub mod login;
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
