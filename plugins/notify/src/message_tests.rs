use seamless_sdk::KeyValue;
use seamless_sdk::run_info::{Service, Trigger};

use super::*;

fn info(service: &str, branch: Option<&str>) -> Info {
    Info {
        run_id: "r-1".into(),
        pipeline: "shop".into(),
        trigger: Trigger::Push,
        branch: branch.map(str::to_owned),
        registry: None,
        commit_sha: "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b".into(),
        service: Service {
            name: service.into(),
            path: ".".into(),
            dockerfile: "Dockerfile".into(),
            image: "img".into(),
            commands: Vec::new(),
        },
    }
}

fn ctx(inputs: &[(&str, &str)]) -> Context {
    Context {
        stage: "notify".into(),
        config: Vec::new(),
        inputs: inputs.iter().map(|(k, v)| KeyValue::new(*k, *v)).collect(),
    }
}

fn event(event: &str, status: &str) -> RunEvent {
    RunEvent {
        event: event.into(),
        status: status.into(),
    }
}

#[test]
fn the_event_comes_from_the_inputs() {
    let r = RunEvent::from_context(&ctx(&[("run.event", "failure"), ("run.status", "failure")]));
    assert_eq!(r, Ok(event("failure", "failure")));
    let r = RunEvent::from_context(&ctx(&[("run.event", "start")]));
    assert_eq!(r, Ok(event("start", "in-progress")));
    let r = RunEvent::from_context(&ctx(&[("run.status", "success")]));
    assert_eq!(r, Ok(event("success", "success")));
    assert!(matches!(
        RunEvent::from_context(&ctx(&[])),
        Err(StageError::InvalidConfig(_))
    ));
}

#[test]
fn on_defaults_to_every_event_and_rejects_unknown_ones() {
    assert_eq!(
        parse_on(None),
        Ok(vec!["start".into(), "success".into(), "failure".into()])
    );
    assert_eq!(parse_on(Some(" failure , ")), Ok(vec!["failure".into()]));
    assert_eq!(
        parse_on(Some("failure,cancelled")),
        Ok(vec!["failure".into(), "cancelled".into()])
    );
    let Err(e) = parse_on(Some("success,done")) else {
        panic!("`done` is not an event");
    };
    assert!(e.contains("`done`"), "{e}");
}

#[test]
fn text_says_what_happened_to_which_run() {
    assert_eq!(
        text(&info("gateway", Some("main")), &event("success", "success")),
        "shop: run r-1 succeeded (push on main, commit 3f2a9c0d1e2f, service gateway)"
    );
    assert_eq!(
        text(&info("", None), &event("start", "in-progress")),
        "shop: run r-1 started (push, commit 3f2a9c0d1e2f)"
    );
    assert!(text(&info("", None), &event("failure", "failure")).contains("run r-1 failed"));
    assert!(
        text(&info("", None), &event("cancelled", "cancelled")).contains("run r-1 was cancelled")
    );
}

#[test]
fn payloads_carry_every_fact() {
    let i = info("gateway", None);
    let run = event("failure", "failure");
    assert_eq!(slack_payload(&i, &run)["text"], text(&i, &run));
    let p = webhook_payload(&i, &run);
    assert_eq!(p["event"], "failure");
    assert_eq!(p["status"], "failure");
    assert_eq!(p["pipeline"], "shop");
    assert_eq!(p["run_id"], "r-1");
    assert_eq!(p["trigger"], "push");
    assert_eq!(p["branch"], Value::Null);
    assert_eq!(p["commit_sha"], "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b");
    assert_eq!(p["service"], "gateway");
    assert_eq!(
        webhook_payload(&info("", None), &run)["service"],
        Value::Null
    );
}

#[test]
fn origin_hides_the_path() {
    assert_eq!(
        origin("https://hooks.slack.com/services/T/B/secret"),
        Ok("https://hooks.slack.com")
    );
    assert_eq!(origin("http://127.0.0.1:8080"), Ok("http://127.0.0.1:8080"));
    assert_eq!(
        origin("http://127.0.0.1:8080?x=1"),
        Ok("http://127.0.0.1:8080")
    );
    assert!(origin("ftp://x").is_err());
    assert!(origin("http:///path").is_err());
}
