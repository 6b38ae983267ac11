//! The retry policy through the real AWS SDK: a loopback stand-in answers each ECS
//! call with a scripted error (moto cannot throttle), and the host's `call` must
//! retry throttling, stop at once on `AccessDenied`, and give up after its last try.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use seamless_host_ecs::action::Action;
use seamless_host_ecs::call::call_with;
use seamless_host_ecs::retry::MAX_ATTEMPTS;
use seamless_host_ecs::{Clients, Endpoint};

/// Answers the first `failures` requests with the AWS error `code` (HTTP `status`),
/// and the rest with an active cluster. Returns the endpoint and the request count.
async fn stand_in(code: &'static str, status: u16, failures: usize) -> (Clients, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let mut headers = HeaderMap::new();
            headers.insert(
                "content-type",
                "application/x-amz-json-1.1".parse().unwrap(),
            );
            if n < failures {
                headers.insert("x-amzn-errortype", code.parse().unwrap());
                let body = format!(r#"{{"__type":"{code}","message":"scripted {code}"}}"#);
                (StatusCode::from_u16(status).unwrap(), headers, body)
            } else {
                let body =
                    r#"{"clusters":[{"clusterName":"seamless","status":"ACTIVE"}],"failures":[]}"#;
                (StatusCode::OK, headers, body.to_owned())
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let endpoint = Endpoint {
        url,
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
    };
    (Clients::load("eu-west-1", Some(&endpoint)).await, seen)
}

async fn describe(clients: &Clients) -> Result<usize, String> {
    let request = clients.ecs.describe_clusters().clusters("seamless");
    call_with(
        Action::DescribeClusters,
        || request.clone().send(),
        |_| Duration::ZERO,
    )
    .await
    .map(|out| out.clusters().len())
    .map_err(|e| e.into_host_error().to_string())
}

#[tokio::test]
async fn throttled_calls_are_tried_again_until_they_succeed() {
    let (clients, seen) = stand_in("ThrottlingException", 400, 2).await;
    assert_eq!(describe(&clients).await, Ok(1));
    assert_eq!(seen.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn server_errors_are_tried_again_too() {
    let (clients, seen) = stand_in("ServerException", 500, 1).await;
    assert_eq!(describe(&clients).await, Ok(1));
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn throttling_that_does_not_stop_fails_after_the_last_try() {
    let (clients, seen) = stand_in("ThrottlingException", 400, usize::MAX).await;
    let error = describe(&clients).await.unwrap_err();
    assert_eq!(seen.load(Ordering::SeqCst), MAX_ATTEMPTS as usize);
    assert!(
        error.contains("ecs:DescribeClusters kept failing after 6 tries"),
        "{error}"
    );
}

#[tokio::test]
async fn access_denied_is_not_retried_and_names_the_permission() {
    let (clients, seen) = stand_in("AccessDeniedException", 400, usize::MAX).await;
    let error = describe(&clients).await.unwrap_err();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    assert!(error.contains("ecs:DescribeClusters was denied"), "{error}");
    assert!(error.contains("iam-policy.json"), "{error}");
}
