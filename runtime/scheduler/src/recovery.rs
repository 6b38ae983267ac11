//! Picking a run up after its process died: what was running is cleaned up and put
//! back to idle, and interrupted deploys are settled against what really serves.

use crate::events::RunEvent;
use seamless_core::deploy::Revision;
use seamless_core::plan::RunPlan;
use seamless_core::state::{StageEvent, StageStatus};
use seamless_host_api::{ContainerHost, LABEL_RUN, LABEL_SERVICE, LABEL_STAGE};
use seamless_store::{StageKey, Store, StoreError};
use std::collections::BTreeMap;
use tokio::sync::mpsc::UnboundedSender;

/// Removes the containers and networks of instances that were running when the
/// previous process died, and puts those instances back to idle so they run again
/// from the start (a plugin's state died with the process).
pub(crate) async fn restart_interrupted(
    store: &Store,
    host: &dyn ContainerHost,
    run_id: &str,
    plan: &RunPlan,
    status: &mut [StageStatus],
    events: &UnboundedSender<RunEvent>,
) -> Result<(), StoreError> {
    for (i, inst) in plan.instances.iter().enumerate() {
        if status[i] != StageStatus::InProgress {
            continue;
        }
        let mut labels = BTreeMap::from([
            (LABEL_RUN.to_owned(), run_id.to_owned()),
            (LABEL_STAGE.to_owned(), inst.stage.clone()),
        ]);
        if !inst.service.is_empty() {
            labels.insert(LABEL_SERVICE.to_owned(), inst.service.clone());
        }
        match host.remove_labelled(&labels).await {
            Ok(n) if n > 0 => tracing::info!(
                stage = %inst.stage, service = %inst.service, removed = n,
                "removed what the interrupted attempt left"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not remove an interrupted stage's containers")
            }
        }
        let key = StageKey {
            run_id: run_id.to_owned(),
            service: inst.service.clone(),
            stage: inst.stage.clone(),
        };
        status[i] = store.transition(&key, StageEvent::Retry)?;
        let _ = events.send(RunEvent::Stage {
            service: inst.service.clone(),
            stage: inst.stage.clone(),
            status: status[i],
            duration: None,
            message: Some("interrupted by a restart of the runtime; it runs again".into()),
        });
    }
    Ok(())
}

/// Settles the deploys of `run_id` that never ended: one whose containers serve the
/// environment is recorded as a success (so it is not applied twice); any other is
/// recorded as a failure and its leftover containers are removed.
pub(crate) async fn settle_deploys(
    store: &Store,
    host: &dyn ContainerHost,
    run_id: &str,
) -> Result<(), StoreError> {
    let unfinished = store.unfinished_revisions(run_id)?;
    let Some(deployer) = host.deployer() else {
        for revision in unfinished {
            store.finish_revision(
                &revision.id,
                Revision::FAILURE,
                Some("interrupted by a restart of the runtime"),
                None,
            )?;
        }
        return Ok(());
    };
    for revision in unfinished {
        let serving = deployer
            .serving(&revision.service, &revision.environment)
            .await
            .ok()
            .flatten();
        match serving {
            Some(s) if s.revision == revision.id => {
                store.finish_revision(&revision.id, Revision::SUCCESS, None, Some(&s.endpoint))?;
            }
            _ => {
                store.finish_revision(
                    &revision.id,
                    Revision::FAILURE,
                    Some("interrupted by a restart of the runtime before the switch-over"),
                    None,
                )?;
            }
        }
    }
    if let Err(e) = deployer.remove_unpromoted(run_id).await {
        tracing::warn!(error = %e, "could not remove interrupted deploy candidates");
    }
    Ok(())
}

/// When each waiting gate began to wait, from the recorded transitions.
pub(crate) fn awaiting_since(
    store: &Store,
    run_id: &str,
    plan: &RunPlan,
    status: &[StageStatus],
) -> Result<Vec<Option<i64>>, StoreError> {
    let events = store.events(run_id)?;
    Ok(plan
        .instances
        .iter()
        .zip(status)
        .map(|(inst, s)| {
            (*s == StageStatus::AwaitingApproval)
                .then(|| {
                    events
                        .iter()
                        .rev()
                        .find(|e| {
                            e.service == inst.service
                                && e.stage == inst.stage
                                && e.to == StageStatus::AwaitingApproval.as_str()
                        })
                        .map(|e| e.at)
                })
                .flatten()
        })
        .collect())
}
