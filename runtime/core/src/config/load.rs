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
    let raw: RawConfig = toml::from_str(text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        ConfigErrors::from(source.error(span, serde_message(error.message())))
    })?;
    validate(raw, source, root, file)
}

/// The first line of a toml/serde message, which is the whole of it in practice.
fn serde_message(message: &str) -> String {
    message.trim().lines().next().unwrap_or("invalid TOML").to_string()
}

fn whole_file_error(path: &Path, message: String) -> ConfigError {
    ConfigError {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        message,
    }
}
