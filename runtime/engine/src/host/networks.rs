//! `seamless:plugin/networks`: networks that connect a stage's containers.

use super::containers::lock_poisoned;
use crate::bindings::seamless::plugin::networks::Host;
use crate::bindings::seamless::plugin::types::HostError;
use crate::capabilities::Capability;
use crate::state::StageState;
use seamless_host_api::{LABEL_RUN, NetworkSpec};

impl Host for StageState {
    async fn create(&mut self, name: String) -> Result<String, HostError> {
        self.require(&Capability::Networks, "networks.create")?;
        let hint: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(24)
            .collect::<String>()
            .to_ascii_lowercase();
        let run = self.labels.get(LABEL_RUN).cloned().unwrap_or_default();
        let run_short: String = run.chars().take(12).collect();
        self.next_container += 1;
        let unique = format!(
            "seamless-{run_short}-{}-{}",
            if hint.is_empty() { "net" } else { &hint },
            self.next_container
        );
        let started = std::time::Instant::now();
        let handle = self
            .host
            .create_network(NetworkSpec {
                name: unique,
                labels: self.labels.clone(),
            })
            .await;
        self.busy += started.elapsed();
        let handle = handle?;
        self.networks
            .lock()
            .map_err(|_| lock_poisoned())?
            .push(handle.name.clone());
        Ok(handle.name)
    }

    async fn remove(&mut self, id: String) -> Result<(), HostError> {
        self.require(&Capability::Networks, "networks.remove")?;
        let removed = {
            let mut networks = self.networks.lock().map_err(|_| lock_poisoned())?;
            let position = networks.iter().position(|n| *n == id);
            position.map(|p| networks.remove(p))
        };
        if removed.is_none() {
            return Err(HostError::NotFound(format!("network '{id}' of this stage")));
        }
        let started = std::time::Instant::now();
        let removed = self.host.remove_network(&id).await;
        self.busy += started.elapsed();
        Ok(removed?)
    }
}
