//! Every capability against every grant form, and the pieces of the rule.

use super::*;
use crate::config::DEFAULT_PIPELINE_ORIGIN;

fn grants(edit: impl FnOnce(&mut Grants)) -> Grants {
    let mut g = Grants::default();
    edit(&mut g);
    g
}

fn http(host: &str) -> Capability {
    Capability::Http(host.into())
}

fn deploy(env: &str) -> Capability {
    Capability::Deploy(env.into())
}

fn secret(name: &str) -> Capability {
    Capability::Secret(name.into())
}

#[test]
fn every_capability_is_granted_exactly_by_the_grant_forms_that_cover_it() {
    let forms: Vec<(&str, Grants)> = vec![
        ("none", Grants::default()),
        ("containers", grants(|g| g.containers = true)),
        ("images", grants(|g| g.images = true)),
        ("networks", grants(|g| g.networks = true)),
        ("workspace-write", grants(|g| g.workspace_write = true)),
        ("secret", grants(|g| g.secrets = ["TOKEN".into()].into())),
        (
            "environment",
            grants(|g| g.deploy = ["staging".into()].into()),
        ),
        ("host", grants(|g| g.http = ["api.x".into()].into())),
        (
            "host:port",
            grants(|g| g.http = ["api.x:8443".into()].into()),
        ),
        ("wildcard", grants(|g| g.http = [ANY.into()].into())),
    ];
    // Each capability with the grant forms that allow it; every other form refuses it.
    let table: Vec<(Capability, &[&str])> = vec![
        (Capability::Containers, &["containers"]),
        (Capability::Images, &["images"]),
        (Capability::Networks, &["networks"]),
        (Capability::WorkspaceWrite, &["workspace-write"]),
        (secret("TOKEN"), &["secret"]),
        (secret("OTHER"), &[]),
        (deploy("staging"), &["environment"]),
        (deploy("production"), &[]),
        (deploy(ANY), &["environment"]),
        (http("api.x"), &["host", "wildcard"]),
        (http("api.x:443"), &["host", "wildcard"]),
        (http("API.X:8443"), &["host", "host:port", "wildcard"]),
        (http("api.x.evil"), &["wildcard"]),
        (http("evil-api.x"), &["wildcard"]),
        (http(ANY), &["host", "host:port", "wildcard"]),
    ];
    for (cap, allowed_by) in &table {
        for (form, g) in &forms {
            let expected = allowed_by.contains(form);
            assert_eq!(
                cap.is_granted(g),
                expected,
                "{cap} granted by the {form} form should be {expected}"
            );
        }
    }
}

#[test]
fn a_host_granted_without_port_is_granted_on_every_port() {
    let g = grants(|g| g.http = ["api.x".into()].into());
    assert!(http("api.x:443").is_granted(&g));
    assert!(http("api.x:80").is_granted(&g));
}

#[test]
fn a_wildcard_http_grant_allows_any_host() {
    let g = grants(|g| g.http = [ANY.into()].into());
    assert!(http("hooks.slack.com").is_granted(&g));
    assert!(http("127.0.0.1:9").is_granted(&g));
}

#[test]
fn a_host_without_port_matches_every_port_of_that_host_only() {
    assert!(host_matches("hooks.slack.com", "hooks.slack.com"));
    assert!(host_matches("hooks.slack.com", "hooks.slack.com:443"));
    assert!(host_matches("127.0.0.1:8080", "127.0.0.1:8080"));
    assert!(host_matches("[::1]", "[::1]:8080"));
    assert!(!host_matches("[::1]:80", "[::1]:8080"));
    assert!(!host_matches("127.0.0.1:8080", "127.0.0.1:8081"));
    assert!(!host_matches("127.0.0.1:8080", "127.0.0.1"));
    assert!(!host_matches("slack.com", "evil-slack.com"));
    assert!(!host_matches("slack.com", "hooks.slack.com"));
}

#[test]
fn a_declaration_covers_what_it_names_and_wildcards_cover_every_value() {
    assert!(deploy(ANY).covers(&deploy("production")));
    assert!(!deploy(ANY).covers(&http("x")));
    assert!(!deploy("staging").covers(&deploy("production")));
    assert!(http(ANY).covers(&http("a:1")));
    assert!(http("api.x").covers(&http("api.x:443")));
    assert!(!http("api.x:443").covers(&http("api.x")));
    assert!(!http("api.x").covers(&http(ANY)));
    assert!(!secret("A").covers(&secret("B")));
    assert!(Capability::Images.covers(&Capability::Images));
    assert!(!Capability::Images.covers(&Capability::Containers));
}

#[test]
fn grant_lines_name_the_toml_to_add() {
    assert_eq!(
        deploy("production").grant_line(),
        "deploy = [\"production\"]"
    );
    assert_eq!(http("127.0.0.1:9").grant_line(), "http = [\"127.0.0.1:9\"]");
    assert_eq!(http(ANY).grant_line(), "http = [\"<host>\"]");
    assert_eq!(deploy(ANY).grant_line(), "deploy = [\"<environment>\"]");
    assert_eq!(secret("T").grant_line(), "secrets = [\"T\"]");
    assert_eq!(Capability::Networks.grant_line(), "networks = true");
}

fn origin(file: &str, grants_line: Option<usize>) -> StageOrigin {
    StageOrigin {
        file: file.into(),
        line: 10,
        grants_line,
        ..StageOrigin::default()
    }
}

#[test]
fn grant_hint_points_at_the_grants_table() {
    let hint =
        Capability::Containers.grant_hint("x", &origin("examples/hello/seamless.toml", Some(12)));
    assert_eq!(
        hint,
        "add `containers = true` under [stage.grants] of stage 'x' (examples/hello/seamless.toml:12)"
    );
}

#[test]
fn grant_hint_points_at_the_stage_name_without_grants_table() {
    let hint = Capability::Images.grant_hint("build", &origin("seamless.toml", None));
    assert_eq!(
        hint,
        "add `images = true` under [stage.grants] of stage 'build' (seamless.toml:10)"
    );
}

#[test]
fn grant_hint_for_default_pipeline_says_to_define_stages() {
    let hint = Capability::Images.grant_hint("build", &origin(DEFAULT_PIPELINE_ORIGIN, Some(3)));
    assert!(hint.contains("embedded default pipeline"), "{hint}");
    assert!(hint.contains("[[stage]]"), "{hint}");
}

#[test]
fn http_grants_are_hosts_host_ports_or_the_wildcard() {
    assert_eq!(check_http_grant("API.x:8080").as_deref(), Ok("api.x:8080"));
    assert_eq!(check_http_grant("*").as_deref(), Ok("*"));
    for bad in ["", "https://api.x", "api.x/path", "a b", "*.example.com"] {
        assert!(check_http_grant(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn capabilities_are_listed_as_the_lock_file_writes_them() {
    assert_eq!(Capability::WorkspaceWrite.listed(), "workspace-write");
    assert_eq!(http("api.x").listed(), "http api.x");
    assert_eq!(secret("T").listed(), "secret T");
    assert_eq!(deploy("staging").listed(), "deploy staging");
}
