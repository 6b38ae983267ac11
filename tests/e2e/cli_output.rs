//! `--output json` of the real binary, checked against JSON schemas: the API's view
//! types from its OpenAPI document (`runs`, `show`, `logs`, `deployments`), and the
//! schemas below for what only the command line prints (validate's diagnostics,
//! tokens, pinned plugins, doctor's checks).

use crate::support::{Scratch, create_token};
use serde_json::{Value, json};
use utoipa::OpenApi;

/// A pipeline whose one stage runs `true` on the local host: a run in a second.
const QUICK: &str = "version = 1\npipeline = \"quick\"\n\n[[service]]\nname = \"svc\"\n\
                     [service.commands]\ncheck = \"echo checked\"\n\n\
                     [[stage]]\nname = \"check\"\nuses = \"builtin:command\"\n\
                     [stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"check\"\n";

/// The schema of the API's component `name`, with the components it refers to.
fn api_schema(name: &str) -> Value {
    let doc = serde_json::to_value(seamless_server::api::ApiDoc::openapi()).unwrap();
    json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": doc["components"].clone(),
    })
}

/// A list of the API's component `name`.
fn api_list_schema(name: &str) -> Value {
    let mut schema = api_schema(name);
    let item = schema.as_object_mut().unwrap().remove("$ref").unwrap();
    schema["type"] = json!("array");
    schema["items"] = json!({ "$ref": item });
    schema
}

/// The errors of `instance` against `schema`, as text.
fn violations(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema)
        .unwrap_or_else(|e| panic!("not a valid schema: {e}\n{schema:#}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_matches(schema: &Value, instance: &Value) {
    let errors = violations(schema, instance);
    assert!(
        errors.is_empty(),
        "{instance:#}\ndoes not match its schema:\n{}",
        errors.join("\n")
    );
}

/// Stdout as one JSON document.
fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

/// Stdout as JSON lines.
fn json_lines(stdout: &str) -> Vec<Value> {
    stdout.lines().map(json_of).collect()
}

/// A finished local run of [`QUICK`]; its id.
fn quick_run(s: &Scratch) -> String {
    s.write("seamless.toml", QUICK);
    let run = s.run(&["--host", "local"]);
    assert_eq!(run.code, 0, "{}", run.all());
    run.run_id()
}

#[test]
fn runs_show_and_logs_print_the_api_schema_as_json() {
    let s = Scratch::empty();
    let id = quick_run(&s);

    // Both spellings give the same document.
    for flag in [&["--output", "json"][..], &["--json"][..]] {
        let mut args = vec!["runs"];
        args.extend_from_slice(flag);
        let out = s.seamless(&args, &[]);
        assert_eq!(out.code, 0, "{}", out.all());
        let page = json_of(&out.stdout);
        assert_matches(&api_schema("RunPage"), &page);
        assert_eq!(page["runs"][0]["id"], json!(id), "{page:#}");
        assert_eq!(page["runs"][0]["status"], json!("success"), "{page:#}");
    }
    // The schema is not vacuous: a page without runs does not match it.
    assert!(!violations(&api_schema("RunPage"), &json!({"next": null})).is_empty());

    let out = s.seamless(&["show", &id, "--output", "json"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    let detail = json_of(&out.stdout);
    assert_matches(&api_schema("RunDetail"), &detail);
    assert_eq!(detail["stages"][0]["stage"], json!("check"), "{detail:#}");
    assert_eq!(detail["stages"][0]["attempts"], json!(1), "{detail:#}");

    let out = s.seamless(&["logs", &id, "--json"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    let lines = json_lines(&out.stdout);
    let schema = api_schema("LogLineView");
    for line in &lines {
        assert_matches(&schema, line);
    }
    assert!(
        lines.iter().any(|l| l["line"] == json!("checked")),
        "{}",
        out.stdout
    );

    let out = s.seamless(&["deployments", "svc", "--output", "json"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    let revisions = json_of(&out.stdout);
    assert_matches(&api_list_schema("RevisionView"), &revisions);
    assert_eq!(revisions, json!([]), "the service never deployed");
}

#[test]
fn show_prints_each_stage_with_its_status_duration_and_attempts() {
    let s = Scratch::empty();
    let id = quick_run(&s);
    let out = s.seamless(&["show", &id], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains(&format!("run {id}  success")),
        "{}",
        out.all()
    );
    let row = out
        .stdout
        .lines()
        .find(|l| l.starts_with("svc/check"))
        .unwrap_or_else(|| panic!("no svc/check row:\n{}", out.stdout));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[1], "success", "{row}");
    assert!(cells[2].ends_with('s'), "a duration: {row}");
    assert_eq!(cells[3], "1", "one attempt: {row}");
    assert!(out.stdout.contains("approval: none"), "{}", out.stdout);

    let missing = s.seamless(&["show", "no-such-run"], &[]);
    assert_eq!(missing.code, 1, "{}", missing.all());
    assert!(missing.stderr.contains("there is no run 'no-such-run'"));
}

/// What `seamless validate --output json` prints for each problem.
fn diagnostic_schema() -> Value {
    json!({
        "type": "object",
        "required": ["file", "line", "column", "code", "message"],
        "additionalProperties": false,
        "properties": {
            "file": {"type": "string"},
            "line": {"type": "integer", "minimum": 0},
            "column": {"type": "integer", "minimum": 0},
            "code": {"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$"},
            "message": {"type": "string", "minLength": 1}
        }
    })
}

#[test]
fn validate_prints_one_json_diagnostic_per_problem_with_the_same_exit_code() {
    let s = Scratch::empty();
    s.write(
        "seamless.toml",
        "version = 1\npipeline = \"p\"\n\n[[service]]\nname = \"svc\"\n",
    );
    let path = s.path().to_str().unwrap();
    let text = s.seamless(&["validate", path], &[]);
    let out = s.seamless(&["validate", path, "--output", "json"], &[]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert_eq!(out.code, text.code);
    let diagnostics = json_lines(&out.stdout);
    assert_eq!(diagnostics.len(), 1, "{}", out.stdout);
    for d in &diagnostics {
        assert_matches(&diagnostic_schema(), d);
    }
    let d = &diagnostics[0];
    assert_eq!(d["code"], json!("missing-dockerfile"), "{d:#}");
    assert_eq!(
        (d["line"].clone(), d["column"].clone()),
        (json!(5), json!(8))
    );
    // The text names the same place.
    assert!(
        text.stderr
            .contains("seamless.toml:5:8: service 'svc' has no Dockerfile")
    );

    s.write(
        "seamless.toml",
        "version = 1\npipeline = \"p\"\ncolour = \"red\"\n",
    );
    let out = s.seamless(&["validate", path, "--json"], &[]);
    assert_eq!(out.code, 2, "{}", out.all());
    let d = &json_lines(&out.stdout)[0];
    assert_matches(&diagnostic_schema(), d);
    assert_eq!(d["code"], json!("unknown-key"), "{d:#}");

    s.write("Dockerfile", "FROM seamless/busybox\n");
    s.write(
        "seamless.toml",
        "version = 1\npipeline = \"p\"\n\n[[service]]\nname = \"svc\"\n",
    );
    let out = s.seamless(&["validate", path, "--json"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(out.stdout, "", "a valid file has no diagnostics");
}

#[test]
fn token_list_prints_json_without_token_values() {
    let s = Scratch::empty();
    let token = create_token(s.data.path(), "ci-bot", "viewer");
    let out = s.seamless(&["token", "list", "--output", "json"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(!out.stdout.contains(&token), "the value is never listed");
    let schema = json!({
        "type": "array",
        "items": {
            "type": "object",
            "required": ["id", "name", "role", "created_at", "last_used_at", "revoked_at"],
            "additionalProperties": false,
            "properties": {
                "id": {"type": "string", "pattern": "^tok_"},
                "name": {"type": "string"},
                "role": {"enum": ["viewer", "operator"]},
                "created_at": {"type": "integer"},
                "last_used_at": {"type": ["integer", "null"]},
                "revoked_at": {"type": ["integer", "null"]}
            }
        }
    });
    let tokens = json_of(&out.stdout);
    assert_matches(&schema, &tokens);
    assert_eq!(tokens[0]["name"], json!("ci-bot"), "{tokens:#}");
    assert_eq!(tokens[0]["role"], json!("viewer"), "{tokens:#}");
}

#[test]
fn plugin_list_prints_pinned_plugins_as_json() {
    let s = Scratch::empty();
    s.write(
        "seamless.lock",
        "version = 1\n\n[[plugin]]\nreference = \"127.0.0.1:5001/lint:1\"\n\
         digest = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"\n\
         name = \"lint\"\nversion = \"1.0.0\"\ncapabilities = [\"containers\"]\n",
    );
    let config = s.path().join("seamless.toml");
    let args = [
        "plugin",
        "list",
        "--config",
        config.to_str().unwrap(),
        "--json",
    ];
    let out = s.seamless(&args, &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    let schema = json!({
        "type": "array",
        "items": {
            "type": "object",
            "required": ["reference", "digest", "name", "version", "capabilities", "stored"],
            "additionalProperties": false,
            "properties": {
                "reference": {"type": "string"},
                "digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
                "name": {"type": "string"},
                "version": {"type": "string"},
                "capabilities": {"type": "array", "items": {"type": "string"}},
                "stored": {"type": "boolean"}
            }
        }
    });
    let pinned = json_of(&out.stdout);
    assert_matches(&schema, &pinned);
    assert_eq!(pinned[0]["name"], json!("lint"), "{pinned:#}");
    assert_eq!(pinned[0]["stored"], json!(false), "{pinned:#}");
}
