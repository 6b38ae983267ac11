//! A broken seamless.toml is reported with line:col and starts no run.

use crate::support::Scratch;

#[test]
fn malformed_config_gets_a_line_col_error_and_no_run_starts() {
    let s = Scratch::example("hello");
    s.write(
        "seamless.toml",
        "version = 1\npipeline = \"hello\"\n[[service]]\nname = \"hello\"\nimage = 42\n",
    );
    let run = s.run(&["--host", "local"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("seamless.toml:5:"), "{}", run.all());
    assert!(run.stderr.contains("no run was started"), "{}", run.all());
    assert!(!run.stdout.contains("seamless: run "), "{}", run.all());
    assert!(!s.data.path().join("seamless.db").exists());
}

#[test]
fn validate_reports_every_problem_at_once() {
    let s = Scratch::example("hello");
    s.write(
        "seamless.toml",
        "version = 1\npipeline = \"hello\"\n\n[[service]]\nname = \"hello\"\nimage = \"bad image\"\n\n[[stage]]\nname = \"a\"\nuses = \"builtin:command\"\nneeds = [\"ghost\"]\n",
    );
    let run = s.seamless(&["validate", s.path().to_str().unwrap()], &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("seamless.toml:6:"), "{}", run.stderr);
    assert!(run.stderr.contains("seamless.toml:11:"), "{}", run.stderr);
    assert!(run.stderr.contains("ghost"), "{}", run.stderr);
}

#[test]
fn help_works_on_every_command() {
    let s = Scratch::empty();
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["validate", "--help"],
        vec!["init", "--help"],
    ] {
        let out = std::process::Command::new(crate::support::seamless_bin())
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"));
    }
    drop(s);
}

#[test]
fn init_writes_a_config_that_validates_and_refuses_to_overwrite_it() {
    let s = Scratch::empty();
    s.write("Dockerfile", "FROM seamless/busybox\n");
    let path = s.path().to_str().unwrap();
    let first = s.seamless(&["init", path], &[]);
    assert_eq!(first.code, 0, "{}", first.all());
    let valid = s.seamless(&["validate", path], &[]);
    assert_eq!(valid.code, 0, "{}", valid.all());
    let again = s.seamless(&["init", path], &[]);
    assert_ne!(again.code, 0, "{}", again.all());
    assert!(again.stderr.contains("--force"), "{}", again.all());
}
