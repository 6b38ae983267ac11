//! The container host used while a plugin's `describe` runs: no host calls.

use std::collections::BTreeMap;

/// The host used while calling `describe`: a plugin may not touch the world there.
pub(crate) struct NoHost;

#[async_trait::async_trait]
impl seamless_host_api::ContainerHost for NoHost {
    fn name(&self) -> &'static str {
        "none"
    }
    async fn run(
        &self,
        _spec: seamless_host_api::ContainerSpec,
        _logs: seamless_host_api::LogSink,
    ) -> Result<seamless_host_api::ContainerHandle, seamless_host_api::HostError> {
        Err(refused())
    }
    async fn wait(
        &self,
        _h: &seamless_host_api::ContainerHandle,
    ) -> Result<i64, seamless_host_api::HostError> {
        Err(refused())
    }
    async fn stop(
        &self,
        _h: &seamless_host_api::ContainerHandle,
    ) -> Result<(), seamless_host_api::HostError> {
        Ok(())
    }
    async fn build_image(
        &self,
        _spec: seamless_host_api::ImageBuildSpec,
        _logs: seamless_host_api::LogSink,
    ) -> Result<String, seamless_host_api::HostError> {
        Err(refused())
    }
    async fn remove_labelled(
        &self,
        _labels: &BTreeMap<String, String>,
    ) -> Result<usize, seamless_host_api::HostError> {
        Ok(0)
    }
}

fn refused() -> seamless_host_api::HostError {
    seamless_host_api::HostError::Invalid("no host calls are allowed during describe()".into())
}
