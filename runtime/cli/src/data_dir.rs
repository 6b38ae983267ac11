//! Where Seamless keeps its state.

use anyhow::{Context, Result};
use std::path::PathBuf;

/// `--data-dir`, or `$XDG_DATA_HOME/seamless` (`~/.local/share/seamless`).
pub fn resolve(flag: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match flag {
        Some(d) => d,
        None => dirs::data_dir()
            .context("no data directory: set --data-dir or $XDG_DATA_HOME")?
            .join("seamless"),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create data directory '{}'", dir.display()))?;
    Ok(dir)
}
