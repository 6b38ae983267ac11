//! The stable `code` of a config problem in `seamless validate --output json`.
//!
//! The core's config errors carry a place and a message, not a kind, so the kind is
//! read from how the message begins. The words matched here are the core's own
//! wording (its golden files in `runtime/core/tests/ui/invalid/*.err` pin them), and
//! the test below checks that each golden message gets the code it should.

/// `seamless.lock` cannot be read.
pub const BAD_LOCK: &str = "bad-lock";
/// A stage uses a plugin bundle that `seamless.lock` does not pin.
pub const UNPINNED_PLUGIN: &str = "unpinned-plugin";

/// Message beginnings (or, with a leading `*`, words anywhere) and their codes, first
/// match wins.
const RULES: &[(&str, &str)] = &[
    ("invalid TOML", "syntax-error"),
    ("unknown key", "unknown-key"),
    ("missing key", "missing-key"),
    ("duplicate key", "duplicate-key"),
    ("invalid type", "wrong-type"),
    ("invalid value", "wrong-type"),
    ("no seamless.toml here", "no-config"),
    ("no such file or directory", "no-config"),
    ("cannot read it", "no-config"),
    ("unsupported version", "unsupported-version"),
    ("*has no Dockerfile", "missing-dockerfile"),
    ("dockerfile \"", "missing-dockerfile"),
    ("service path", "missing-path"),
    ("plugin file", "missing-plugin"),
    ("unknown builtin plugin", "unknown-plugin"),
    ("invalid `uses`", "invalid-uses"),
    ("dependency cycle", "needs-cycle"),
    ("*but no stage has that name", "unknown-stage"),
    ("duplicate ", "duplicate-name"),
    ("*is not declared", "undeclared-secret"),
    ("secret '", "invalid-secret"),
    ("*is out of range", "out-of-range"),
    ("*is longer than the maximum", "out-of-range"),
    ("*must be longer than zero", "out-of-range"),
    ("invalid duration", "invalid-duration"),
];

/// The code of a config error's message; `invalid-value` when no rule names it.
pub fn code(message: &str) -> &'static str {
    RULES
        .iter()
        .find(|(pattern, _)| match pattern.strip_prefix('*') {
            Some(word) => message.contains(word),
            None => message.starts_with(pattern),
        })
        .map_or("invalid-value", |(_, code)| code)
}

#[cfg(test)]
mod tests {
    use super::code;
    use std::path::Path;

    /// The codes of the messages of a golden file of the core, in order.
    fn codes_of(golden: &str) -> Vec<&'static str> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../core/tests/ui/invalid")
            .join(golden);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        text.lines()
            .map(|line| code(line.split_once(": ").map_or(line, |(_, m)| m)))
            .collect()
    }

    #[test]
    fn the_core_golden_errors_get_their_codes() {
        let cases: [(&str, &[&str]); 9] = [
            ("syntax-error.err", &["syntax-error"]),
            ("unknown-key.err", &["unknown-key"]),
            ("missing-version.err", &["missing-key"]),
            ("wrong-type.err", &["wrong-type"]),
            (
                "missing-dockerfile.err",
                &["missing-dockerfile", "missing-dockerfile", "missing-path"],
            ),
            ("cycle.err", &["needs-cycle", "needs-cycle"]),
            ("needs-unknown.err", &["unknown-stage"]),
            ("duplicate-names.err", &["duplicate-name", "duplicate-name"]),
            ("undeclared-secret.err", &["undeclared-secret"]),
        ];
        for (golden, expected) in cases {
            assert_eq!(codes_of(golden), expected, "{golden}");
        }
    }

    #[test]
    fn a_message_no_rule_names_is_an_invalid_value() {
        assert_eq!(
            code("invalid image \"\"; expected an image reference"),
            "invalid-value"
        );
    }
}
