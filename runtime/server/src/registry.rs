//! The pipelines a server carries out, by name.

use std::collections::BTreeMap;
use std::sync::RwLock;

use crate::pipeline::Pipeline;

/// The server's pipelines. Reads far outnumber changes.
#[derive(Default)]
pub struct Pipelines {
    by_name: RwLock<BTreeMap<String, Pipeline>>,
}

impl Pipelines {
    /// No pipelines.
    pub fn new() -> Self {
        Self::default()
    }

    /// The pipeline called `name`.
    pub fn get(&self, name: &str) -> Option<Pipeline> {
        self.by_name.read().ok()?.get(name).cloned()
    }

    /// Every pipeline, by name.
    pub fn list(&self) -> Vec<Pipeline> {
        self.by_name
            .read()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Adds `pipeline`, or replaces the one of its name.
    pub fn insert(&self, pipeline: Pipeline) {
        if let Ok(mut m) = self.by_name.write() {
            m.insert(pipeline.config.pipeline.clone(), pipeline);
        }
    }

    /// Removes the pipeline called `name`; returns whether there was one.
    pub fn remove(&self, name: &str) -> bool {
        self.by_name
            .write()
            .map(|mut m| m.remove(name).is_some())
            .unwrap_or(false)
    }
}
