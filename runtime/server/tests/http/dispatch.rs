//! Runs started through the API follow the server's rules, as webhook runs do: every
//! run gets `serve --parallel`, and `--max-runs` admits API runs in turn (a trigger
//! waits for a run slot before its run exists). The runs are real: a git checkout, the
//! local host, and a `builtin:command` stage that holds until a gate file exists.

use crate::support::*;

/// One service, `web`, whose `hold` stage (after `prepare`) waits until the file
/// `gate` exists.
fn hold(gate: &std::path::Path) -> String {
    format!(
        r#"version = 1
pipeline = "shop"

[[service]]
name = "web"
[service.commands]
hold = "while [ ! -e '{}' ]; do sleep 0.05; done; echo through"

[[stage]]
name = "prepare"
uses = "builtin:prepare"
scope = "run"
[stage.grants]
workspace-write = true

[[stage]]
name = "hold"
uses = "builtin:command"
needs = ["prepare"]
[stage.grants]
containers = true
[stage.with]
command = "hold"
"#,
        gate.display()
    )
}

/// A server over [`hold`] with these limits.
async fn serve_hold(gate: &std::path::Path, max_parallel: usize, max_runs: usize) -> Api {
    start_serving(Serving {
        toml: hold(gate),
        git: true,
        max_parallel,
        max_runs,
        ..Serving::default()
    })
    .await
}

/// Polls `probe` until it gives something (each try 20 ms apart, at most a minute).
async fn until<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..3000 {
        if let Some(found) = probe() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("gave up waiting for {what}");
}

impl Api {
    fn stored_run(&self, id: &str) -> seamless_store::RunRecord {
        self.store.run(id).unwrap().unwrap()
    }

    async fn ended(&self, id: &str) -> seamless_store::RunRecord {
        until("the run to end", || {
            Some(self.stored_run(id)).filter(|r| r.status.is_terminal())
        })
        .await
    }

    fn run_count(&self) -> usize {
        let all = seamless_store::RunFilter::default();
        self.store.list_runs(&all).unwrap().len()
    }

    async fn trigger(&self) -> String {
        let (status, body) = self
            .post("/api/v1/pipelines/shop/runs", &self.operator, json!({}))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        body["run_id"].as_str().unwrap().to_string()
    }
}

fn stored_parallelism(run: &seamless_store::RunRecord) -> u64 {
    let request: Value = serde_json::from_str(&run.request).unwrap();
    request["max_parallel"].as_u64().unwrap()
}

#[tokio::test]
async fn triggered_and_rerun_runs_get_the_servers_parallelism() {
    let gate = tempfile::tempdir().unwrap();
    let gate = gate.path().join("open");
    std::fs::write(&gate, "").unwrap();
    let api = serve_hold(&gate, 2, 4).await;

    let first = api.trigger().await;
    let run = api.ended(&first).await;
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!(stored_parallelism(&run), 2, "serve --parallel 2");

    let (status, body) = api
        .post(
            &format!("/api/v1/runs/{first}/rerun"),
            &api.operator,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let again = api.ended(body["run_id"].as_str().unwrap()).await;
    assert_eq!(stored_parallelism(&again), 2);
}

#[tokio::test]
async fn with_max_runs_one_a_second_trigger_waits_until_the_first_run_ends() {
    let gate = tempfile::tempdir().unwrap();
    let gate = gate.path().join("open");
    let api = Arc::new(serve_hold(&gate, 1, 1).await);

    let first = api.trigger().await;
    assert!(
        !api.stored_run(&first).status.is_terminal(),
        "held at the gate"
    );
    let second = tokio::spawn({
        let api = api.clone();
        async move { api.trigger().await }
    });
    until("the second trigger to wait for a slot (or start)", || {
        (api.runs.waiting() == 1 || api.run_count() > 1).then_some(())
    })
    .await;
    assert_eq!(
        api.run_count(),
        1,
        "the second run started beside the first"
    );

    std::fs::write(&gate, "").unwrap();
    let second = second.await.unwrap();
    let (first, second) = (api.ended(&first).await, api.ended(&second).await);
    assert_eq!(
        (first.status, second.status),
        (RunStatus::Success, RunStatus::Success)
    );
    let first_end = first.finished_at.unwrap();
    assert!(
        second.created_at >= first_end,
        "the second run was created at {} before the first ended at {first_end}",
        second.created_at
    );
    assert_eq!(api.runs.waiting(), 0);
}
