//! The ECS host: stage containers as AWS Fargate tasks (issue 11).
//!
//! - [`host`]: [`EcsHost`], the `ContainerHost` whose containers are Fargate tasks;
//! - [`tasks`]: `RunTask` with overrides, tags and `startedBy`; finding a run's tasks;
//! - [`watch`]: one batched `DescribeTasks` poller for every waiting stage;
//! - [`logs`]: CloudWatch log streaming into the stage log, drained at the end;
//! - [`deploy`]: deploys that update an ECS service, watched through its rollout;
//! - [`build`]: image builds as Kaniko tasks that push to ECR;
//! - [`registry`]: ECR repositories, and the digest of an image;
//! - [`task_defs`]: one task definition per [`shape::TaskShape`], remembered by key;
//! - [`workspace`]: an EFS access point per run;
//! - [`call`] and [`retry`]: every AWS call, retried on throttling and 5xx, failing
//!   with the IAM action or `[hosts.ecs]` key to fix;
//! - [`action`]: every AWS action the host calls, which `iam-policy.json` must allow;
//! - [`stop`]: a stopped task's `stopCode` and reasons, as an exit code or an error.
//!
//! The options it runs with are `[hosts.ecs]` (`seamless_core::config::ecs`).

pub mod action;
pub mod build;
pub mod call;
pub mod clients;
pub mod deploy;
pub mod host;
pub mod logs;
pub mod registry;
pub mod retry;
pub mod shape;
pub mod stop;
pub mod task_defs;
pub mod tasks;
pub mod watch;
pub mod workspace;

pub use clients::{Clients, Endpoint};
pub use host::{EcsHost, Timing};
pub use task_defs::{HostMemory, MemoryCache};

/// The backend name in messages.
pub const BACKEND: &str = "ecs";
