//! The event stream: replay, live, and resume after the last event id.

use super::support::*;

async fn sse(res: Response<Incoming>, n: usize) -> Vec<(String, String, Value)> {
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut body = res.into_body();
    let mut text = String::new();
    let mut events = Vec::new();
    while events.len() < n {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events arrived: {events:?}", events.len()))
            .unwrap()
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
        while let Some((block, rest)) = text.split_once("\n\n") {
            let (mut id, mut name, mut data) = (String::new(), String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.into();
                }
                if let Some(v) = line.strip_prefix("event: ") {
                    name = v.into();
                }
                if let Some(v) = line.strip_prefix("data: ") {
                    data = v.into();
                }
            }
            if !name.is_empty() {
                events.push((id, name, serde_json::from_str(&data).unwrap()));
            }
            text = rest.to_string();
        }
    }
    events
}

fn summary(events: &[(String, String, Value)]) -> Vec<String> {
    events
        .iter()
        .map(|(_, name, d)| match name.as_str() {
            "log" => format!("log {}", d["line"].as_str().unwrap()),
            "stage" => format!(
                "stage {} {}",
                d["stage"].as_str().unwrap(),
                d["status"].as_str().unwrap()
            ),
            _ => format!("run {}", d["status"].as_str().unwrap()),
        })
        .collect()
}

#[tokio::test]
async fn the_event_stream_replays_then_follows_and_resumes_after_the_last_id() {
    let api = start().await;
    let key = api.run("r1", "main");
    api.log(&key, "first");
    let other = api.run("r2", "main");

    // A subscription to one run starts at its beginning, then follows it live.
    let res = api
        .send(
            Method::GET,
            "/api/v1/events?run=r1",
            Some(&api.viewer),
            None,
        )
        .await;
    let reader = tokio::spawn(sse(res, 6));
    tokio::time::sleep(Duration::from_millis(300)).await;
    api.log(&other, "not this run's");
    api.log(&key, "second");
    api.store.transition(&key, StageEvent::Succeed).unwrap();
    api.store.finish_run("r1", RunStatus::Success).unwrap();
    let events = reader.await.unwrap();
    assert_eq!(
        summary(&events),
        [
            "run in-progress",
            "stage build in-progress",
            "log first",
            "log second",
            "stage build success",
            "run success"
        ]
    );
    let build_done = &events[4].2;
    assert!(build_done["duration_ms"].is_i64(), "{build_done}");

    // Reconnecting after the third event gives exactly the rest.
    let last_id = &events[2].0;
    let res = api
        .client
        .request(
            Request::get(format!("http://{}/api/v1/events?run=r1", api.addr))
                .header("authorization", format!("Bearer {}", api.viewer))
                .header("last-event-id", last_id.as_str())
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    let again = sse(res, 3).await;
    assert_eq!(summary(&again), summary(&events[3..]));
    assert_eq!(
        again.iter().map(|e| &e.0).collect::<Vec<_>>(),
        events[3..].iter().map(|e| &e.0).collect::<Vec<_>>()
    );

    // Following everything starts now and sees every run.
    let res = api
        .send(
            Method::GET,
            "/api/v1/events?no_logs=true",
            Some(&api.viewer),
            None,
        )
        .await;
    let reader = tokio::spawn(sse(res, 2));
    tokio::time::sleep(Duration::from_millis(300)).await;
    api.log(&other, "left out");
    api.store.transition(&other, StageEvent::Fail).unwrap();
    api.store.finish_run("r2", RunStatus::Failure).unwrap();
    assert_eq!(
        summary(&reader.await.unwrap()),
        ["stage build failure", "run failure"]
    );

    let (status, body) = api.get("/api/v1/events?after=garbage", &api.viewer).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (status, _) = api.get("/api/v1/events?run=ghost", &api.viewer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_stages_log_is_followed_from_a_line_until_the_run_ends() {
    let api = start().await;
    let key = api.run("r1", "main");
    api.log(&key, "before");
    let (_, page) = api.get("/api/v1/runs/r1/logs", &api.viewer).await;
    let after = page["after"].as_i64().unwrap();
    let approval = StageKey {
        stage: "approval".into(),
        ..key.clone()
    };
    let path = format!("/api/v1/runs/r1/logs?follow=true&stage=build&after={after}");
    let res = api.send(Method::GET, &path, Some(&api.viewer), None).await;
    let reader = tokio::spawn(sse(res, 3));
    tokio::time::sleep(Duration::from_millis(300)).await;
    api.log(&approval, "another stage's line");
    api.log(&key, "after");
    api.store.transition(&key, StageEvent::Succeed).unwrap();
    api.store.finish_run("r1", RunStatus::Success).unwrap();
    let events = reader.await.unwrap();
    // The run's statuses (no stage changes), and only the build's lines after `after`.
    assert_eq!(
        summary(&events),
        ["run in-progress", "log after", "run success"]
    );
}
