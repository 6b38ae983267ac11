//! Seamless's one way to run the `git` command line.
//!
//! Every git process Seamless starts (the CLI's commit and change queries, the engine's
//! checkout, the server's repository queries and webhook mirrors) is built by [`Git`],
//! so all of them are run the same safe way:
//! - **a cleared environment.** Only [`KEPT_ENV`] is passed on: `PATH` (to find git and
//!   its helpers), `HOME` (where the user's credentials, SSH keys and global config for
//!   private remotes live), `SSH_AUTH_SOCK` (the SSH agent), and the proxy and TLS trust
//!   variables a network needs. Variables such as `GIT_DIR`, `GIT_WORK_TREE` or
//!   `GIT_CONFIG_*` of the caller cannot redirect a command. On top:
//!   `GIT_TERMINAL_PROMPT=0` (never wait for a password), `GIT_CONFIG_NOSYSTEM=1` (no
//!   `/etc/gitconfig`) and `LC_ALL=C` (messages as git writes them);
//! - **no hooks and no fsmonitor.** `-c core.hooksPath=/dev/null -c core.fsmonitor=false`
//!   come first on the command line, which overrides every config file, so a repository
//!   we read cannot make us run its programs. `protocol.ext.allow=never` refuses
//!   `ext::` URLs, which run a command;
//! - **user values are never options.** Paths go after `--` ([`Git::paths`]); a URL,
//!   revision or other value that git's grammar takes before `--` is refused when it
//!   starts with `-` ([`Git::value`]).
//!
//! The API is synchronous; async callers run [`Git::run`] in `spawn_blocking`, or turn
//! [`Git::command`] into a `tokio::process::Command` and read the result with
//! [`Git::read_output`].

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The environment variables passed on to git from the caller's environment: where
/// programs and the user's own settings are, and how to reach the network.
pub const KEPT_ENV: [&str; 13] = [
    "PATH",
    "HOME",
    "SSH_AUTH_SOCK",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// Why a git command failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git could not be started (not installed, or not on `PATH`).
    #[error("cannot run git ({0}); install git on the machine that runs Seamless")]
    Missing(#[source] std::io::Error),
    /// git ran and failed; `stderr` is what it said.
    #[error("git {command} failed: {stderr}")]
    Failed {
        /// The git subcommand, such as `clone`.
        command: String,
        /// git's standard error, trimmed.
        stderr: String,
    },
    /// A value meant as an operand starts with `-`, so git would read it as an option.
    #[error("'{0}' starts with '-', so git would take it for an option; it is refused")]
    OptionLike(String),
}

/// Where a git command runs.
#[derive(Debug, Clone)]
enum Place {
    Anywhere,
    WorkTree(PathBuf),
    GitDir(PathBuf),
}

/// One git command, built safely; see the crate docs for what "safely" means.
#[derive(Debug, Clone)]
pub struct Git {
    place: Place,
    args: Vec<OsString>,
    paths: Option<Vec<OsString>>,
}

impl Git {
    /// A git command that runs outside any repository (`clone`, `ls-remote`), starting
    /// with the subcommand `subcommand`.
    pub fn new(subcommand: &str) -> Self {
        Self {
            place: Place::Anywhere,
            args: vec![subcommand.into()],
            paths: None,
        }
    }

    /// A git command run in the work tree (or any directory inside it) at `dir`
    /// (`git -C dir`).
    pub fn in_dir(dir: &Path, subcommand: &str) -> Self {
        Self {
            place: Place::WorkTree(dir.to_path_buf()),
            ..Self::new(subcommand)
        }
    }

    /// A git command on the repository (such as a bare mirror) at `git_dir`
    /// (`git --git-dir git_dir`).
    pub fn on_git_dir(git_dir: &Path, subcommand: &str) -> Self {
        Self {
            place: Place::GitDir(git_dir.to_path_buf()),
            ..Self::new(subcommand)
        }
    }

    /// Adds fixed arguments written in our code (options, subcommand words).
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Adds a value that comes from outside (a URL, a revision, a range) where git's
    /// grammar wants it before `--`; refused when it starts with `-`.
    pub fn value(mut self, value: impl AsRef<OsStr>) -> Result<Self, GitError> {
        let value = value.as_ref();
        if value.as_encoded_bytes().starts_with(b"-") {
            return Err(GitError::OptionLike(value.to_string_lossy().into_owned()));
        }
        self.args.push(value.to_owned());
        Ok(self)
    }

    /// Adds operands after `--` (paths, or a clone's URL and directory), which git never
    /// reads as options. An empty list still ends the options with `--`.
    pub fn paths<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.paths
            .get_or_insert_with(Vec::new)
            .extend(paths.into_iter().map(|p| p.as_ref().to_owned()));
        self
    }

    /// The subcommand, such as `clone`, for messages.
    pub fn subcommand(&self) -> String {
        self.args
            .first()
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The process to start: `git`, its safety settings, the place, the arguments; with
    /// stdin closed and stdout and stderr captured.
    pub fn command(&self) -> Command {
        let mut command = Command::new("git");
        command.env_clear();
        for name in KEPT_ENV {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("LC_ALL", "C")
            .args(["-c", "core.hooksPath=/dev/null"])
            .args(["-c", "core.fsmonitor=false"])
            .args(["-c", "protocol.ext.allow=never"]);
        match &self.place {
            Place::Anywhere => {}
            Place::WorkTree(dir) => {
                command.arg("-C").arg(dir);
            }
            Place::GitDir(dir) => {
                command.arg("--git-dir").arg(dir);
            }
        }
        command.args(&self.args);
        if let Some(paths) = &self.paths {
            command.arg("--").args(paths);
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs the command and returns its standard output (untrimmed).
    pub fn run(&self) -> Result<String, GitError> {
        let output = self.command().output().map_err(GitError::Missing)?;
        self.read_output(output)
    }

    /// Runs the command and returns its standard output, trimmed.
    pub fn run_trimmed(&self) -> Result<String, GitError> {
        self.run().map(|out| out.trim().to_owned())
    }

    /// Reads the finished process `output` of this command (started from
    /// [`Git::command`], perhaps as an async process): its stdout on success.
    pub fn read_output(&self, output: Output) -> Result<String, GitError> {
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(GitError::Failed {
                command: self.subcommand(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests;
