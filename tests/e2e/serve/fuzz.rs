//! The OpenAPI document of a running server is valid, and Schemathesis (PyPI; installed
//! by scripts/test-env.sh) fuzzing every operation from it, with an operator token,
//! gets no 5xx answer.

use super::Repo;
use std::process::Command;

#[test]
fn schemathesis_gets_no_server_error_from_any_operation() {
    let repo = Repo::new("cat version.txt", "");
    // One run slot: most runs the fuzzer triggers find it taken and are queued, and the
    // API must still answer at once (Schemathesis gives up on an answer after 10 s).
    let server = repo.serve_with("fuzz", &["--max-runs", "1"], &[]);
    let token = crate::support::create_token(repo.scratch.data.path(), "fuzzer", "operator");
    let schema = format!("http://127.0.0.1:{}/api/v1/openapi.json", server.port);
    let run = Command::new("schemathesis")
        .args(["run", &schema])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", "not_a_server_error"])
        // One worker: CPython 3.11's `ast.parse` is not thread-safe (gh-106905, "AST
        // constructor recursion depth mismatch"), and Hypothesis calls it while it
        // describes strategies, so two workers fail now and then inside Schemathesis.
        .args(["--max-examples", "25", "--workers", "1"])
        .args(["--generation-deterministic", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .expect("schemathesis (pip install schemathesis; scripts/test-env.sh installs it)");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        run.status.success(),
        "schemathesis found problems:\n{report}\nserver:\n{}",
        server.log()
    );
    let tested = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Tested: "))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .unwrap_or(0);
    assert!(
        tested >= 15,
        "schemathesis tested only {tested} operations:\n{report}"
    );
}
