//! Run workspaces on EFS: each run gets an access point of its own, rooted at
//! `/seamless/runs/<run>`, which every stage task of the run mounts at `/workspace`.
//! A task can reach its run's directory and nothing above it, so two runs never share
//! one. The runtime itself sees the same directory where the file system's
//! `/seamless/runs` is mounted as `<data dir>/workspaces` (see the README).

use std::collections::HashMap;

use aws_sdk_efs::types::{CreationInfo, LifeCycleState, RootDirectory, Tag};
use seamless_host_api::{HostError, LABEL_RUN};

use crate::Clients;
use crate::action::Action;
use crate::call::call;

/// The directory of run workspaces on the file system.
pub const RUNS_ROOT: &str = "/seamless/runs";

/// The access points of the runs this host serves.
#[derive(Debug, Default)]
pub struct Workspaces {
    by_run: tokio::sync::Mutex<HashMap<String, String>>,
}

impl Workspaces {
    /// The access point of `run` on `file_system`: the one already made for it (by
    /// this process or an earlier one), or a new one.
    pub async fn access_point(
        &self,
        clients: &Clients,
        file_system: &str,
        run: &str,
    ) -> Result<String, HostError> {
        check_run_id(run)?;
        let mut by_run = self.by_run.lock().await;
        if let Some(id) = by_run.get(run) {
            return Ok(id.clone());
        }
        let id = match find(clients, file_system, run).await?.into_iter().next() {
            Some(id) => id,
            None => create(clients, file_system, run).await?,
        };
        by_run.insert(run.to_owned(), id.clone());
        Ok(id)
    }

    /// Deletes `run`'s access points (its directory stays, for the runtime's
    /// `[workspaces] keep` to prune) and returns how many there were.
    pub async fn release(
        &self,
        clients: &Clients,
        file_system: &str,
        run: &str,
    ) -> Result<usize, HostError> {
        let mut by_run = self.by_run.lock().await;
        by_run.remove(run);
        let found = find(clients, file_system, run).await?;
        for id in &found {
            let request = clients.efs.delete_access_point().access_point_id(id);
            match call(Action::DeleteAccessPoint, || request.clone().send()).await {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(found.len())
    }
}

/// Run ids become directory names: only letters, digits, `-` and `_`.
fn check_run_id(run: &str) -> Result<(), HostError> {
    let ok = !run.is_empty()
        && run.len() <= 64
        && run
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(HostError::Invalid(format!(
            "run id '{run}' cannot name a workspace directory"
        )))
    }
}

/// The ids of the access points tagged with `run`.
async fn find(clients: &Clients, file_system: &str, run: &str) -> Result<Vec<String>, HostError> {
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = clients
            .efs
            .describe_access_points()
            .file_system_id(file_system)
            .set_next_token(token.clone());
        let page = call(Action::DescribeAccessPoints, || request.clone().send()).await?;
        for point in page.access_points() {
            let ours = point
                .tags()
                .iter()
                .any(|t| t.key() == LABEL_RUN && t.value() == run);
            let usable = !matches!(
                point.life_cycle_state(),
                Some(LifeCycleState::Deleting | LifeCycleState::Deleted | LifeCycleState::Error)
            );
            if ours
                && usable
                && let Some(id) = point.access_point_id()
            {
                found.push(id.to_owned());
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(found);
        }
    }
}

async fn create(clients: &Clients, file_system: &str, run: &str) -> Result<String, HostError> {
    let invalid = |e: aws_sdk_efs::error::BuildError| {
        HostError::Invalid(format!("cannot build the EFS request: {e}"))
    };
    let creation = CreationInfo::builder()
        .owner_uid(0)
        .owner_gid(0)
        .permissions("0755")
        .build()
        .map_err(invalid)?;
    let tag = |key: &str, value: String| Tag::builder().key(key).value(value).build();
    let request = clients
        .efs
        .create_access_point()
        .client_token(run)
        .file_system_id(file_system)
        .root_directory(
            RootDirectory::builder()
                .path(format!("{RUNS_ROOT}/{run}"))
                .creation_info(creation)
                .build(),
        )
        .tags(tag("Name", format!("seamless-run-{run}")).map_err(invalid)?)
        .tags(tag(LABEL_RUN, run.to_owned()).map_err(invalid)?);
    let out = call(Action::CreateAccessPoint, || request.clone().send()).await?;
    let id = out.access_point_id().ok_or_else(|| {
        HostError::Invalid("CreateAccessPoint answered without an access point id".into())
    })?;
    tracing::info!(
        run,
        access_point = id,
        "created the run's workspace access point"
    );
    Ok(id.to_owned())
}
