//! Turns a test command's exit code, and the JUnit report it was asked to write,
//! into the stage's result.

use seamless_sdk::{Outcome, StageError};

use crate::junit::{Report, ReportError};

/// How many failed tests a failure message names.
pub const NAMED_FAILURES: usize = 5;

/// The result of `what` (such as `` `pytest` ``) that exited with `code`. `report` is
/// `None` when no JUnit report was configured.
///
/// - no report configured: passes on exit 0, fails naming the code otherwise;
/// - a report: passes on exit 0 when no test failed, with the counts; otherwise
///   `tests-failed` with the counts and the first failed tests' names;
/// - a configured report that is missing or unreadable fails the stage, saying so.
pub fn judge(
    what: &str,
    code: i32,
    report: Option<Result<Report, ReportError>>,
) -> Result<Outcome, StageError> {
    match (code, report) {
        (0, None) => Ok(Outcome::new(format!("{what} passed"))),
        (_, None) => Err(StageError::failed(format!(
            "{what} exited with code {code}"
        ))),
        (0, Some(Ok(r))) if r.counts.failed == 0 => {
            Ok(Outcome::new(format!("{what} passed: {}", r.counts)).with_tests(r.counts))
        }
        (_, Some(Ok(r))) => {
            let exit = if code == 0 {
                "exited with code 0 but its report has failures".to_owned()
            } else {
                format!("exited with code {code}")
            };
            let mut message = format!("{what} {exit}: {}", r.counts);
            if !r.failed.is_empty() {
                message.push_str("; failed: ");
                message.push_str(&name_failures(&r.failed));
            }
            Err(StageError::tests_failed(message, r.counts))
        }
        (0, Some(Err(ReportError::Missing(path)))) => Err(StageError::failed(format!(
            "{what} passed but wrote no JUnit report at {}; make it write one there, or fix \
             `junit` under [stage.with]",
            path.display()
        ))),
        (0, Some(Err(e))) => Err(StageError::failed(format!("{what} passed, but {e}"))),
        (_, Some(Err(e))) => Err(StageError::failed(format!(
            "{what} exited with code {code} ({e})"
        ))),
    }
}

/// `a, b, c` or `a, b, c, d, e and 3 more`.
pub fn name_failures(names: &[String]) -> String {
    let shown = names
        .iter()
        .take(NAMED_FAILURES)
        .cloned()
        .collect::<Vec<_>>();
    let rest = names.len().saturating_sub(NAMED_FAILURES);
    if rest == 0 {
        shown.join(", ")
    } else {
        format!("{} and {rest} more", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use seamless_sdk::TestCounts;

    use super::*;

    fn report(passed: u32, failed: &[&str], skipped: u32) -> Report {
        Report {
            counts: TestCounts::new(passed, failed.len() as u32, skipped),
            failed: failed.iter().map(|s| (*s).to_owned()).collect(),
            files: 1,
        }
    }

    #[test]
    fn without_a_report_the_exit_code_decides() {
        let ok = judge("`make test`", 0, None);
        assert_eq!(ok, Ok(Outcome::new("`make test` passed")));
        let err = judge("`make test`", 2, None);
        assert_eq!(
            err,
            Err(StageError::failed("`make test` exited with code 2"))
        );
    }

    #[test]
    fn a_passing_report_gives_the_counts() {
        let out = judge("`pytest`", 0, Some(Ok(report(12, &[], 1))));
        assert_eq!(
            out,
            Ok(
                Outcome::new("`pytest` passed: 12 passed, 0 failed, 1 skipped")
                    .with_tests(TestCounts::new(12, 0, 1))
            )
        );
    }

    #[test]
    fn a_failing_run_with_a_report_is_tests_failed_naming_the_first_few() {
        let names = ["a", "b", "c", "d", "e", "f", "g"];
        let out = judge("`pytest`", 1, Some(Ok(report(3, &names, 0))));
        let Err(StageError::TestsFailed((message, counts))) = out else {
            panic!("expected tests-failed, got {out:?}");
        };
        assert_eq!(counts, TestCounts::new(3, 7, 0));
        assert_eq!(
            message,
            "`pytest` exited with code 1: 3 passed, 7 failed, 0 skipped; \
             failed: a, b, c, d, e and 2 more"
        );
    }

    #[test]
    fn failures_in_the_report_fail_even_on_exit_zero() {
        let out = judge("`pytest`", 0, Some(Ok(report(1, &["x"], 0))));
        assert!(
            matches!(&out, Err(StageError::TestsFailed((m, _))) if m.contains("report has failures")),
            "{out:?}"
        );
    }

    #[test]
    fn a_missing_report_after_success_fails_with_the_path() {
        let missing = ReportError::Missing(PathBuf::from("/workspace/svc/junit.xml"));
        let out = judge("`pytest`", 0, Some(Err(missing.clone())));
        let Err(StageError::Failed(m)) = out else {
            panic!("expected failed");
        };
        assert!(
            m.contains("wrote no JUnit report at /workspace/svc/junit.xml"),
            "{m}"
        );
        let out = judge("`pytest`", 3, Some(Err(missing)));
        assert_eq!(
            out,
            Err(StageError::failed(
                "`pytest` exited with code 3 (no JUnit report at /workspace/svc/junit.xml)"
            ))
        );
    }

    #[test]
    fn few_failures_are_all_named() {
        assert_eq!(name_failures(&["a".into(), "b".into()]), "a, b");
    }
}
