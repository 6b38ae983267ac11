//! Finds and loads the plugin each stage `uses`.

use seamless_core::config::PluginRef;
use seamless_engine::{LoadedPlugin, PluginEngine};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The label of a plugin reference, as `seamless.toml` writes it.
pub fn label(r: &PluginRef) -> String {
    match r {
        PluginRef::Builtin(name) => format!("builtin:{name}"),
        PluginRef::File(path) => path.display().to_string(),
        PluginRef::Approval => seamless_core::config::APPROVAL_GATE.to_string(),
    }
}

/// Loaded plugins by label; a plugin that could not be loaded maps to the message
/// that fails the stages using it.
pub type PluginMap = BTreeMap<String, Result<Arc<LoadedPlugin>, String>>;

/// Loads every distinct plugin once. A plugin that cannot be loaded maps to the
/// message that fails the stages using it.
pub async fn load_all<'a>(
    engine: &PluginEngine,
    refs: impl IntoIterator<Item = &'a PluginRef>,
) -> PluginMap {
    let mut out = BTreeMap::new();
    for r in refs {
        let key = label(r);
        if out.contains_key(&key) {
            continue;
        }
        let loaded = match r {
            PluginRef::Builtin(name) => match seamless_builtins::builtin(name) {
                Some(bytes) => engine.load(&key, bytes).await.map_err(|e| e.to_string()),
                None => Err(format!("there is no built-in plugin '{name}'")),
            },
            PluginRef::File(path) => engine.load_file(path).await.map_err(|e| e.to_string()),
            // The approval gate is the engine's own; it has no plugin.
            PluginRef::Approval => continue,
        };
        out.insert(key, loaded.map(Arc::new));
    }
    out
}
