//! Config errors: each one points at `file:line:col` and says what is expected.

use std::fmt;

/// One problem in a config file, with the place to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// Display name of the file, as the user gave it.
    pub file: String,
    /// 1-based line; 0 when the error is about the file as a whole.
    pub line: usize,
    /// 1-based column in characters; 0 when the error is about the file as a whole.
    pub column: usize,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

/// Every problem found in a config file, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        ConfigErrors(vec![error])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(line: usize, column: usize) -> ConfigError {
        ConfigError {
            file: "seamless.toml".into(),
            line,
            column,
            message: "bad thing".into(),
        }
    }

    #[test]
    fn error_displays_file_line_column_and_message() {
        assert_eq!(error(3, 7).to_string(), "seamless.toml:3:7: bad thing");
    }

    #[test]
    fn whole_file_error_displays_without_line_and_column() {
        assert_eq!(error(0, 0).to_string(), "seamless.toml: bad thing");
    }

    #[test]
    fn errors_display_one_per_line() {
        let errors = ConfigErrors(vec![error(1, 1), error(2, 5)]);
        assert_eq!(
            errors.to_string(),
            "seamless.toml:1:1: bad thing\nseamless.toml:2:5: bad thing"
        );
    }
}
