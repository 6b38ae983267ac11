//! Host functions: one module per WIT interface of `seamless:plugin`.

mod containers;
pub(crate) mod http;
mod images;
mod log;
mod networks;
mod outputs;
mod paths;
mod run_info;
mod secrets;
pub(crate) mod services;
mod source;

use crate::bindings::seamless::plugin::types::HostError as WitHostError;
use crate::capabilities::CapabilityDenied;

impl crate::bindings::seamless::plugin::types::Host for crate::state::StageState {}

impl From<CapabilityDenied> for WitHostError {
    fn from(d: CapabilityDenied) -> Self {
        WitHostError::Denied(d.message)
    }
}

impl From<seamless_host_api::HostError> for WitHostError {
    fn from(e: seamless_host_api::HostError) -> Self {
        match e {
            seamless_host_api::HostError::NotFound(what) => WitHostError::NotFound(what),
            seamless_host_api::HostError::Invalid(what) => WitHostError::Invalid(what),
            other => WitHostError::Backend(other.to_string()),
        }
    }
}
