//! `seamless.toml`: its raw schema, its validated model, and the loader that turns one
//! into the other while reporting every error at once.
//!
//! The format is documented in `runtime/core/CONFIG.md`.

mod defaults;
mod duration;
pub mod ecs;
mod error;
mod load;
mod location;
mod model;
mod schema;
mod validate;

pub use defaults::{DEFAULT_PIPELINE_ORIGIN, DEFAULT_PIPELINE_TOML, default_stages};
pub use duration::{DurationError, parse_duration};
pub use error::{ConfigError, ConfigErrors};
pub use load::{CONFIG_FILE_NAME, load, parse};
pub use location::line_col;
pub use model::{
    APPROVAL_GATE, Config, Grants, KNOWN_BUILTINS, Limits, MergeMethod, PluginRef, PluginTrust,
    RetryPolicy, Scope, SecretSource, Service, Stage, StageOrigin, Target, Trigger, Triggers, When,
};
pub(crate) use validate::valid_registry_url;
