use super::*;

#[test]
fn healthy_only_after_enough_2xx_in_a_row() {
    let mut p = HealthPolicy::new(2);
    assert!(!p.record(Probe::Status(200)));
    assert!(!p.record(Probe::Status(503)));
    assert!(!p.record(Probe::Status(204)));
    assert!(!p.record(Probe::Unreachable("refused".into())));
    assert!(!p.record(Probe::Status(200)));
    assert!(p.record(Probe::Status(299)));
    assert!(p.healthy());
}

#[test]
fn redirects_and_errors_do_not_pass() {
    assert!(!Probe::Status(301).passed());
    assert!(!Probe::Status(199).passed());
    assert!(Probe::Status(200).passed());
}

#[test]
fn zero_needed_still_needs_one_probe() {
    let mut p = HealthPolicy::new(0);
    assert!(!p.healthy());
    assert!(p.record(Probe::Status(200)));
}

#[test]
fn last_probe_is_described() {
    let mut p = HealthPolicy::new(2);
    assert_eq!(p.last_probe(), "no probe ran");
    p.record(Probe::Status(404));
    assert_eq!(p.last_probe(), "HTTP 404");
    p.record(Probe::Unreachable("connection refused".into()));
    assert_eq!(p.last_probe(), "no answer (connection refused)");
}

#[test]
fn throttle_lets_one_message_through_per_period() {
    let mut t = Throttle::new(Duration::from_secs(5));
    assert!(t.ready(Duration::from_millis(0)));
    assert!(!t.ready(Duration::from_millis(4_999)));
    assert!(t.ready(Duration::from_secs(5)));
    assert!(!t.ready(Duration::from_secs(6)));
    assert!(t.ready(Duration::from_secs(11)));
}

#[test]
fn timeout_reason_names_service_env_last_probe_and_what_serves() {
    let r = timeout_reason(
        "gateway",
        "staging",
        Duration::from_secs(60),
        "HTTP 404",
        None,
    );
    assert_eq!(
        r,
        "the new version of gateway never became healthy in staging within 60s \
         (last probe: HTTP 404); nothing keeps serving"
    );
    let r = timeout_reason(
        "gateway",
        "prod",
        Duration::from_secs(5),
        "HTTP 500",
        Some("revision r7 (gateway:abc)"),
    );
    assert!(
        r.ends_with("revision r7 (gateway:abc) keeps serving"),
        "{r}"
    );
}

#[test]
fn short_image_keeps_the_name_and_a_short_tag_or_digest() {
    assert_eq!(
        short_image("127.0.0.1:5001/shop/gateway:3f2a9c0d1e2f3a4b5c6d"),
        "gateway:3f2a9c0d1e2f"
    );
    assert_eq!(
        short_image("127.0.0.1:5001/shop/gateway@sha256:0123456789abcdef0123"),
        "gateway@sha256:0123456789ab"
    );
    assert_eq!(short_image("gateway"), "gateway");
    assert_eq!(short_image("localhost:5000/gw"), "gw");
}
