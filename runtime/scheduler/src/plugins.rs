//! Finds and loads the plugin each stage `uses`.

use seamless_core::config::{Config, PluginRef};
use seamless_engine::{LoadedPlugin, PluginEngine};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::bundles;

/// The label of a plugin reference, as `seamless.toml` writes it.
fn label(r: &PluginRef) -> String {
    r.to_string()
}

/// A stage's plugin, ready to run, with what its stage log should say about where it
/// came from (the pinned bundle, its signature, a registry that could not be asked).
#[derive(Clone)]
pub struct StagePlugin {
    /// The compiled plugin.
    pub plugin: Arc<LoadedPlugin>,
    /// Lines for the stage log, before the plugin runs.
    pub notes: Arc<Vec<String>>,
}

/// Loaded plugins by stage name; a stage whose plugin could not be loaded, or may not
/// run it (a capability it does not grant), maps to the message that fails it.
pub type PluginMap = BTreeMap<String, Result<StagePlugin, String>>;

/// A plugin loaded once per run, with the bundle manifest it came with.
type Loaded = Result<(StagePlugin, Option<seamless_bundle::BundleManifest>), String>;

fn plain(plugin: LoadedPlugin) -> (StagePlugin, Option<seamless_bundle::BundleManifest>) {
    let plugin = StagePlugin {
        plugin: Arc::new(plugin),
        notes: Arc::new(Vec::new()),
    };
    (plugin, None)
}

/// Loads every distinct plugin of `config` once and checks each stage may run its plugin.
pub async fn load_all(engine: &PluginEngine, config: &Config, data_dir: &Path) -> PluginMap {
    let mut by_label: BTreeMap<String, Loaded> = BTreeMap::new();
    let mut resolver = None;
    let mut out = BTreeMap::new();
    for stage in &config.stages {
        let key = label(&stage.uses);
        if !by_label.contains_key(&key) {
            let loaded = match &stage.uses {
                PluginRef::Builtin(name) => match seamless_builtins::builtin(name) {
                    Some(bytes) => engine.load(&key, bytes).await.map_err(|e| e.to_string()),
                    None => Err(format!("there is no built-in plugin '{name}'")),
                }
                .map(plain),
                PluginRef::File(path) => engine
                    .load_file(path)
                    .await
                    .map_err(|e| e.to_string())
                    .map(plain),
                // The approval gate is the engine's own; it has no plugin.
                PluginRef::Approval => continue,
                PluginRef::Bundle(uses) => {
                    let resolver =
                        resolver.get_or_insert_with(|| bundles::resolver(config, data_dir));
                    load_bundle(engine, resolver, uses).await
                }
            };
            by_label.insert(key.clone(), loaded);
        }
        let Some(loaded) = by_label.get(&key) else {
            continue;
        };
        let entry = match loaded {
            Ok((plugin, None)) => Ok(plugin.clone()),
            Ok((plugin, Some(wanted))) => {
                bundles::check_stage(stage, &key, wanted).map(|()| plugin.clone())
            }
            Err(e) => Err(e.clone()),
        };
        out.insert(stage.name.clone(), entry);
    }
    out
}

async fn load_bundle(
    engine: &PluginEngine,
    resolver: &Result<seamless_bundle::resolve::Resolver, String>,
    uses: &str,
) -> Loaded {
    let resolved = bundles::resolve(resolver, uses).await?;
    for note in &resolved.notes {
        tracing::warn!(plugin = uses, "{note}");
    }
    let mut notes = vec![format!(
        "plugin bundle '{uses}' at {} (pinned in seamless.lock){}",
        resolved.digest,
        resolved
            .signed_by
            .as_ref()
            .map(|k| format!(", signed by trusted key {k}"))
            .unwrap_or_default()
    )];
    notes.extend(resolved.notes.iter().map(|n| format!("warning: {n}")));
    let source = format!("{uses}@{}", resolved.digest);
    let plugin = engine
        .load(&source, &resolved.bundle.component)
        .await
        .map_err(|e| e.to_string())?;
    let wanted = resolved.bundle.manifest;
    let undeclared: Vec<String> = plugin
        .manifest
        .capabilities
        .iter()
        .filter(|c| !wanted.capabilities.covers(c))
        .map(ToString::to_string)
        .collect();
    if !undeclared.is_empty() {
        return Err(format!(
            "plugin '{uses}' ({}) declares capabilities its bundle manifest does not list ({}); \
             the bundle misstates what it asks for, so it is refused. Rebuild the bundle with \
             them in plugin.toml's [capabilities]",
            resolved.digest,
            undeclared.join(", ")
        ));
    }
    let plugin = StagePlugin {
        plugin: Arc::new(plugin),
        notes: Arc::new(notes),
    };
    Ok((plugin, Some(wanted)))
}
