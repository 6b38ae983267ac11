//! Where the server is and which token to use: `--server`/`--token` (or
//! `SEAMLESS_SERVER`/`SEAMLESS_TOKEN`), else `cli.toml` in the configuration directory.

use super::Remote;
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CliFile {
    server: Option<String>,
    token: Option<String>,
}

fn config_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("seamless").join("cli.toml"))
}

fn read_file() -> Result<CliFile> {
    let Some(path) = config_file() else {
        return Ok(CliFile::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            toml::from_str(&text).with_context(|| format!("cannot read '{}'", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CliFile::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read '{}'", path.display())),
    }
}

/// The server to talk to, if one is given on the command line or in `cli.toml`.
pub fn connect(server: Option<String>, token: Option<String>) -> Result<Option<Remote>> {
    let file = if server.is_some() && token.is_some() {
        CliFile::default()
    } else {
        read_file()?
    };
    let Some(server) = server.or(file.server) else {
        if token.is_some() {
            bail!("--token needs --server URL (or `server` in cli.toml)");
        }
        return Ok(None);
    };
    let token = token.or(file.token).with_context(|| {
        format!(
            "--server {server} needs a token: --token T, SEAMLESS_TOKEN, or `token` in {} \
             (create one on the server with `seamless token create NAME`)",
            config_file().map_or_else(|| "cli.toml".into(), |p| p.display().to_string())
        )
    })?;
    Remote::new(&server, &token).map(Some)
}
