//! A stage plugin written in Python (componentize-py) runs against the same WIT.

use crate::support::{Scratch, python_stage_wasm};

#[test]
fn python_stage_plugin_runs_in_a_pipeline() {
    let wasm = python_stage_wasm();
    let s = Scratch::empty();
    s.write("Dockerfile", "FROM seamless/busybox\n");
    s.write(
        "seamless.toml",
        &format!(
            "version = 1\npipeline = \"poly\"\n\n[[service]]\nname = \"svc\"\n\n\
             [[stage]]\nname = \"py\"\nuses = \"{}\"\n[stage.grants]\ncontainers = true\n",
            wasm.display()
        ),
    );
    let run = s.run(&["--host", "docker"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let id = run.run_id();
    let logs = s.stored_logs(&id);
    assert!(logs.contains("hello from python"), "{logs}");
    assert!(logs.contains("from-python-container"), "{logs}");
    let py = s.stage(&id, "py");
    assert_eq!(py.summary.as_deref(), Some("python stage ran for svc"));
}
