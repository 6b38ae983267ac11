//! `seamless init`: writes a starting `seamless.toml` for a repository.

use crate::args::InitArgs;
use anyhow::{Context, Result, bail};
use std::path::Path;

/// Writes `seamless.toml` in the repository, refusing to overwrite one unless forced.
/// The file uses the embedded default pipeline; the result is validated before it is
/// written.
pub fn init(args: &InitArgs) -> Result<()> {
    let dir = &args.path;
    if !dir.is_dir() {
        bail!(
            "'{}' is not a directory; pass the repository's root",
            dir.display()
        );
    }
    let file = dir.join("seamless.toml");
    if file.exists() && !args.force {
        bail!(
            "'{}' exists already; pass --force to replace it",
            file.display()
        );
    }
    let name = service_name(dir);
    let text = template(&name, dir.join("Dockerfile").is_file());
    seamless_core::config::parse("seamless.toml", &text, dir)
        .map_err(|e| anyhow::anyhow!("the generated configuration does not validate here:\n{e}"))?;
    std::fs::write(&file, text).with_context(|| format!("cannot write '{}'", file.display()))?;
    println!(
        "wrote {}; check it with `seamless validate`",
        file.display()
    );
    Ok(())
}

/// A service name from the directory's name: lowercase letters, digits and `-`.
fn service_name(dir: &Path) -> String {
    let raw = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut name: String = raw
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name = name.trim_matches('-').chars().take(63).collect();
    if name.is_empty() { "app".into() } else { name }
}

fn template(name: &str, has_dockerfile: bool) -> String {
    let dockerfile_note = if has_dockerfile {
        ""
    } else {
        "# There is no Dockerfile yet: add one before the first run (validate checks it).\n"
    };
    format!(
        "# Seamless pipeline; the format is described in runtime/core/CONFIG.md.\n\
         # Without [[stage]] tables the embedded default pipeline runs:\n\
         # code-quality -> unit-test -> build.\n\
         {dockerfile_note}version = 1\n\
         pipeline = \"{name}\"\n\
         \n\
         [[service]]\n\
         name = \"{name}\"\n\
         path = \".\"\n\
         dockerfile = \"Dockerfile\"\n\
         image = \"seamless/busybox\"\n\
         \n\
         [service.commands]\n\
         code-quality = \"test -f Dockerfile\"\n\
         unit-test = \"echo 'no unit tests yet'\"\n"
    )
}

#[cfg(test)]
mod tests {
    use super::service_name;

    #[test]
    fn service_names_are_made_valid() {
        let dir = std::env::temp_dir().join("My Shop_API");
        std::fs::create_dir_all(&dir).ok();
        assert_eq!(service_name(&dir), "my-shop-api");
    }
}
