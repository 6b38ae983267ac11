//! Containers on the runtime's backend (Docker, ECS or local processes). Needs the
//! `containers` capability. Container output goes to the stage log; containers still
//! running when the stage ends are stopped and removed by the runtime.

use std::time::Duration;

use crate::bindings::seamless::plugin::containers as host;
use crate::{HostError, KeyValue};

pub use host::{
    ContainerId, ContainerSpec, ContainerState, Health, Healthcheck, NetworkAttachment, SecretEnv,
};

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
            network: None,
            healthcheck: None,
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

    /// Joins the network `network` (from [`crate::networks::create`]) under the host
    /// names `aliases`. Needs the `networks` capability.
    pub fn network<I, S>(mut self, network: impl Into<String>, aliases: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.network = Some(NetworkAttachment {
            network: network.into(),
            aliases: aliases.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Sets the health check the backend runs inside the container.
    pub fn healthcheck(mut self, check: Healthcheck) -> Self {
        self.healthcheck = Some(check);
        self
    }
}

impl Healthcheck {
    /// A check that runs `command` (without a shell; use `["sh", "-c", ..]` for one)
    /// with Docker's defaults: every 30 s, 30 s timeout, 3 retries, no start period.
    pub fn new<I, S>(command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            command: command.into_iter().map(Into::into).collect(),
            interval_ms: 30_000,
            timeout_ms: 30_000,
            retries: 3,
            start_period_ms: 0,
        }
    }

    /// Sets the time between checks.
    pub fn interval(mut self, every: Duration) -> Self {
        self.interval_ms = millis(every);
        self
    }

    /// Sets the time one check may take.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout_ms = millis(limit);
        self
    }

    /// Sets how many failed checks in a row make the container unhealthy.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Sets the time after start during which failures do not count.
    pub fn start_period(mut self, period: Duration) -> Self {
        self.start_period_ms = millis(period);
        self
    }
}

impl ContainerState {
    /// Whether the container has exited (it is not running and has an exit code).
    pub fn exited(&self) -> bool {
        !self.running && self.exit_code.is_some()
    }
}

/// A duration in whole milliseconds, saturating at `u32::MAX` (about 49 days).
fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
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

/// Reports whether a container runs, how it exited and how healthy it is.
pub fn inspect(id: &str) -> Result<ContainerState, HostError> {
    host::inspect(id)
}

/// Whether something accepts TCP connections on `port` of the container, on the
/// network it joined.
pub fn probe_tcp(id: &str, port: u16) -> Result<bool, HostError> {
    host::probe_tcp(id, port)
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
        assert_eq!(spec.network, None);
        assert_eq!(spec.healthcheck, None);
    }

    #[test]
    fn network_and_healthcheck_are_attached() {
        let check = Healthcheck::new(["pg_isready"])
            .interval(Duration::from_secs(2))
            .timeout(Duration::from_millis(500))
            .retries(5)
            .start_period(Duration::from_secs(90));
        let spec = ContainerSpec::new("postgres")
            .network("net-1", ["db", "postgres"])
            .healthcheck(check);
        let net = spec.network.unwrap_or_else(|| panic!("no network"));
        assert_eq!(net.network, "net-1");
        assert_eq!(net.aliases, vec!["db", "postgres"]);
        let hc = spec.healthcheck.unwrap_or_else(|| panic!("no healthcheck"));
        assert_eq!(hc.command, vec!["pg_isready"]);
        assert_eq!(
            (
                hc.interval_ms,
                hc.timeout_ms,
                hc.retries,
                hc.start_period_ms
            ),
            (2_000, 500, 5, 90_000)
        );
    }

    #[test]
    fn healthcheck_defaults_match_docker_and_durations_saturate() {
        let hc = Healthcheck::new(["true"]);
        assert_eq!(
            (hc.interval_ms, hc.timeout_ms, hc.retries),
            (30_000, 30_000, 3)
        );
        let long = Healthcheck::new(["true"]).interval(Duration::from_secs(u64::MAX));
        assert_eq!(long.interval_ms, u32::MAX);
    }

    #[test]
    fn a_state_has_exited_only_with_an_exit_code_and_not_running() {
        let state = |running, exit_code| ContainerState {
            running,
            exit_code,
            health: Health::None,
        };
        assert!(state(false, Some(1)).exited());
        assert!(!state(true, None).exited());
        assert!(!state(false, None).exited());
    }
}
