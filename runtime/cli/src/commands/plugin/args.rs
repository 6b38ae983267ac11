//! Arguments of `seamless plugin`.

use crate::args::OutputArgs;
use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;

/// `seamless plugin` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Scaffold a plugin project (plugin.toml, sources, the WIT it implements).
    New(NewArgs),
    /// Compile the plugin project and pack its bundle into dist/<name>-<version>/.
    Build(ProjectArgs),
    /// Pack a built component and plugin.toml into an OCI layout (a .tar or a directory).
    Pack(PackArgs),
    /// Push a bundle to an OCI registry (credentials: docker config or environment).
    Push(PushArgs),
    /// Show a bundle's capabilities, then store it and pin its digest in seamless.lock.
    Install(InstallArgs),
    /// Show how a pinned plugin changed (digest, version, capabilities) and accept it.
    Update(InstallArgs),
    /// List the plugins pinned in seamless.lock.
    List(ListArgs),
    /// Show a bundle's manifest, digest, annotations and signatures.
    Inspect(RefArgs),
    /// Unpin a plugin and delete its stored bundle.
    Remove(RefLockArgs),
    /// Find plugins in a registry by repository name or a word of their description.
    Search(SearchArgs),
    /// Check every pinned plugin: stored bytes, where its tag points, and signatures.
    Verify(LockArgs),
    /// Sign a bundle with an ed25519 key (pushed beside it in its registry).
    Sign(SignArgs),
    /// Make an ed25519 signing key; prints the public key to trust in seamless.toml.
    Keygen(KeygenArgs),
}

/// The languages a plugin can be scaffolded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Rust, with the Seamless SDK (built with cargo for wasm32-wasip2).
    Rust,
    /// Python (built with componentize-py).
    Python,
}

/// Arguments of `seamless plugin new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The plugin's name: a-z, 0-9 and -.
    pub name: String,
    /// The language.
    #[arg(long, value_enum, default_value = "rust")]
    pub lang: Lang,
    /// Where to create it [default: ./NAME].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// One line on what it does.
    #[arg(long, default_value = "A Seamless stage plugin")]
    pub description: String,
}

/// A plugin project directory.
#[derive(Debug, clap::Args)]
pub struct ProjectArgs {
    /// The project (the directory of plugin.toml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// Arguments of `seamless plugin pack`.
#[derive(Debug, clap::Args)]
pub struct PackArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// The component [default: what `seamless plugin build` compiled].
    #[arg(long)]
    pub component: Option<PathBuf>,
    /// Where to write the layout: a path ending in .tar, or a directory
    /// [default: dist/<name>-<version>.tar].
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

/// Arguments of `seamless plugin push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Where to push: registry/repository:tag.
    pub reference: String,
    /// The bundle (a layout directory or tar) [default: the project's built bundle].
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// The project, when --bundle is not given.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

/// Where the pipeline's lock is.
#[derive(Debug, clap::Args)]
pub struct LockArgs {
    /// The pipeline's config; seamless.lock is beside it.
    #[arg(long, short = 'c', default_value = "seamless.toml")]
    pub config: PathBuf,
}

/// Arguments of `seamless plugin list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `seamless plugin install` and `update`.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// An OCI reference (registry/repo:tag or @sha256:...) or the path of a bundle,
    /// written as the stage's `uses` will write it (paths relative to the config's
    /// directory).
    pub reference: String,
    /// Accept the capabilities without asking (for scripts).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub lock: LockArgs,
}

/// A bundle to look at.
#[derive(Debug, clap::Args)]
pub struct RefArgs {
    /// An OCI reference or the path of a bundle.
    pub reference: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A pinned plugin.
#[derive(Debug, clap::Args)]
pub struct RefLockArgs {
    /// The reference as pinned in seamless.lock.
    pub reference: String,
    #[command(flatten)]
    pub lock: LockArgs,
}

/// Arguments of `seamless plugin search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// A word of the repository's name or of the plugin's description (any case).
    pub query: String,
    /// The registry (host[:port]).
    #[arg(long, env = "SEAMLESS_PLUGIN_REGISTRY")]
    pub registry: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `seamless plugin sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// An OCI reference, or the path of a bundle (then the signature is kept in the
    /// local plugin store only).
    pub reference: String,
    /// The secret key file (from `seamless plugin keygen`).
    #[arg(long, env = "SEAMLESS_SIGNING_KEY_FILE")]
    pub key: PathBuf,
}

/// Arguments of `seamless plugin keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the secret key (created with mode 0600; never overwritten).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
}
