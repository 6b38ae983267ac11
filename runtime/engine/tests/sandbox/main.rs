//! The sandbox's limits, exercised on the engine alone: a real component (the
//! `misbehave` fixture, built from `plugins/fixtures`) in a real wasmtime, on the local
//! host, with no `seamless` binary and no Docker. A sandbox regression fails here in
//! seconds; `tests/e2e/sandbox_limits.rs` checks the same through whole runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use seamless_core::config::{Config, Stage};
use seamless_engine::{Invocation, LoadedPlugin, Masker, PluginEngine, RunFacts, StageReport};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A loaded fixture and the workspace its stages see.
struct Sandbox {
    engine: PluginEngine,
    plugin: LoadedPlugin,
    workspace: tempfile::TempDir,
    _cache: tempfile::TempDir,
}

impl Sandbox {
    async fn new() -> Self {
        let wasm = seamless_test_support::fixtures::misbehave_wasm();
        let bytes = std::fs::read(&wasm).expect("the misbehave fixture is built");
        let cache = tempfile::tempdir().unwrap();
        let engine = PluginEngine::new(cache.path().to_owned()).unwrap();
        let plugin = engine.load("misbehave", &bytes).await.unwrap();
        Self {
            engine,
            plugin,
            workspace: tempfile::tempdir().unwrap(),
            _cache: cache,
        }
    }

    /// The stage `behaviour` as `seamless.toml` defines it with `extra` lines (grants,
    /// limits), loaded and validated like any configuration.
    fn stage(&self, behaviour: &str, extra: &str) -> Stage {
        let dir = self.workspace.path();
        let wasm = seamless_test_support::fixtures::misbehave_wasm();
        std::fs::copy(wasm, dir.join("misbehave.wasm")).unwrap();
        std::fs::write(
            dir.join("seamless.toml"),
            format!(
                "version = 1\npipeline = \"sandbox\"\n\n[[service]]\nname = \"svc\"\n\n\
                 [[stage]]\nname = \"{behaviour}\"\nuses = \"./misbehave.wasm\"\n{extra}\n\
                 [stage.with]\nbehaviour = \"{behaviour}\"\n"
            ),
        )
        .unwrap();
        let config: Config = seamless_core::config::load(dir).unwrap_or_else(|e| panic!("{e}"));
        config.stages[0].clone()
    }

    /// Invokes `stage` with `secrets`; returns its report and its log lines.
    async fn invoke(&self, stage: &Stage, secrets: &[(&str, &str)]) -> (StageReport, Vec<String>) {
        let secrets: BTreeMap<String, String> = secrets
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let masker = Masker::new(secrets.values().cloned());
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let invocation = Invocation {
            stage: stage.name.clone(),
            config: stage.with.clone(),
            inputs: BTreeMap::new(),
            run: RunFacts::default(),
            workspace: self.workspace.path().to_owned(),
            grants: stage.grants.clone(),
            limits: stage.limits.clone(),
            origin: stage.origin.clone(),
            secrets,
            masker: Arc::new(masker),
            host: Arc::new(seamless_host_local::LocalHost::new()),
            log: Arc::new(move |line| sink.lock().unwrap().push(line.text.clone())),
            labels: BTreeMap::new(),
            deploy: None,
        };
        let report = self.engine.invoke(&self.plugin, invocation).await;
        let lines = lines.lock().unwrap().clone();
        (report, lines)
    }
}

/// The failure message of a report that must have failed.
fn failure(report: &StageReport) -> String {
    match &report.result {
        Ok(summary) => panic!("the stage passed: {summary}"),
        Err(e) => e.to_string(),
    }
}

/// Checks `report`'s failure against the golden file `tests/sandbox/golden/<name>.err`
/// (the workspace's path written `<workspace>`), as the configuration's errors are
/// checked; `BLESS=1` rewrites the file (refused when `CI` is set).
fn assert_golden(sandbox: &Sandbox, name: &str, report: &StageReport) {
    let workspace = sandbox.workspace.path().display().to_string();
    let actual = format!("{}\n", failure(report).replace(&workspace, "<workspace>"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sandbox/golden")
        .join(format!("{name}.err"));
    seamless_test_support::golden::assert_golden(&path, &actual);
}

fn assert_says(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} is not in:\n{text}");
    }
}

#[tokio::test]
async fn a_well_behaved_plugin_passes_and_sets_its_output() {
    let sandbox = Sandbox::new().await;
    let (report, lines) = sandbox.invoke(&sandbox.stage("ok", ""), &[]).await;
    assert_eq!(report.result, Ok("misbehave: ok".to_owned()));
    assert_eq!(
        report.outputs.get("greeting").map(String::as_str),
        Some("hello")
    );
    assert!(
        lines.iter().any(|l| l.contains("misbehave: ok")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn memory_past_the_cap_fails_the_stage_naming_the_cap_and_its_line() {
    let sandbox = Sandbox::new().await;
    let stage = sandbox.stage("oom", "[stage.limits]\nmemory-mib = 32");
    let (report, _) = sandbox.invoke(&stage, &[]).await;
    assert_says(
        &failure(&report),
        &["memory cap of 32 MiB", "seamless.toml:"],
    );
    assert_golden(&sandbox, "memory-cap", &report);
}

#[tokio::test]
async fn a_plugin_that_never_returns_is_stopped_at_its_time_limit() {
    let sandbox = Sandbox::new().await;
    let stage = sandbox.stage("spin", "[stage.limits]\ntimeout = \"1s\"");
    let (report, _) = sandbox.invoke(&stage, &[]).await;
    assert_says(&failure(&report), &["time limit of 1s"]);
    assert_golden(&sandbox, "time-limit", &report);
}

#[tokio::test]
async fn a_panic_fails_the_stage_and_the_engine_runs_the_next_invocation() {
    let sandbox = Sandbox::new().await;
    let (report, _) = sandbox.invoke(&sandbox.stage("panic", ""), &[]).await;
    assert_says(&failure(&report), &["plugin 'misbehave'", "crashed"]);
    let (after, _) = sandbox.invoke(&sandbox.stage("ok", ""), &[]).await;
    assert!(after.result.is_ok(), "{:?}", after.result);
}

#[tokio::test]
async fn starting_a_container_without_the_grant_is_refused_with_the_line_to_add() {
    let sandbox = Sandbox::new().await;
    let (report, _) = sandbox.invoke(&sandbox.stage("containers", ""), &[]).await;
    assert_says(&failure(&report), &["containers", "[stage.grants]"]);
    assert_golden(&sandbox, "ungranted-containers", &report);
}

#[tokio::test]
async fn the_workspace_is_read_only_unless_granted() {
    let sandbox = Sandbox::new().await;
    let out = sandbox.workspace.path().join("out.txt");
    let (report, _) = sandbox.invoke(&sandbox.stage("write-file", ""), &[]).await;
    assert_says(&failure(&report), &["cannot write /workspace/out.txt"]);
    assert_golden(&sandbox, "read-only-workspace", &report);
    assert!(!out.exists(), "written without workspace-write");

    let granted = sandbox.stage("write-file", "[stage.grants]\nworkspace-write = true");
    let (report, _) = sandbox.invoke(&granted, &[]).await;
    assert!(report.result.is_ok(), "{:?}", report.result);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "written by misbehave\n"
    );
}

#[tokio::test]
async fn the_sandbox_shows_no_environment_and_nothing_outside_the_workspace() {
    // The plugin looks for the host's environment and files, and fails naming any
    // it finds. Its control: the environment here is not empty.
    assert!(std::env::vars().next().is_some());
    let sandbox = Sandbox::new().await;
    let (report, _) = sandbox
        .invoke(&sandbox.stage("probe-sandbox", ""), &[])
        .await;
    assert_eq!(
        report.result,
        Ok("sandbox holds: no environment, nothing outside /workspace".to_owned())
    );
}

#[tokio::test]
async fn a_granted_secret_never_reaches_the_log_unmasked() {
    let sandbox = Sandbox::new().await;
    let stage = sandbox.stage(
        "leak-secret",
        "[stage.grants]\nsecrets = [\"API_TOKEN\"]\ncontainers = true\n\
         [secrets.API_TOKEN]\nfrom-env = \"SEAMLESS_SANDBOX_TEST_TOKEN\"",
    );
    let secret = "s3cr3t-value-for-the-sandbox-test";
    let (_, lines) = sandbox.invoke(&stage, &[("API_TOKEN", secret)]).await;
    let log = lines.join("\n");
    // Its control: the plugin did log the lines that carry the token.
    assert_says(
        &log,
        &[
            "log: the token is",
            "stdout: the token is",
            "stderr: the token is",
        ],
    );
    assert!(!log.contains(secret), "the secret leaked:\n{log}");
}

/// The engine's refusal to load `bytes`, against `tests/sandbox/golden/<name>.err`.
async fn assert_load_golden(name: &str, bytes: &[u8]) {
    let cache = tempfile::tempdir().unwrap();
    let engine = PluginEngine::new(cache.path().to_owned()).unwrap();
    let err = match engine.load(name, bytes).await {
        Ok(_) => panic!("{name} loaded"),
        Err(e) => e.to_string(),
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sandbox/golden")
        .join(format!("{name}.err"));
    seamless_test_support::golden::assert_golden(&path, &format!("{err}\n"));
}

#[tokio::test]
async fn a_file_that_is_not_a_component_is_refused_with_what_it_is() {
    assert_load_golden("not-a-component", b"#!/bin/sh\necho hello\n").await;
    // A core module is WebAssembly, but not a component.
    assert_load_golden("core-module", b"\0asm\x01\0\0\0").await;
}

#[tokio::test]
async fn a_plugin_built_for_a_newer_contract_is_refused_with_both_versions() {
    let wasm = seamless_test_support::fixtures::future_version_wasm();
    let bytes = std::fs::read(&wasm).expect("the future-version fixture is built");
    assert_load_golden("future-contract", &bytes).await;
}
