//! Golden tests of config errors: every `tests/ui/invalid/*.toml` must fail to load
//! with exactly the errors in the `.err` file beside it, and every
//! `tests/ui/valid/*.toml` must load. Run with `BLESS=1` to rewrite the `.err` files.

use std::fs;
use std::path::{Path, PathBuf};

use seamless_core::config::load;
use seamless_test_support::golden;

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect(),
        Err(error) => panic!("cannot read {dir}: {error}"),
    };
    files.sort();
    files
}

#[test]
fn invalid_configs_report_the_expected_errors() {
    let files = toml_files("tests/ui/invalid");
    assert!(!files.is_empty(), "no invalid fixtures found");
    let mut failures = Vec::new();
    for file in &files {
        let actual = match load(file) {
            Ok(_) => "<loaded without errors>\n".to_string(),
            Err(errors) => format!("{errors}\n"),
        };
        // BLESS=1 rewrites the `.err` files; refused when CI is set.
        failures.extend(golden::compare(&file.with_extension("err"), &actual));
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ (rerun with BLESS=1 to accept):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn valid_configs_load() {
    let files = toml_files("tests/ui/valid");
    assert!(!files.is_empty(), "no valid fixtures found");
    let failures: Vec<String> = files
        .iter()
        .filter_map(|file| load(Path::new(file)).err().map(|errors| errors.to_string()))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
