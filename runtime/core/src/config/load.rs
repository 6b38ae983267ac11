//! Reads `seamless.toml` and runs it through the schema and the validator.

use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigErrors};
use super::location::Source;
use super::model::Config;
use super::schema::RawConfig;
use super::validate::validate;

/// The name of the config file looked for in a directory.
pub const CONFIG_FILE_NAME: &str = "seamless.toml";

/// Loads and validates a config; `path` is a directory holding `seamless.toml`, or the
/// file itself. Errors name the file as `path` spells it.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let is_dir = path.is_dir();
    let file = if is_dir {
        path.join(CONFIG_FILE_NAME)
    } else {
        path.to_path_buf()
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let message = if is_dir {
                format!(
                    "no {CONFIG_FILE_NAME} here; create one with `seamless init` \
                     (the format is in runtime/core/CONFIG.md)"
                )
            } else {
                format!(
                    "no such file or directory; pass a directory holding {CONFIG_FILE_NAME} \
                     or the file itself"
                )
            };
            let shown = if is_dir { path } else { file.as_path() };
            return Err(whole_file_error(shown, message).into());
        }
        Err(error) => {
            return Err(whole_file_error(&file, format!("cannot read it: {error}")).into());
        }
    };
    let display = file.display().to_string();
    let absolute = std::path::absolute(&file).unwrap_or_else(|_| file.clone());
    let root = absolute
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    parse_file(&display, &text, &root, absolute)
}

/// Parses and validates config `text`; `display_name` is used in errors and relative
/// paths are resolved from `root`. The config's `file` is `root/seamless.toml`.
pub fn parse(display_name: &str, text: &str, root: &Path) -> Result<Config, ConfigErrors> {
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let file = root.join(CONFIG_FILE_NAME);
    parse_file(display_name, text, &root, file)
}

fn parse_file(
    display_name: &str,
    text: &str,
    root: &Path,
    file: PathBuf,
) -> Result<Config, ConfigErrors> {
    let source = Source {
        name: display_name,
        text,
    };
    // Parse the syntax alone first, so that syntax errors can say so.
    if let Err(error) = text.parse::<toml::Table>() {
        let span = error.span().unwrap_or(0..0);
        let message = format!("invalid TOML: {}", first_line(error.message()));
        return Err(source.error(span, message).into());
    }
    let raw: RawConfig = toml::from_str(text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        ConfigErrors::from(source.error(span, schema_message(error.message())))
    })?;
    validate(raw, source, root, file)
}

/// The first line of a toml message, which is the whole of it in practice.
fn first_line(message: &str) -> &str {
    message.trim().lines().next().unwrap_or("invalid TOML")
}

/// A serde message in the words of TOML: keys rather than fields, arrays rather than
/// sequences.
fn schema_message(message: &str) -> String {
    const WORDS: [(&str, &str); 6] = [
        ("missing field", "missing key"),
        ("duplicate field", "duplicate key"),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected a table"),
        ("expected i64", "expected an integer"),
        ("expected a borrowed string", "expected a string"),
    ];
    let mut message = first_line(message).to_string();
    if let Some(rest) = message.strip_prefix("unknown field") {
        // serde lists the allowed keys as ", expected `a`", "`a` or `b`" or "one of ...".
        let rest = rest.replacen(", expected one of", ", expected", 1);
        message = format!(
            "unknown key{}",
            rest.replacen(", expected", "; allowed keys are", 1)
        );
    }
    for (from, to) in WORDS {
        message = message.replace(from, to);
    }
    message
}

fn whole_file_error(path: &Path, message: String) -> ConfigError {
    ConfigError {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        message,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn directory_without_config_says_to_create_one() {
        let dir = tempfile::tempdir().unwrap();
        let errors = load(dir.path()).unwrap_err();
        let error = &errors.0[0];
        assert_eq!((error.line, error.column), (0, 0));
        assert_eq!(error.file, dir.path().display().to_string());
        assert!(
            error
                .message
                .starts_with("no seamless.toml here; create one"),
            "{errors}"
        );
    }

    #[test]
    fn missing_file_is_one_whole_file_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("other.toml");
        let errors = load(&file).unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.0[0].line, 0);
        assert!(
            errors
                .to_string()
                .starts_with(&format!("{}: ", file.display()))
        );
    }

    #[test]
    fn directory_and_file_paths_load_the_same_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let text = "version = 1\npipeline = \"p\"\n[[service]]\nname = \"app\"\n";
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), text).unwrap();
        let from_dir = load(dir.path()).unwrap();
        let from_file = load(&dir.path().join(CONFIG_FILE_NAME)).unwrap();
        assert_eq!(from_dir, from_file);
        assert_eq!(from_dir.file, dir.path().join(CONFIG_FILE_NAME));
        assert_eq!(from_dir.root, dir.path());
    }

    #[test]
    fn errors_name_the_file_as_given() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "version = 1\n").unwrap();
        let errors = load(dir.path()).unwrap_err();
        let expected = format!(
            "{}:1:1: missing key `pipeline`",
            dir.path().join(CONFIG_FILE_NAME).display()
        );
        assert_eq!(errors.to_string(), expected);
    }

    #[test]
    fn serde_messages_speak_of_keys_and_arrays() {
        assert_eq!(
            schema_message("unknown field `x`, expected `a` or `b`"),
            "unknown key `x`; allowed keys are `a` or `b`"
        );
        assert_eq!(
            schema_message("unknown field `x`, expected one of `a`, `b`, `c`"),
            "unknown key `x`; allowed keys are `a`, `b`, `c`"
        );
        assert_eq!(
            schema_message("invalid type: string \"x\", expected a sequence\n"),
            "invalid type: string \"x\", expected an array"
        );
    }
}
