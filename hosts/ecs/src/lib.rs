//! The ECS host: stage containers as AWS Fargate tasks and deploys to ECS services
//! (issue 11). This crate grows in parts; what exists so far is the logic that needs
//! no AWS call:
//!
//! - [`action`]: every AWS action the host calls, which `iam-policy.json` must allow;
//! - [`retry`]: which AWS errors are retried (throttling, 5xx) with jittered backoff,
//!   and what the others say to fix;
//! - [`stop`]: what a stopped task's `stopCode`, `stoppedReason` and container exit
//!   mean for the stage, as a clear error or an exit code;
//! - [`shape`]: the container shape a task definition is registered for once and
//!   reused, and the family name it is registered under.
//!
//! The options it runs with are `[hosts.ecs]` (`seamless_core::config::ecs`).

pub mod action;
pub mod retry;
pub mod shape;
pub mod stop;

/// The backend name in messages.
pub const BACKEND: &str = "ecs";
