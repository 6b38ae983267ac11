//! Masks secret values in log lines.

/// Replaces every known secret value with `***`.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    // Longest first, so a secret that contains another is masked whole.
    values: Vec<String>,
}

/// Values shorter than this are not masked: masking `a` would destroy every log.
const MIN_SECRET_LEN: usize = 3;

impl Masker {
    /// A masker for these secret values.
    pub fn new<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut values: Vec<String> = values
            .into_iter()
            .map(Into::into)
            .filter(|v| v.len() >= MIN_SECRET_LEN)
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Self { values }
    }

    /// The line with every secret value replaced by `***`.
    pub fn mask(&self, line: &str) -> String {
        let mut out = line.to_owned();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), "***");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_replaced_everywhere_in_a_line() {
        let m = Masker::new(["hunter22", "s3cr3t-token"]);
        assert_eq!(
            m.mask("pw=hunter22 token=s3cr3t-token again hunter22"),
            "pw=*** token=*** again ***"
        );
    }

    #[test]
    fn longer_secret_containing_a_shorter_one_is_masked_whole() {
        let m = Masker::new(["abc", "abcdef"]);
        assert_eq!(m.mask("x abcdef y"), "x *** y");
    }

    #[test]
    fn very_short_values_are_not_masked() {
        let m = Masker::new(["a"]);
        assert_eq!(m.mask("banana"), "banana");
    }
}
