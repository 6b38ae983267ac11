//! Builds the engine invocation of one stage instance.

use crate::driver::RunShared;
use crate::ledger::StoreLedger;
use seamless_core::config::Stage;
use seamless_core::plan::RUN_SCOPE;
use seamless_engine::{
    DeployContext, Invocation, LoadedPlugin, LogLine, LogSource, PluginEngine, RunFacts,
    ServiceFacts, StageReport,
};
use seamless_host_api::{LABEL_COMMIT, LABEL_RUN, LABEL_SERVICE, LABEL_STAGE};
use seamless_store::NewLogLine;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything stage instance `i` of the run is given.
pub(crate) fn build(
    shared: &Arc<RunShared>,
    i: usize,
    stage: &Stage,
    inputs: BTreeMap<String, String>,
) -> Invocation {
    let req = &shared.request;
    let inst = &req.plan.instances[i];
    let service = req.config.service(&inst.service).cloned();
    let key = shared.key(i);
    let sink_shared = shared.clone();
    let sink_key = key.clone();
    let log: seamless_engine::LogLineSink = Arc::new(move |line: LogLine| {
        let stored = NewLogLine {
            key: sink_key.clone(),
            source: line.source.as_str().to_owned(),
            line: line.text.clone(),
            at: seamless_store::now_ms(),
        };
        if let Ok(tx) = sink_shared.logs.lock() {
            let _ = tx.send(stored);
        }
        let _ = sink_shared.events.send(crate::RunEvent::Log {
            service: sink_key.service.clone(),
            stage: sink_key.stage.clone(),
            line,
        });
    });
    let secrets = stage
        .grants
        .secrets
        .iter()
        .filter_map(|n| shared.secrets.get(n).map(|v| (n.clone(), v.clone())))
        .collect();
    let mut config = stage.with.clone();
    if let Some(env) = &stage.environment {
        config
            .entry("environment".to_string())
            .or_insert_with(|| env.clone());
    }
    let facts = service
        .as_ref()
        .map_or_else(ServiceFacts::default, |s| ServiceFacts {
            name: s.name.clone(),
            path: s.path.clone(),
            dockerfile: s.dockerfile.clone(),
            image: s.image.clone(),
            commands: s.commands.clone(),
        });
    let deploy = service.map(|service| DeployContext {
        service,
        ledger: Arc::new(StoreLedger(shared.store.clone())),
    });
    let mut labels = BTreeMap::from([
        (LABEL_RUN.to_owned(), shared.run_id.clone()),
        (LABEL_STAGE.to_owned(), key.stage.clone()),
        (LABEL_COMMIT.to_owned(), req.commit_sha.to_string()),
    ]);
    if inst.service != RUN_SCOPE {
        labels.insert(LABEL_SERVICE.to_owned(), key.service.clone());
    }
    Invocation {
        stage: stage.name.clone(),
        config,
        inputs,
        run: RunFacts {
            run_id: shared.run_id.clone(),
            pipeline: req.config.pipeline.clone(),
            trigger: req.trigger,
            branch: req.branch.clone(),
            commit_sha: req.commit_sha.clone(),
            registry: req.config.registry.clone(),
            source: req.source.clone(),
            service: facts,
        },
        workspace: shared.workspace.clone(),
        grants: stage.grants.clone(),
        limits: stage.limits.clone(),
        origin: stage.origin.clone(),
        secrets,
        masker: shared.masker.clone(),
        host: shared.host.clone(),
        log,
        labels,
        deploy,
    }
}

/// Runs one invocation, announcing the plugin in the stage log first.
pub(crate) async fn invoke(
    engine: &PluginEngine,
    plugin: &LoadedPlugin,
    notes: &[String],
    inv: Invocation,
    attempt: u32,
) -> StageReport {
    let log = inv.log.clone();
    (log)(LogLine {
        source: LogSource::Runtime,
        text: format!(
            "running plugin '{}' {} ({}, sha256 {}) (compiled: {}){}",
            plugin.manifest.name,
            plugin.manifest.version,
            plugin.source,
            &plugin.sha256[..12.min(plugin.sha256.len())],
            if plugin.from_cache {
                "from cache"
            } else {
                "now"
            },
            if attempt > 1 {
                format!(", attempt {attempt}")
            } else {
                String::new()
            }
        ),
    });
    for note in notes {
        (log)(LogLine {
            source: LogSource::Runtime,
            text: note.clone(),
        });
    }
    engine.invoke(plugin, inv).await
}
