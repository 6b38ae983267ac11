//! What the API handlers share.

use std::sync::Arc;

use super::metrics::Metrics;
use crate::dispatch::Dispatcher;
use crate::live::Hub;
use crate::registry::Pipelines;
use crate::runtime::Runtime;

/// The API's shared state.
#[derive(Clone)]
pub struct ApiState {
    /// The store, engine and hosts.
    pub runtime: Runtime,
    /// Starts runs (the API's actions, as the webhook worker's).
    pub runs: Arc<Dispatcher>,
    /// The pipelines the server carries out.
    pub pipelines: Arc<Pipelines>,
    /// The live feed.
    pub hub: Arc<Hub>,
    /// The metrics.
    pub metrics: Arc<Metrics>,
}
