//! Maps byte offsets from the TOML parser to the `line:col` that people read.

use std::ops::Range;

use super::error::ConfigError;

/// 1-based line and column (in characters) of byte `offset` in `text`.
///
/// Offsets past the end map to the end; offsets inside a multi-byte character map to
/// that character.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A config text with its display name, to turn spans into errors and lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    /// Display name used in errors.
    pub name: &'a str,
    /// The whole text the spans point into.
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at the start of `span`.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let (line, column) = line_col(self.text, span.start);
        ConfigError {
            file: self.name.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    /// 1-based line where `span` starts.
    pub fn line(&self, span: Range<usize>) -> usize {
        line_col(self.text, span.start).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_byte_is_line_one_column_one() {
        assert_eq!(line_col("abc", 0), (1, 1));
    }

    #[test]
    fn offset_after_newline_starts_next_line() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 11), (2, 6));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "name = \"héllo\" x";
        let x = text.find('x').unwrap_or_default();
        assert_eq!(line_col(text, x), (1, 16));
    }

    #[test]
    fn offset_inside_a_character_maps_to_that_character() {
        let text = "é";
        assert_eq!(line_col(text, 1), (1, 1));
    }

    #[test]
    fn offset_past_the_end_maps_to_the_end() {
        assert_eq!(line_col("a\nbc", 100), (2, 3));
    }

    #[test]
    fn crlf_line_endings_count_lines() {
        assert_eq!(line_col("a\r\nb", 3), (2, 1));
    }

    #[test]
    fn empty_text_is_line_one_column_one() {
        assert_eq!(line_col("", 0), (1, 1));
    }
}
