use super::*;

fn check(yaml: &str) -> ComposeCheck {
    serde_norway::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn durations_in_compose_units() {
    assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(parse_duration("2.5s"), Ok(Duration::from_millis(2500)));
    assert_eq!(parse_duration("1m500ms"), Ok(Duration::from_millis(60_500)));
    assert_eq!(parse_duration("10us"), Ok(Duration::from_micros(10)));
}

#[test]
fn bad_durations_are_named() {
    for bad in ["", "5", "s", "5x", "1m30", "-1s", "1..2s"] {
        let Err(e) = parse_duration(bad) else {
            panic!("`{bad}` must not parse");
        };
        assert!(e.contains(&format!("`{bad}`")), "{e}");
    }
}

#[test]
fn cmd_runs_without_a_shell_and_times_are_mapped() {
    let c = check(
        "test: [\"CMD\", \"pg_isready\", \"-U\", \"app\"]\ninterval: 2s\ntimeout: 1s\nretries: 10\nstart_period: 1m",
    );
    let hc = healthcheck(&c)
        .unwrap_or_default()
        .unwrap_or_else(|| panic!("none"));
    assert_eq!(hc.command, vec!["pg_isready", "-U", "app"]);
    assert_eq!(
        (
            hc.interval_ms,
            hc.timeout_ms,
            hc.retries,
            hc.start_period_ms
        ),
        (2_000, 1_000, 10, 60_000)
    );
}

#[test]
fn cmd_shell_and_plain_strings_run_through_sh() {
    let c = check("test: [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]");
    let hc = healthcheck(&c)
        .unwrap_or_default()
        .unwrap_or_else(|| panic!("none"));
    assert_eq!(
        hc.command,
        vec!["sh", "-c", "curl -f http://localhost/ || exit 1"]
    );
    assert_eq!((hc.interval_ms, hc.retries), (30_000, 3));
    let c = check("test: redis-cli ping");
    let hc = healthcheck(&c)
        .unwrap_or_default()
        .unwrap_or_else(|| panic!("none"));
    assert_eq!(hc.command, vec!["sh", "-c", "redis-cli ping"]);
}

#[test]
fn none_disabled_and_bad_tests() {
    assert_eq!(healthcheck(&check("test: [\"NONE\"]")), Ok(None));
    assert_eq!(
        healthcheck(&check("test: [\"CMD\", \"x\"]\ndisable: true")),
        Ok(None)
    );
    assert!(healthcheck(&check("test: [\"RUN\", \"x\"]")).is_err());
    assert!(healthcheck(&check("test: [\"CMD\", \"x\"]\ninterval: soon")).is_err());
}

fn service(yaml: &str) -> Service {
    serde_norway::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn first_port_prefers_expose_then_ports() {
    let s = service("expose: [\"5432\"]\nports: [\"8080:80\"]");
    assert_eq!(first_port(&s), Ok(Some(5432)));
    let s = service("ports: [\"127.0.0.1:8080:80/tcp\", \"9000\"]");
    assert_eq!(first_port(&s), Ok(Some(80)));
    let s = service("ports:\n  - target: 6379\n    published: 16379");
    assert_eq!(first_port(&s), Ok(Some(6379)));
    let s = service("expose: [\"8000-8010/tcp\"]");
    assert_eq!(first_port(&s), Ok(Some(8000)));
    assert_eq!(first_port(&service("image: x")), Ok(None));
    assert!(first_port(&service("expose: [\"http\"]")).is_err());
}
