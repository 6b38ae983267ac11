//! `seamless:plugin/services`: health-checked deploys behind a stable address.
//!
//! The plugin decides when a candidate is healthy; these functions start, probe,
//! switch over and remove, record every deploy as a revision, and hold the deploy
//! lock of the service and environment from `start` to `promote` or `abandon`.

use std::time::Duration;

use super::containers::lock_poisoned;
use crate::bindings::seamless::plugin::services::{
    CandidateId, DeployRequest, Host, Revision as WitRevision,
};
use crate::bindings::seamless::plugin::types::HostError;
use crate::capabilities::Capability;
use crate::deploy_context::DeployContext;
use crate::deploy_lock::{DeployLock, acquire};
use crate::stage_log::LogSource;
use crate::state::StageState;
use seamless_core::deploy::{Revision, pinned_image};
use seamless_host_api::{Candidate, CandidateSpec, DeployHost, LogSink, ManagedService};
use std::sync::Arc;

/// How long one health probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// A started candidate that has been neither promoted nor abandoned.
pub(crate) struct ActiveCandidate {
    pub(crate) candidate: Candidate,
    pub(crate) spec: CandidateSpec,
    pub(crate) _lock: DeployLock,
}

impl StageState {
    fn deploy_context(&self) -> Result<DeployContext, HostError> {
        self.deploy.clone().ok_or_else(|| {
            HostError::Invalid("this stage has no deploy context (no service to deploy)".into())
        })
    }

    fn deployer(&self) -> Result<&dyn DeployHost, HostError> {
        self.host.deployer().ok_or_else(|| {
            HostError::Backend(format!(
                "the {} host cannot deploy services; run on Docker (`--host docker`)",
                self.host.name()
            ))
        })
    }

    fn take_candidate(&self, id: &str) -> Result<ActiveCandidate, HostError> {
        self.candidates
            .lock()
            .map_err(|_| lock_poisoned())?
            .remove(id)
            .ok_or_else(|| HostError::NotFound(format!("deploy candidate '{id}' of this stage")))
    }
}

fn ledger_error(e: String) -> HostError {
    HostError::Backend(format!("cannot record the deploy: {e}"))
}

fn to_wit(r: Revision) -> WitRevision {
    WitRevision {
        id: r.id,
        service: r.service,
        environment: r.environment,
        image: r.image,
        digest: r.digest,
        commit_sha: r.commit_sha.to_string(),
        run_id: r.run_id,
        finished_at_ms: r
            .finished_at
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(0),
        status: r.result,
        reason: r.reason,
        endpoint: r.endpoint,
    }
}

impl Host for StageState {
    async fn start(&mut self, request: DeployRequest) -> Result<CandidateId, HostError> {
        let env = request.environment.clone();
        self.require(&Capability::Deploy(env.clone()), "services.start")?;
        let ctx = self.deploy_context()?;
        let service = &ctx.service;
        let target = service.targets.get(&env).cloned().ok_or_else(|| {
            HostError::NotFound(format!(
                "service '{}' has no '{env}' target; add [service.targets.{env}] with a `port`",
                service.name
            ))
        })?;
        let port = service.port.ok_or_else(|| {
            HostError::Invalid(format!(
                "service '{}' has no `port`; set the port it listens on in its container",
                service.name
            ))
        })?;
        if request.image.trim().is_empty() {
            return Err(HostError::Invalid("deploy image is empty".into()));
        }
        self.deployer()?;

        let log = self.log.clone();
        let waiting_log = log.clone();
        let (name, env_for_msg) = (service.name.clone(), env.clone());
        let lock = acquire(
            ctx.ledger.clone(),
            &service.name,
            &env,
            &self.run.run_id,
            move || {
                waiting_log.write(
                    LogSource::Runtime,
                    &format!("waiting: another run is deploying {name} to {env_for_msg}"),
                )
            },
        )
        .await
        .map_err(|e| HostError::Backend(format!("cannot take the deploy lock: {e}")))?;

        let revision_id = format!("rev-{}", uuid::Uuid::now_v7().simple());
        let endpoint = format!("http://{}:{}", target.bind, target.port);
        let record = Revision {
            id: revision_id.clone(),
            service: service.name.clone(),
            environment: env.clone(),
            image: request.image.clone(),
            digest: request.digest.clone(),
            commit_sha: self.run.commit_sha.clone(),
            run_id: self.run.run_id.clone(),
            started_at: now_ms(),
            finished_at: None,
            result: Revision::IN_PROGRESS.into(),
            reason: None,
            endpoint,
        };
        ctx.ledger.start(&record).map_err(ledger_error)?;

        let mut vars: Vec<(String, String)> = service
            .env
            .iter()
            .chain(target.env.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        vars.push(("SEAMLESS_COMMIT".into(), self.run.commit_sha.to_string()));
        vars.push(("SEAMLESS_ENVIRONMENT".into(), env.clone()));
        vars.push(("SEAMLESS_REVISION".into(), revision_id.clone()));
        let spec = CandidateSpec {
            service: service.name.clone(),
            environment: env.clone(),
            revision: revision_id.clone(),
            run_id: self.run.run_id.clone(),
            commit: self.run.commit_sha.to_string(),
            image: pinned_image(&request.image, request.digest.as_deref()),
            container_port: port,
            public_port: target.port,
            bind_ip: target.bind.clone(),
            replicas: target.replicas,
            env: vars,
            managed: target.ecs.as_ref().map(|ecs| ManagedService {
                name: ecs.service.clone(),
                cluster: ecs.cluster.clone(),
                target_group: ecs.target_group.clone(),
                health_url: ecs.health_url.clone(),
            }),
        };
        let sink: LogSink = Arc::new(move |_, line| log.write(LogSource::ContainerStdout, line));
        let clock = std::time::Instant::now();
        let started = self.deployer()?.start_candidate(spec.clone(), sink).await;
        self.busy += clock.elapsed();
        let candidate = match started {
            Ok(c) => c,
            Err(e) => {
                let reason = format!("the new version could not start: {e}");
                let _ = ctx
                    .ledger
                    .finish(&revision_id, Revision::FAILURE, Some(&reason), None);
                return Err(e.into());
            }
        };
        self.candidates.lock().map_err(|_| lock_poisoned())?.insert(
            revision_id.clone(),
            ActiveCandidate {
                candidate,
                spec,
                _lock: lock,
            },
        );
        Ok(revision_id)
    }

    async fn probe(&mut self, candidate: CandidateId) -> Result<u16, HostError> {
        let (c, path) = {
            let map = self.candidates.lock().map_err(|_| lock_poisoned())?;
            let active = map.get(&candidate).ok_or_else(|| {
                HostError::NotFound(format!("deploy candidate '{candidate}' of this stage"))
            })?;
            let path = self
                .deploy
                .as_ref()
                .map_or_else(|| "/health".to_string(), |d| d.service.health.clone());
            (active.candidate.clone(), path)
        };
        self.require(&Capability::Deploy(c.environment.clone()), "services.probe")?;
        let clock = std::time::Instant::now();
        let status = self.deployer()?.probe(&c, &path, PROBE_TIMEOUT).await;
        self.busy += clock.elapsed();
        Ok(status?)
    }

    async fn promote(&mut self, candidate: CandidateId) -> Result<WitRevision, HostError> {
        let active = self.take_candidate(&candidate)?;
        self.require(
            &Capability::Deploy(active.candidate.environment.clone()),
            "services.promote",
        )?;
        let ctx = self.deploy_context()?;
        let clock = std::time::Instant::now();
        let promoted = self
            .deployer()?
            .promote(&active.candidate, &active.spec)
            .await;
        self.busy += clock.elapsed();
        match promoted {
            Ok(endpoint) => {
                let revision = ctx
                    .ledger
                    .finish(&candidate, Revision::SUCCESS, None, Some(&endpoint))
                    .map_err(ledger_error)?;
                Ok(to_wit(revision))
            }
            Err(e) => {
                let reason = format!("switch-over failed: {e}");
                let _ = self.deployer()?.discard(&active.candidate).await;
                let _ = ctx
                    .ledger
                    .finish(&candidate, Revision::FAILURE, Some(&reason), None);
                Err(e.into())
            }
        }
    }

    async fn abandon(
        &mut self,
        candidate: CandidateId,
        reason: String,
    ) -> Result<WitRevision, HostError> {
        let active = self.take_candidate(&candidate)?;
        self.require(
            &Capability::Deploy(active.candidate.environment.clone()),
            "services.abandon",
        )?;
        let ctx = self.deploy_context()?;
        self.deployer()?.discard(&active.candidate).await?;
        let revision = ctx
            .ledger
            .finish(&candidate, Revision::FAILURE, Some(&reason), None)
            .map_err(ledger_error)?;
        Ok(to_wit(revision))
    }

    async fn current(&mut self, environment: String) -> Result<Option<WitRevision>, HostError> {
        self.require(&Capability::Deploy(environment.clone()), "services.current")?;
        let ctx = self.deploy_context()?;
        let current = ctx
            .ledger
            .current(&ctx.service.name, &environment)
            .map_err(ledger_error)?;
        Ok(current.map(to_wit))
    }
}

/// Abandons candidates a stage left behind (it ended, failed or was cancelled before
/// promoting or abandoning them).
pub(crate) async fn abandon_leftovers(
    host: &dyn seamless_host_api::ContainerHost,
    deploy: Option<&DeployContext>,
    leftovers: Vec<ActiveCandidate>,
    log: &crate::stage_log::StageLog,
) {
    for active in leftovers {
        let id = active.candidate.revision.clone();
        log.write(
            LogSource::Runtime,
            &format!("removing deploy candidate {id}: the stage ended without promoting it"),
        );
        if let Some(deployer) = host.deployer()
            && let Err(e) = deployer.discard(&active.candidate).await
        {
            log.write(LogSource::Runtime, &format!("could not remove {id}: {e}"));
        }
        if let Some(ctx) = deploy {
            let _ = ctx.ledger.finish(
                &id,
                Revision::FAILURE,
                Some("the stage ended without promoting the new version"),
                None,
            );
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
