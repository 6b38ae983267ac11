//! JUnit XML reports: a file, or a directory whose `*.xml` files are all read,
//! parsed with `junit-parser` and summed into [`TestCounts`].

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use junit_parser::{TestStatus, TestSuite};
use seamless_sdk::TestCounts;

/// What one or more reports say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Tests that passed, failed (failures and errors) and were skipped.
    pub counts: TestCounts,
    /// Names of the failed tests, as `classname.name` where there is a classname.
    pub failed: Vec<String>,
    /// How many report files were read.
    pub files: usize,
}

/// Why no report could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportError {
    /// There is no report file (or the directory holds no `*.xml`).
    Missing(PathBuf),
    /// A report could not be read or is not JUnit XML.
    Unreadable(PathBuf, String),
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(path) => write!(f, "no JUnit report at {}", path.display()),
            Self::Unreadable(path, why) => {
                write!(f, "cannot read the JUnit report {}: {why}", path.display())
            }
        }
    }
}

impl Report {
    /// Adds another report's results to this one.
    pub fn merge(&mut self, other: Report) {
        self.counts += other.counts;
        self.failed.extend(other.failed);
        self.files += other.files;
    }
}

/// Parses one JUnit XML document (`<testsuites>` or a lone `<testsuite>`).
pub fn parse(xml: &str) -> Result<Report, String> {
    let suites = junit_parser::from_reader(xml.as_bytes()).map_err(describe)?;
    let mut report = Report {
        files: 1,
        ..Report::default()
    };
    for suite in &suites.suites {
        add_suite(&mut report, suite);
    }
    Ok(report)
}

/// Reads the report at `path`: a file, or every `*.xml` file in a directory (not
/// recursive), in name order.
pub fn read(path: &Path) -> Result<Report, ReportError> {
    let unreadable =
        |p: &Path, e: &dyn fmt::Display| ReportError::Unreadable(p.into(), e.to_string());
    let meta = fs::metadata(path).map_err(|_| ReportError::Missing(path.into()))?;
    let files = if meta.is_dir() {
        let mut files: Vec<PathBuf> = fs::read_dir(path)
            .map_err(|e| unreadable(path, &e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|ext| ext == "xml") && p.is_file())
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(ReportError::Missing(path.into()));
    }
    let mut report = Report::default();
    for file in files {
        let xml = fs::read_to_string(&file).map_err(|e| unreadable(&file, &e))?;
        report.merge(parse(&xml).map_err(|e| unreadable(&file, &e))?);
    }
    Ok(report)
}

/// Removes a stale report before a run, so an old file is never taken for a new
/// result: the file, or the `*.xml` files of a directory. Missing is fine.
pub fn clear(path: &Path) -> std::io::Result<()> {
    match fs::metadata(path) {
        Err(_) => Ok(()),
        Ok(meta) if meta.is_dir() => {
            for entry in fs::read_dir(path)? {
                let p = entry?.path();
                if p.extension().is_some_and(|ext| ext == "xml") && p.is_file() {
                    fs::remove_file(&p)?;
                }
            }
            Ok(())
        }
        Ok(_) => fs::remove_file(path),
    }
}

/// Counts a suite's cases and those of its nested suites. A suite without cases
/// counts by its `tests`/`failures`/`errors`/`skipped` attributes.
fn add_suite(report: &mut Report, suite: &TestSuite) {
    if suite.cases.is_empty() && suite.suites.is_empty() {
        let failed = suite.failures.saturating_add(suite.errors);
        let passed = suite
            .tests
            .saturating_sub(failed.saturating_add(suite.skipped));
        report.counts += TestCounts::new(clamp(passed), clamp(failed), clamp(suite.skipped));
        return;
    }
    for case in &suite.cases {
        match case.status {
            TestStatus::Success => report.counts.passed += 1,
            TestStatus::Skipped(_) => report.counts.skipped += 1,
            TestStatus::Failure(_) | TestStatus::Error(_) => {
                report.counts.failed += 1;
                report.failed.push(match &case.classname {
                    Some(class) if !class.is_empty() => format!("{class}.{}", case.original_name),
                    _ => case.original_name.clone(),
                });
            }
        }
    }
    for nested in &suite.suites {
        add_suite(report, nested);
    }
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The parser's error with its cause (its own message is generic).
fn describe(error: junit_parser::Error) -> String {
    match std::error::Error::source(&error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

#[cfg(test)]
#[path = "junit_tests.rs"]
mod tests;
