//! `seamless:plugin/source`: checks the run's source out into its workspace.

use crate::bindings::seamless::plugin::source::{CheckoutInfo, Host};
use crate::bindings::seamless::plugin::types::HostError;
use crate::capabilities::Capability;
use crate::checkout::checkout;
use crate::stage_log::LogSource;
use crate::state::StageState;

impl Host for StageState {
    async fn checkout(&mut self) -> Result<CheckoutInfo, HostError> {
        self.require(&Capability::WorkspaceWrite, "source.checkout")?;
        let source = self.run.source.clone().ok_or_else(|| {
            HostError::Invalid(
                "this run has no source to check out (it works in place); remove the prepare \
                 stage or run from a repository"
                    .into(),
            )
        })?;
        let origin = source.origin();
        self.log.write(
            LogSource::Runtime,
            &format!("checking out {origin} into {}", self.workspace.display()),
        );
        let commit = self.run.commit_sha.clone();
        let workspace = self.workspace.clone();
        let started = std::time::Instant::now();
        let done =
            tokio::task::spawn_blocking(move || checkout(&source, &commit, &workspace)).await;
        self.busy += started.elapsed();
        let done = done
            .map_err(|e| HostError::Backend(format!("checkout task failed: {e}")))?
            .map_err(|e| HostError::Backend(e.0))?;
        Ok(CheckoutInfo {
            commit_sha: done.commit_sha.to_string(),
            origin,
            files: done.files,
        })
    }
}
