//! `seamless:plugin/secrets`: named secrets, each behind its own grant.

use crate::bindings::seamless::plugin::secrets::Host;
use crate::bindings::seamless::plugin::types::HostError;
use crate::capabilities::Capability;
use crate::state::StageState;

impl Host for StageState {
    async fn get(&mut self, name: String) -> Result<String, HostError> {
        self.require(&Capability::Secret(name.clone()), "secrets.get")?;
        self.secrets.get(&name).cloned().ok_or_else(|| {
            HostError::NotFound(format!(
                "secret '{name}' has no value; set the source named in [secrets.{name}] of seamless.toml"
            ))
        })
    }
}
