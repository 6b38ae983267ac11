//! The running stack: a network and the containers on it. Dropping a [`Stack`]
//! tears it all down, so no return path can leave anything behind.

use std::time::{Duration, Instant};

use seamless_sdk::containers::{self, ContainerSpec, ContainerState, Health};
use seamless_sdk::{StageError, log, networks};

use crate::compose::{Planned, Readiness};

/// Time between two readiness checks.
const POLL: Duration = Duration::from_millis(500);

/// A network and the containers started on it, stopped and removed on drop.
pub struct Stack {
    network: String,
    /// Started containers that may still exist: (service, container id).
    started: Vec<(String, String)>,
}

impl Stack {
    /// Creates the network the stack runs on.
    pub fn create(name_hint: &str) -> Result<Self, StageError> {
        let network = networks::create(name_hint)?;
        log::info(&format!("created network {network}"));
        Ok(Self {
            network,
            started: Vec::new(),
        })
    }

    /// The network's id.
    pub fn network(&self) -> &str {
        &self.network
    }

    /// A container spec for `service` on the stack's network, under its name.
    pub fn spec(&self, service: &Planned, image: &str) -> ContainerSpec {
        let mut spec = ContainerSpec::new(image)
            .command(service.command.iter().map(String::as_str))
            .network(self.network.as_str(), [service.name.as_str()]);
        for (k, v) in &service.env {
            spec = spec.env(k.as_str(), v.as_str());
        }
        if let Some(dir) = &service.workdir {
            spec = spec.workdir(dir.as_str());
        }
        if service.mount_workspace {
            spec = spec.mount_workspace();
        }
        if let Some(check) = &service.healthcheck {
            spec = spec.healthcheck(check.clone());
        }
        spec
    }

    /// Starts a container for `service` and returns its id.
    pub fn start(&mut self, service: &str, spec: &ContainerSpec) -> Result<String, StageError> {
        log::info(&format!("starting {service} ({})", spec.image));
        let id = containers::run(spec)?;
        self.started.push((service.to_owned(), id.clone()));
        Ok(id)
    }

    /// Waits for a started container to exit and returns its exit code; the
    /// container is gone afterwards.
    pub fn wait(&mut self, id: &str) -> Result<i32, StageError> {
        let code = containers::wait(id)?;
        self.started.retain(|(_, started)| started != id);
        Ok(code)
    }

    /// Waits until `service` (container `id`) is ready as `readiness` says, failing
    /// fast when it exits or turns unhealthy, and after `timeout`.
    pub fn wait_ready(
        &mut self,
        service: &str,
        id: &str,
        readiness: Readiness,
        timeout: Duration,
    ) -> Result<(), StageError> {
        if readiness == Readiness::Completed {
            return match self.wait(id)? {
                0 => Ok(()),
                code => Err(StageError::failed(format!(
                    "service `{service}` exited with code {code}; services that depend on it need it to succeed"
                ))),
            };
        }
        let start = Instant::now();
        loop {
            let state = containers::inspect(id)?;
            if let Some(code) = state.exit_code.filter(|_| !state.running) {
                // A one-shot service (no health check, no port) that succeeded is done.
                if readiness == Readiness::Running && code == 0 {
                    log::info(&format!("{service} ran and exited with code 0"));
                    return Ok(());
                }
                return Err(StageError::failed(format!(
                    "service `{service}` exited with code {code} before it was ready"
                )));
            }
            let ready = match readiness {
                Readiness::Healthy => match state.health {
                    Health::Healthy => true,
                    Health::Unhealthy => {
                        return Err(StageError::failed(format!(
                            "service `{service}` is unhealthy: its health check failed too often"
                        )));
                    }
                    Health::Starting => false,
                    // The backend runs no health checks (the local host): running it is.
                    Health::None => {
                        log::warn(&format!(
                            "the backend does not run health checks; taking {service} as ready once it runs"
                        ));
                        state.running
                    }
                },
                Readiness::Port(port) => state.running && containers::probe_tcp(id, port)?,
                Readiness::Running | Readiness::Completed => state.running,
            };
            if ready {
                log::info(&format!("{service} is ready"));
                return Ok(());
            }
            if start.elapsed() >= timeout {
                return Err(StageError::failed(format!(
                    "service `{service}` was not ready within {}s ({}; last state: {})",
                    timeout.as_secs(),
                    describe_readiness(readiness),
                    describe_state(&state)
                )));
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for (service, id) in self.started.drain(..).rev() {
            if let Err(e) = containers::stop(&id) {
                log::debug(&format!("stopping {service}: {}", e.message()));
            }
        }
        match networks::remove(&self.network) {
            Ok(()) => log::info(&format!("removed network {}", self.network)),
            Err(e) => log::warn(&format!(
                "cannot remove network {}: {}",
                self.network,
                e.message()
            )),
        }
    }
}

/// What a service was waited for.
pub fn describe_readiness(readiness: Readiness) -> String {
    match readiness {
        Readiness::Healthy => "waiting for its health check".to_owned(),
        Readiness::Port(port) => format!("waiting for TCP port {port}"),
        Readiness::Running => "waiting for it to run".to_owned(),
        Readiness::Completed => "waiting for it to finish".to_owned(),
    }
}

/// `running, health starting` or `exited with code 1`.
pub fn describe_state(state: &ContainerState) -> String {
    let health = match state.health {
        Health::None => None,
        Health::Starting => Some("starting"),
        Health::Healthy => Some("healthy"),
        Health::Unhealthy => Some("unhealthy"),
    };
    let run = match (state.running, state.exit_code) {
        (true, _) => "running".to_owned(),
        (false, Some(code)) => format!("exited with code {code}"),
        (false, None) => "not running".to_owned(),
    };
    match health {
        Some(h) => format!("{run}, health {h}"),
        None => run,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(running: bool, exit_code: Option<i32>, health: Health) -> ContainerState {
        ContainerState {
            running,
            exit_code,
            health,
        }
    }

    #[test]
    fn states_are_described_for_people() {
        assert_eq!(
            describe_state(&state(true, None, Health::Starting)),
            "running, health starting"
        );
        assert_eq!(
            describe_state(&state(false, Some(3), Health::None)),
            "exited with code 3"
        );
        assert_eq!(
            describe_state(&state(false, None, Health::None)),
            "not running"
        );
    }

    #[test]
    fn readiness_is_described() {
        assert_eq!(
            describe_readiness(Readiness::Port(5432)),
            "waiting for TCP port 5432"
        );
        assert_eq!(
            describe_readiness(Readiness::Healthy),
            "waiting for its health check"
        );
    }
}
