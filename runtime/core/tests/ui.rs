//! Golden tests of config errors: every `tests/ui/invalid/*.toml` must fail to load
//! with exactly the errors in the `.err` file beside it, and every
//! `tests/ui/valid/*.toml` must load. Run with `BLESS=1` to rewrite the `.err` files.

use std::fs;
use std::path::{Path, PathBuf};

use seamless_core::config::load;

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
    let bless = std::env::var_os("BLESS").is_some_and(|v| v == "1");
    // CI checks the fixtures; it never rewrites them.
    assert!(
        !(bless && std::env::var_os("CI").is_some()),
        "BLESS=1 rewrites the expected errors; refused because CI is set"
    );
    let files = toml_files("tests/ui/invalid");
    assert!(!files.is_empty(), "no invalid fixtures found");
    let mut failures = Vec::new();
    for file in &files {
        let actual = match load(file) {
            Ok(_) => "<loaded without errors>\n".to_string(),
            Err(errors) => format!("{errors}\n"),
        };
        let expected_path = file.with_extension("err");
        if bless {
            if let Err(error) = fs::write(&expected_path, &actual) {
                panic!("cannot write {}: {error}", expected_path.display());
            }
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            failures.push(format!(
                "{}\n--- expected ({})\n{expected}--- actual\n{actual}",
                file.display(),
                expected_path.display()
            ));
        }
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
