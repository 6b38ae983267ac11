//! Containers on the runtime's backend (Docker, ECS or local processes). Needs the
//! `containers` capability. Container output goes to the stage log; containers still
//! running when the stage ends are stopped and removed by the runtime.

use crate::bindings::seamless::plugin::containers as host;
use crate::{HostError, KeyValue};

pub use host::{ContainerId, ContainerSpec, SecretEnv};

impl ContainerSpec {
    /// A spec for `image` with its default command, no environment, the working
    /// directory `/workspace`, and no workspace mount.
    pub fn new(image: impl Into<String>) -> Self {
        Self {
            image: image.into(),
            command: Vec::new(),
            env: Vec::new(),
            secret_env: Vec::new(),
            workdir: None,
            mount_workspace: false,
        }
    }

    /// Sets the command and its arguments, such as `["sh", "-c", "make test"]`.
    pub fn command<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.command = args.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push(KeyValue::new(key, value));
        self
    }

    /// Exposes the secret named `secret` as the environment variable `env`. The value
    /// never passes through the plugin; needs the `secret(name)` capability.
    pub fn secret_env(mut self, env: impl Into<String>, secret: impl Into<String>) -> Self {
        self.secret_env.push(SecretEnv {
            env: env.into(),
            secret: secret.into(),
        });
        self
    }

    /// Sets the working directory; a relative path is taken from `/workspace`.
    pub fn workdir(mut self, dir: impl Into<String>) -> Self {
        self.workdir = Some(dir.into());
        self
    }

    /// Mounts the run's workspace at `/workspace` (read-only unless the stage has the
    /// `workspace-write` grant).
    pub fn mount_workspace(mut self) -> Self {
        self.mount_workspace = true;
        self
    }
}

/// Creates and starts a container and returns its id.
pub fn run(spec: &ContainerSpec) -> Result<ContainerId, HostError> {
    host::run(spec)
}

/// Waits for a container to exit and returns its exit code; the container is removed.
pub fn wait(id: &str) -> Result<i32, HostError> {
    host::wait(id)
}

/// Stops a running container and removes it.
pub fn stop(id: &str) -> Result<(), HostError> {
    host::stop(id)
}

/// Starts a container, waits for it, and returns its exit code.
pub fn run_and_wait(spec: &ContainerSpec) -> Result<i32, HostError> {
    let id = run(spec)?;
    wait(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_fills_every_field() {
        let spec = ContainerSpec::new("seamless/busybox")
            .command(["sh", "-c", "echo hi"])
            .env("A", "1")
            .secret_env("TOKEN", "API_TOKEN")
            .workdir("services/hello")
            .mount_workspace();
        assert_eq!(spec.image, "seamless/busybox");
        assert_eq!(spec.command, vec!["sh", "-c", "echo hi"]);
        assert_eq!(spec.env, vec![KeyValue::new("A", "1")]);
        assert_eq!(spec.secret_env[0].env, "TOKEN");
        assert_eq!(spec.secret_env[0].secret, "API_TOKEN");
        assert_eq!(spec.workdir.as_deref(), Some("services/hello"));
        assert!(spec.mount_workspace);
    }

    #[test]
    fn a_new_spec_runs_the_default_command_without_the_workspace() {
        let spec = ContainerSpec::new("img");
        assert!(spec.command.is_empty());
        assert_eq!(spec.workdir, None);
        assert!(!spec.mount_workspace);
    }
}
