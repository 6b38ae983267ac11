//! `seamless plugin new`: a plugin project from the embedded templates, with the WIT it
//! implements and, for Rust, the SDK vendored beside it (it is not on crates.io).

use anyhow::{Context, Result, bail};
use include_dir::{Dir, include_dir};
use std::path::Path;

use super::args::{Lang, NewArgs};

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates/plugin");
static WIT: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../wit");
static SDK_SRC: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../sdk/rust/src");
const SDK_MANIFEST: &str = include_str!("../../../../../sdk/rust/Cargo.toml");

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        && name.starts_with(|c: char| c.is_ascii_lowercase())
}

fn render(text: &str, args: &NewArgs, lang: &str) -> String {
    text.replace("{{name}}", &args.name)
        .replace("{{description}}", &args.description.replace('"', "'"))
        .replace("{{lang}}", lang)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn copy_dir(dir: &Dir<'_>, to: &Path) -> Result<()> {
    for file in dir.files() {
        write(
            &to.join(file.path().file_name().unwrap_or_default()),
            file.contents(),
        )?;
    }
    for sub in dir.dirs() {
        copy_dir(sub, &to.join(sub.path().file_name().unwrap_or_default()))?;
    }
    Ok(())
}

/// Writes the project and says what to do next.
pub fn new(args: &NewArgs) -> Result<()> {
    if !valid_name(&args.name) {
        bail!(
            "'{}' is not a plugin name; use 1 to 64 of a-z, 0-9 and -, starting with a letter",
            args.name
        );
    }
    let dir = args.dir.clone().unwrap_or_else(|| args.name.clone().into());
    if dir.exists()
        && dir
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty; choose another --dir",
            dir.display()
        );
    }
    let (lang, sub) = match args.lang {
        Lang::Rust => ("rust", "rust"),
        Lang::Python => ("python", "python"),
    };
    let Some(template) = TEMPLATES.get_dir(sub) else {
        bail!("the {lang} template is missing from this build");
    };
    for file in template
        .files()
        .chain(template.dirs().flat_map(|d| d.files()))
    {
        let rel = file.path().strip_prefix(sub).unwrap_or(file.path());
        let name = if rel == Path::new("gitignore") {
            Path::new(".gitignore")
        } else {
            rel
        };
        let text = String::from_utf8_lossy(file.contents());
        write(&dir.join(name), render(&text, args, lang).as_bytes())?;
    }
    if let Some(readme) = TEMPLATES.get_file("README.md") {
        let text = String::from_utf8_lossy(readme.contents());
        write(&dir.join("README.md"), render(&text, args, lang).as_bytes())?;
    }
    copy_dir(&WIT, &dir.join("wit"))?;
    if args.lang == Lang::Rust {
        let sdk = dir.join("vendor/seamless-sdk");
        write(&sdk.join("Cargo.toml"), SDK_MANIFEST.as_bytes())?;
        copy_dir(&SDK_SRC, &sdk.join("src"))?;
    }
    println!(
        "Created the {lang} plugin '{}' in {}",
        args.name,
        dir.display()
    );
    println!("Next:");
    println!("  cd {}", dir.display());
    println!("  seamless plugin build");
    println!("  seamless plugin push REGISTRY/REPOSITORY:0.1.0");
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_rust_project_has_its_manifest_sources_wit_and_sdk() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("lint-yaml");
        new(&NewArgs {
            name: "lint-yaml".into(),
            lang: Lang::Rust,
            dir: Some(dir.clone()),
            description: "Lints YAML".into(),
        })
        .unwrap();
        let project = super::super::project::Project::load(&dir).unwrap();
        assert_eq!(project.manifest.name, "lint-yaml");
        assert_eq!(project.manifest.description, "Lints YAML");
        assert!(project.manifest.capabilities.containers);
        for f in [
            "Cargo.toml",
            "src/lib.rs",
            ".gitignore",
            "README.md",
            "wit/plugin.wit",
            "vendor/seamless-sdk/Cargo.toml",
            "vendor/seamless-sdk/src/lib.rs",
        ] {
            assert!(dir.join(f).is_file(), "{f} is missing");
        }
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("\"lint-yaml\"") && !lib.contains("{{name}}"));
        // A second scaffold into the same place is refused.
        let again = new(&NewArgs {
            name: "lint-yaml".into(),
            lang: Lang::Python,
            dir: Some(dir),
            description: "x".into(),
        });
        assert!(again.unwrap_err().to_string().contains("not empty"));
        assert!(
            new(&NewArgs {
                name: "Bad Name".into(),
                lang: Lang::Rust,
                dir: None,
                description: "x".into(),
            })
            .is_err()
        );
    }
}
