//! Golden files: an error message checked byte for byte against the file that holds
//! it, so a changed message is a reviewed diff. `BLESS=1` rewrites the files instead,
//! and is refused when `CI` is set, so CI can only check them.

use std::path::Path;

/// Whether this run rewrites golden files (`BLESS=1`); panics when `CI` is set too.
pub fn blessing() -> bool {
    let bless = std::env::var_os("BLESS").is_some_and(|v| v == "1");
    assert!(
        !(bless && std::env::var_os("CI").is_some()),
        "BLESS=1 rewrites the expected errors; refused because CI is set"
    );
    bless
}

/// Compares `actual` with the golden file `path` (or writes it, when blessing): the
/// difference, or `None` when they match.
pub fn compare(path: &Path, actual: &str) -> Option<String> {
    if blessing() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        }
        std::fs::write(path, actual)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return None;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    (actual != expected).then(|| {
        format!(
            "{} differs (rerun with BLESS=1 to accept)\n--- expected\n{expected}--- actual\n{actual}",
            path.display()
        )
    })
}

/// [`compare`], panicking on a difference.
pub fn assert_golden(path: &Path, actual: &str) {
    if let Some(difference) = compare(path, actual) {
        panic!("{difference}");
    }
}

#[cfg(test)]
mod tests {
    /// Set in the child this test starts, which only asks whether it may bless.
    const CHILD: &str = "SEAMLESS_GOLDEN_CHILD";

    #[test]
    fn blessing_is_refused_under_ci() {
        if std::env::var_os(CHILD).is_some() {
            super::blessing();
            return;
        }
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
        let out = std::process::Command::new(exe)
            .args([
                "golden::tests::blessing_is_refused_under_ci",
                "--exact",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env("BLESS", "1")
            .env("CI", "true")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "BLESS=1 with CI set was accepted:\n{said}"
        );
        assert!(said.contains("refused because CI is set"), "{said}");
    }
}
