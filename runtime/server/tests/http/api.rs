//! The REST API: tokens and roles, decisions, run pages, logs, pipelines, OpenAPI.

use super::support::*;
#[tokio::test]
async fn requests_without_a_valid_token_are_refused() {
    let api = start().await;
    api.run("r1", "main");
    let (status, body) = api.call(Method::GET, "/api/v1/runs", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error_code(&body), "unauthorized");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("seamless token create")
    );

    let (status, _) = api.get("/api/v1/runs", "seamless_not-a-real-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api
        .call(Method::POST, "/api/v1/runs/r1/approve", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(api.store.approval("r1").unwrap().is_none());

    api.store.revoke_token("id-vera").unwrap();
    let (status, _) = api.get("/api/v1/runs", &api.viewer).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked token");

    let (status, me) = api.get("/api/v1/me", &api.operator).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me, json!({"name": "otto", "role": "operator"}));
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_approve_and_an_operator_can_once() {
    let api = start().await;
    api.run("r1", "main");
    api.store
        .set_run_status("r1", RunStatus::AwaitingApproval)
        .unwrap();

    let (status, body) = api
        .post("/api/v1/runs/r1/approve", &api.viewer, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "forbidden");
    assert!(
        api.store.approval("r1").unwrap().is_none(),
        "nothing recorded"
    );
    let (status, _) = api
        .post("/api/v1/runs/r1/cancel", &api.viewer, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!api.store.cancel_requested("r1").unwrap());

    let (status, body) = api
        .post(
            "/api/v1/runs/r1/approve",
            &api.operator,
            json!({"reason": "looks good"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], "r1");
    let approval = api.store.approval("r1").unwrap().unwrap();
    assert!(approval.approved);
    assert_eq!(approval.decided_by, "otto");

    let (status, body) = api
        .post("/api/v1/runs/r1/reject", &api.operator, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already approved by otto")
    );

    let (status, detail) = api.get("/api/v1/runs/r1", &api.viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["approval"]["decided_by"], "otto");
    assert_eq!(detail["run"]["status"], "awaiting-approval");
    assert_eq!(detail["stages"][0]["stage"], "build");
    assert_eq!(detail["stages"][0]["status"], "in-progress");
    assert!(detail["stages"][0]["duration_ms"].is_i64());
    assert_eq!(detail["stages"][1]["status"], "idle");

    api.store.finish_run("r1", RunStatus::Success).unwrap();
    let (status, _) = api
        .post("/api/v1/runs/r1/cancel", &api.operator, json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an ended run cannot be cancelled"
    );
    let (status, body) = api
        .post("/api/v1/runs/nope/approve", &api.operator, json!({}))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, body) = api
        .call(
            Method::POST,
            "/api/v1/runs/r1/approve",
            Some(&api.operator),
            Some(json!({"reason": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn runs_are_filtered_and_paginated() {
    let api = start().await;
    for i in 0..5 {
        api.run(
            &format!("r{i}"),
            if i % 2 == 0 { "main" } else { "feature" },
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    api.store.finish_run("r4", RunStatus::Failure).unwrap();
    let ids = |v: &Value| -> Vec<String> {
        v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, page) = api.get("/api/v1/runs?limit=2", &api.viewer).await;
    assert_eq!(ids(&page), ["r4", "r3"]);
    assert_eq!(page["next"], "r3");
    let (_, page) = api.get("/api/v1/runs?limit=2&before=r3", &api.viewer).await;
    assert_eq!(ids(&page), ["r2", "r1"]);
    let (_, page) = api.get("/api/v1/runs?limit=2&before=r1", &api.viewer).await;
    assert_eq!(ids(&page), ["r0"]);
    assert!(page["next"].is_null());
    let (_, page) = api
        .get("/api/v1/runs?branch=main&status=in-progress", &api.viewer)
        .await;
    assert_eq!(ids(&page), ["r2", "r0"]);
    let (_, page) = api
        .get(
            "/api/v1/runs?status=failure&service=web&trigger=push&pipeline=shop",
            &api.viewer,
        )
        .await;
    assert_eq!(ids(&page), ["r4"]);
    let (_, page) = api.get("/api/v1/runs?service=other", &api.viewer).await;
    assert!(ids(&page).is_empty());

    for bad in [
        "status=done",
        "limit=0",
        "limit=9999",
        "limit=x",
        "before=ghost",
    ] {
        let (status, body) = api.get(&format!("/api/v1/runs?{bad}"), &api.viewer).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{bad}: {status} {body}"
        );
        assert!(body["error"]["message"].is_string(), "{bad}: {body}");
    }
    let (status, body) = api.get("/api/v1/nothing-here", &api.viewer).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

#[tokio::test]
async fn logs_are_read_page_by_page() {
    let api = start().await;
    let key = api.run("r1", "main");
    for i in 0..7 {
        api.log(&key, &format!("line {i}"));
    }
    let (status, page) = api
        .get(
            "/api/v1/runs/r1/logs?service=web&stage=build&limit=3",
            &api.viewer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let lines = |v: &Value| -> Vec<String> {
        v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["line"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(lines(&page), ["line 0", "line 1", "line 2"]);
    assert_eq!(page["more"], true);
    let after = page["after"].as_i64().unwrap();
    let (_, page) = api
        .get(
            &format!("/api/v1/runs/r1/logs?after={after}&limit=10"),
            &api.viewer,
        )
        .await;
    assert_eq!(lines(&page).len(), 4);
    assert_eq!(page["more"], false);
    let (_, page) = api
        .get("/api/v1/runs/r1/logs?stage=approval", &api.viewer)
        .await;
    assert!(lines(&page).is_empty());
    let (status, _) = api.get("/api/v1/runs/r1/logs?after=-1", &api.viewer).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_openapi_document_is_public_and_lists_the_routes() {
    let api = start().await;
    let (status, text) = api
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/runs",
        "/api/v1/runs/{id}",
        "/api/v1/runs/{id}/approve",
        "/api/v1/events",
        "/api/v1/pipelines",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn pipelines_show_no_secret_and_changes_need_an_operator_and_a_valid_config() {
    let api = start().await;
    let (status, text) = api
        .call(Method::GET, "/api/v1/pipelines", Some(&api.viewer), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !text.contains(SECRET)
            && !text.contains("value-not-shown")
            && !text.contains("DB_PASSWORD"),
        "{text}"
    );
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list[0]["name"], "shop");
    assert_eq!(list[0]["webhook_secret_set"], true);
    assert_eq!(list[0]["secrets"], json!(["db"]));
    assert_eq!(list[0]["services"][0]["env"], json!(["API_KEY"]));
    let (status, svc) = api
        .get("/api/v1/pipelines/shop/services/web", &api.viewer)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(svc["service"]["name"], "web");
    assert_eq!(svc["revisions"], json!([]));
    let (status, _) = api
        .get("/api/v1/pipelines/shop/services/nope", &api.viewer)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let path = other.path().join("seamless.toml");
    std::fs::write(
        &path,
        "version = 1\npipeline = \"blog\"\n\n[[service]]\nname = \"Bad Name\"\n",
    )
    .unwrap();
    let body = json!({"config_path": path.display().to_string(), "webhook_secret": "0123456789abcdef0123"});
    let (status, _) = api
        .post("/api/v1/pipelines", &api.viewer, body.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, err) = api
        .post("/api/v1/pipelines", &api.operator, body.clone())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("seamless.toml:5:"),
        "{err}"
    );

    std::fs::write(
        &path,
        "version = 1\npipeline = \"blog\"\n\n[[service]]\nname = \"posts\"\n",
    )
    .unwrap();
    let (status, created) = api
        .post("/api/v1/pipelines", &api.operator, body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "blog");
    assert!(!created.to_string().contains("0123456789abcdef0123"));
    let (status, _) = api.post("/api/v1/pipelines", &api.operator, body).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = api
        .call(
            Method::DELETE,
            "/api/v1/pipelines/blog",
            Some(&api.operator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.get("/api/v1/pipelines/blog", &api.viewer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(api.store.pipeline("blog").unwrap().is_none());
    let _ = &api.repo;
}

#[tokio::test]
async fn metrics_need_a_token_and_count_runs_and_stage_durations() {
    let api = start().await;
    let (status, _) = api.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let key = api.run("r1", "main");
    api.run("r2", "main");
    api.store.finish_run("r2", RunStatus::Failure).unwrap();
    api.store.transition(&key, StageEvent::Succeed).unwrap();
    let mut text = String::new();
    for _ in 0..100 {
        let (status, body) = api
            .call(Method::GET, "/metrics", Some(&api.viewer), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        text = body;
        if text.contains("seamless_stage_duration_seconds_count{stage=\"build\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for expected in [
        "seamless_runs{status=\"in-progress\"} 1",
        "seamless_runs{status=\"failure\"} 1",
        "seamless_stage_duration_seconds_count{stage=\"build\"} 1",
        "# TYPE seamless_plugin_instantiate_seconds histogram",
        "seamless_queue_depth 0",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

#[tokio::test]
async fn services_are_written_to_a_local_seamless_toml_only_when_it_stays_valid() {
    let api = start().await;
    let file = api.repo.path().join("seamless.toml");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("# kept by every edit\n{original}")).unwrap();
    let body = json!({"commands": {"test": "true"}, "port": 8080, "env": {"MODE": "fast"}});

    let (status, _) = api
        .call(
            Method::PUT,
            "/api/v1/pipelines/shop/services/api",
            Some(&api.viewer),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, text) = api
        .call(
            Method::PUT,
            "/api/v1/pipelines/shop/services/api",
            Some(&api.operator),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (created["name"].as_str(), created["port"].as_i64()),
        (Some("api"), Some(8080))
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("# kept by every edit\n"), "{written}");
    assert!(
        written.contains("name = \"api\"") && written.contains("MODE = \"fast\""),
        "{written}"
    );
    let (_, services) = api
        .get("/api/v1/pipelines/shop/services", &api.viewer)
        .await;
    let names: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web", "api"]);

    // Replacing keeps one entry; an invalid service is refused and nothing is written.
    let (status, _) = api
        .call(
            Method::PUT,
            "/api/v1/pipelines/shop/services/api",
            Some(&api.operator),
            Some(json!({"port": 9090})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = std::fs::read_to_string(&file).unwrap();
    assert_eq!(before.matches("name = \"api\"").count(), 1, "{before}");
    let (status, text) = api
        .call(
            Method::PUT,
            "/api/v1/pipelines/shop/services/Bad_Name",
            Some(&api.operator),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("seamless.toml:"), "file:line:col in {text}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        before,
        "the file is untouched"
    );

    let (status, _) = api
        .call(
            Method::DELETE,
            "/api/v1/pipelines/shop/services/api",
            Some(&api.operator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api
        .get("/api/v1/pipelines/shop/services/api", &api.viewer)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A configuration that a git repository holds is changed there, not here.
    seamless_test_support::git::git(api.repo.path(), &["init", "-q"]);
    let (status, text) = api
        .call(
            Method::PUT,
            "/api/v1/pipelines/shop/services/api",
            Some(&api.operator),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    assert!(text.contains("git repository"), "{text}");
}
