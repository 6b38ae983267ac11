//! Runs started through the API follow the server's rules, as webhook runs do: every
//! run gets `serve --parallel`, and `--max-runs` admits API runs in turn: a trigger at
//! a full server is answered at once with the run's id and its place in the queue, and
//! the run exists once a slot frees. The runs are real: a git checkout, the
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

{}
{}"#,
        gate.display(),
        seamless_core::config::default_stages(&["prepare"]),
        seamless_test_support::stages::command_stage("hold", &["prepare"], "hold"),
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
async fn with_max_runs_one_a_second_trigger_is_queued_until_the_first_run_ends() {
    let gate = tempfile::tempdir().unwrap();
    let gate = gate.path().join("open");
    let api = serve_hold(&gate, 1, 1).await;

    let first = api.trigger().await;
    assert!(
        !api.stored_run(&first).status.is_terminal(),
        "held at the gate"
    );
    // The second trigger is answered at once (it does not wait for the slot), with
    // the run's id and its place in the queue.
    let (status, body) = api
        .post("/api/v1/pipelines/shop/runs", &api.operator, json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["ahead"], json!(0), "first in the queue: {body}");
    let second = body["run_id"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    let (status, body) = api
        .get(&format!("/api/v1/runs/{second}"), &api.operator)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "run_queued", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("waits for a run slot"), "{message}");
    assert_eq!(
        api.run_count(),
        1,
        "the second run started beside the first"
    );

    // A third waits behind the second.
    let (_, third) = api
        .post("/api/v1/pipelines/shop/runs", &api.operator, json!({}))
        .await;
    assert_eq!(third["ahead"], json!(1), "{third}");
    let third = third["run_id"].as_str().unwrap().to_string();

    std::fs::write(&gate, "").unwrap();
    let first = api.ended(&first).await;
    let second = api.ended(&second).await;
    let third = api.ended(&third).await;
    for run in [&first, &second, &third] {
        assert_eq!(run.status, RunStatus::Success, "{}", run.id);
    }
    for (before, after) in [(&first, &second), (&second, &third)] {
        let end = before.finished_at.unwrap();
        assert!(
            after.created_at >= end,
            "run {} was created at {} before run {} ended at {end}",
            after.id,
            after.created_at,
            before.id
        );
    }
    let (status, _) = api
        .get(&format!("/api/v1/runs/{}", second.id), &api.operator)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.runs.waiting(), 0);
}
