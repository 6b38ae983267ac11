//! A plugin project: `plugin.toml` (the bundle manifest and the language), how it is
//! compiled to a component, and where its bundle is packed.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

use seamless_bundle::manifest::SUPPORTED_WIT;
use seamless_bundle::{Bundle, BundleManifest, Capabilities, Limits};

/// The project file's name.
pub const PROJECT_FILE: &str = "plugin.toml";

/// `plugin.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ProjectFile {
    name: String,
    version: String,
    description: String,
    license: String,
    stages: Vec<String>,
    lang: String,
    #[serde(default)]
    wit: Option<String>,
    #[serde(default)]
    capabilities: Capabilities,
    #[serde(default)]
    limits: Limits,
}

/// A plugin project on disk.
#[derive(Debug)]
pub struct Project {
    /// Its directory.
    pub dir: PathBuf,
    /// The bundle manifest it declares.
    pub manifest: BundleManifest,
    /// `rust` or `python`.
    pub lang: String,
}

impl Project {
    /// Reads and checks `dir/plugin.toml`.
    pub fn load(dir: &Path) -> Result<Self> {
        let file = dir.join(PROJECT_FILE);
        let text = std::fs::read_to_string(&file).with_context(|| {
            format!(
                "cannot read {}; run this in a plugin project (`seamless plugin new NAME` makes one)",
                file.display()
            )
        })?;
        let raw: ProjectFile = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let (line, col) = seamless_core::config::line_col(&text, s.start);
                    format!(":{line}:{col}")
                })
                .unwrap_or_default();
            anyhow::anyhow!("{}{at}: {}", file.display(), e.message())
        })?;
        if raw.lang != "rust" && raw.lang != "python" {
            bail!(
                "{}: lang = \"{}\" is not supported; use \"rust\" or \"python\"",
                file.display(),
                raw.lang
            );
        }
        let manifest = BundleManifest {
            name: raw.name,
            version: raw.version,
            wit: raw.wit.unwrap_or_else(|| SUPPORTED_WIT.to_string()),
            stages: raw.stages,
            description: raw.description,
            license: raw.license,
            capabilities: raw.capabilities,
            limits: raw.limits,
        };
        manifest
            .validate()
            .with_context(|| format!("{} is not a valid plugin manifest", file.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            lang: raw.lang,
        })
    }

    /// Where the compiled component lands.
    pub fn component_path(&self) -> PathBuf {
        match self.lang.as_str() {
            "rust" => {
                let target = std::env::var_os("CARGO_TARGET_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| self.dir.join("target"));
                let target = if target.is_absolute() {
                    target
                } else {
                    self.dir.join(target)
                };
                target
                    .join("wasm32-wasip2/release")
                    .join(format!("{}.wasm", self.manifest.name.replace('-', "_")))
            }
            _ => self
                .dir
                .join("target")
                .join(format!("{}.wasm", self.manifest.name)),
        }
    }

    /// The bundle directory `build` writes.
    pub fn bundle_dir(&self) -> PathBuf {
        self.dir
            .join("dist")
            .join(format!("{}-{}", self.manifest.name, self.manifest.version))
    }

    /// Compiles the component.
    pub fn compile(&self) -> Result<PathBuf> {
        let mut cmd = match self.lang.as_str() {
            "rust" => {
                let mut c = Command::new("cargo");
                c.args(["build", "--release", "--target", "wasm32-wasip2"]);
                c
            }
            _ => {
                let out = self.component_path();
                if let Some(parent) = out.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                let mut c = Command::new("componentize-py");
                c.args([
                    "--wit-path",
                    "wit",
                    "--world",
                    "stage",
                    "componentize",
                    "app",
                    "-o",
                ])
                .arg(&out);
                c
            }
        };
        let tool = if self.lang == "rust" {
            "cargo"
        } else {
            "componentize-py"
        };
        let status = cmd.current_dir(&self.dir).status().with_context(|| {
            if self.lang == "rust" {
                "cannot run cargo; install Rust and `rustup target add wasm32-wasip2`".to_string()
            } else {
                "cannot run componentize-py; `pip install componentize-py==0.25.1`".to_string()
            }
        })?;
        if !status.success() {
            bail!("{tool} failed ({status}); see its output above");
        }
        let out = self.component_path();
        if !out.is_file() {
            bail!("{tool} succeeded but {} is not there", out.display());
        }
        Ok(out)
    }

    /// The bundle of `component` with this project's manifest.
    pub fn bundle(&self, component: &Path) -> Result<Bundle> {
        let bytes = std::fs::read(component).with_context(|| {
            format!(
                "cannot read the component {}; run `seamless plugin build` first",
                component.display()
            )
        })?;
        Bundle::new(self.manifest.clone(), bytes)
            .with_context(|| format!("cannot pack {}", component.display()))
    }
}

/// Writes `bundle` as a layout at `out`: a tar when the name ends in `.tar`, else a
/// directory (replaced).
pub fn write_layout(bundle: &Bundle, out: &Path) -> Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let tag = &bundle.manifest.version;
    if out.extension().is_some_and(|e| e == "tar") {
        seamless_bundle::layout::write_tar(bundle, tag, out)?;
    } else {
        if out.exists() {
            std::fs::remove_dir_all(out)
                .with_context(|| format!("cannot replace {}", out.display()))?;
        }
        seamless_bundle::layout::write_dir(bundle, tag, out)?;
    }
    Ok(())
}
