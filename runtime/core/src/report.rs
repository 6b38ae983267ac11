//! What a stage reports besides its status.

/// Test counts of a stage, such as those read from a JUnit XML report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TestCounts {
    /// Passed tests.
    pub passed: u32,
    /// Failed (or errored) tests.
    pub failed: u32,
    /// Skipped tests.
    pub skipped: u32,
}
