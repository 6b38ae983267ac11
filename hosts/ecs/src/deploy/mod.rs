//! Deploys to ECS services: the [`DeployHost`] of the ECS host. A deploy registers
//! the serving task definition again with the new image ([`revision`]), updates the
//! service to it with the deployment circuit breaker on (ECS rolls a failing
//! deployment back by itself), and reports the rollout as probes: 503 while it runs,
//! 200 once it completed (and the target group, if named, is healthy), an error
//! naming ECS's reason once ECS rolled it back. Abandoning a deploy that is still
//! rolling out updates the service back to the task definition it had.

pub mod revision;
mod rollout;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    DeploymentCircuitBreaker, DeploymentConfiguration, Service, Tag, TaskDefinition,
    TaskDefinitionField,
};
use seamless_host_api::{
    Candidate, CandidateSpec, DeployHost, HostError, LABEL_COMMIT, LABEL_DEPLOY_ENV,
    LABEL_DEPLOY_REVISION, LABEL_DEPLOY_RUN, LABEL_DEPLOY_SERVICE, LogSink, LogStream,
    ManagedService, Serving,
};

use crate::action::Action;
use crate::call::call;
use crate::{BACKEND, Clients, HostMemory};
use rollout::Rollout;

/// A deploy that started and was neither promoted nor discarded.
#[derive(Debug, Clone)]
struct Active {
    cluster: String,
    service: String,
    definition: String,
    previous: String,
    managed: ManagedService,
}

/// Deploys to the ECS services that targets name.
pub struct EcsDeployer {
    clients: Clients,
    cluster: String,
    memory: Arc<dyn HostMemory>,
    active: Mutex<HashMap<String, Active>>,
}

impl EcsDeployer {
    /// A deployer to services of `cluster` (unless a target names another).
    pub fn new(clients: Clients, cluster: String, memory: Arc<dyn HostMemory>) -> Self {
        Self {
            clients,
            cluster,
            memory,
            active: Mutex::new(HashMap::new()),
        }
    }

    async fn service(&self, cluster: &str, name: &str) -> Result<Service, HostError> {
        let request = self
            .clients
            .ecs
            .describe_services()
            .cluster(cluster)
            .services(name);
        let answer = call(Action::DescribeServices, || request.clone().send()).await?;
        answer
            .services()
            .iter()
            .find(|s| s.status() != Some("INACTIVE"))
            .cloned()
            .ok_or_else(|| {
                HostError::NotFound(format!(
                    "ECS service '{name}' in cluster '{cluster}'; check `ecs-service` and \
                     `ecs-cluster` of the target in seamless.toml"
                ))
            })
    }

    async fn definition(&self, arn: &str) -> Result<(TaskDefinition, Vec<Tag>), HostError> {
        let request = self
            .clients
            .ecs
            .describe_task_definition()
            .task_definition(arn)
            .include(TaskDefinitionField::Tags);
        let answer = call(Action::DescribeTaskDefinition, || request.clone().send()).await?;
        let definition = answer
            .task_definition()
            .cloned()
            .ok_or_else(|| HostError::NotFound(format!("task definition {arn}")))?;
        Ok((definition, answer.tags().to_vec()))
    }

    async fn update(
        &self,
        cluster: &str,
        service: &Service,
        definition: &str,
    ) -> Result<(), HostError> {
        let kept = service.deployment_configuration();
        let configuration = DeploymentConfiguration::builder()
            .set_maximum_percent(kept.and_then(|c| c.maximum_percent()))
            .set_minimum_healthy_percent(kept.and_then(|c| c.minimum_healthy_percent()))
            .set_alarms(kept.and_then(|c| c.alarms()).cloned())
            .deployment_circuit_breaker(
                DeploymentCircuitBreaker::builder()
                    .enable(true)
                    .rollback(true)
                    .build(),
            )
            .build();
        let request = self
            .clients
            .ecs
            .update_service()
            .cluster(cluster)
            .service(service.service_name().unwrap_or_default())
            .task_definition(definition)
            .deployment_configuration(configuration);
        call(Action::UpdateService, || request.clone().send()).await?;
        Ok(())
    }

    fn take(&self, revision: &str) -> Option<Active> {
        lock(&self.active).remove(revision)
    }

    fn get(&self, revision: &str) -> Result<Active, HostError> {
        lock(&self.active)
            .get(revision)
            .cloned()
            .ok_or_else(|| HostError::NotFound(format!("deploy {revision} on ECS")))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Where the host remembers which ECS service serves a service's environment.
fn target_key(service: &str, environment: &str) -> String {
    format!("deploy-target:{service}/{environment}")
}

/// The endpoint a deploy records: the health URL's origin, else the service.
fn endpoint(cluster: &str, managed: &ManagedService) -> String {
    match &managed.health_url {
        Some(url) => url.clone(),
        None => format!("ecs://{cluster}/{}", managed.name),
    }
}

#[async_trait]
impl DeployHost for EcsDeployer {
    async fn start_candidate(
        &self,
        spec: CandidateSpec,
        logs: LogSink,
    ) -> Result<Candidate, HostError> {
        let managed = spec.managed.clone().ok_or_else(|| {
            HostError::Invalid(format!(
                "the '{}' target of '{}' names no ECS service; add `ecs-service = \"...\"` to \
                 [service.targets.{}] to deploy with --host ecs",
                spec.environment, spec.service, spec.environment
            ))
        })?;
        let cluster = managed
            .cluster
            .clone()
            .unwrap_or_else(|| self.cluster.clone());
        let service = self.service(&cluster, &managed.name).await?;
        let previous = service
            .task_definition()
            .ok_or_else(|| {
                HostError::Invalid(format!(
                    "ECS service '{}' has no task definition to start from",
                    managed.name
                ))
            })?
            .to_owned();
        let (serving, _) = self.definition(&previous).await?;
        let (containers, replaced) = revision::containers(&serving, &spec.image, &spec.env)?;
        let labels: BTreeMap<String, String> = [
            (LABEL_DEPLOY_SERVICE, spec.service.as_str()),
            (LABEL_DEPLOY_ENV, spec.environment.as_str()),
            (LABEL_DEPLOY_REVISION, spec.revision.as_str()),
            (LABEL_DEPLOY_RUN, spec.run_id.as_str()),
            (LABEL_COMMIT, spec.commit.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let tags = crate::tasks::tags(&labels);
        let request = revision::register_request(&self.clients, &serving, containers, tags);
        let registered = call(Action::RegisterTaskDefinition, || request.clone().send()).await?;
        let definition = registered
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .ok_or_else(|| HostError::Backend {
                backend: BACKEND,
                message: "RegisterTaskDefinition answered without an ARN".into(),
            })?
            .to_owned();
        logs(
            LogStream::Stdout,
            &format!(
                "registered {definition} with {} in container(s) {}",
                spec.image,
                replaced.join(", ")
            ),
        );
        self.update(&cluster, &service, &definition).await?;
        logs(
            LogStream::Stdout,
            &format!(
                "updated ECS service {} in {cluster}; ECS rolls it out (circuit breaker on)",
                managed.name
            ),
        );
        self.memory.put(
            &target_key(&spec.service, &spec.environment),
            &format!("{cluster}/{}", managed.name),
        );
        lock(&self.active).insert(
            spec.revision.clone(),
            Active {
                cluster,
                service: managed.name.clone(),
                definition,
                previous,
                managed,
            },
        );
        Ok(Candidate {
            service: spec.service,
            environment: spec.environment,
            revision: spec.revision,
            containers: Vec::new(),
        })
    }

    async fn probe(
        &self,
        candidate: &Candidate,
        path: &str,
        timeout: Duration,
    ) -> Result<u16, HostError> {
        // The service's own health path is ECS's (its container health check and the
        // load balancer's); a target's `health-url` is a full URL.
        let _ = path;
        let active = self.get(&candidate.revision)?;
        let service = self.service(&active.cluster, &active.service).await?;
        match rollout::read(&service, &active.definition) {
            Rollout::InProgress => Ok(503),
            Rollout::RolledBack(reason) => Err(HostError::Backend {
                backend: BACKEND,
                message: format!(
                    "ECS rolled the deployment of {} back: {reason}",
                    active.definition
                ),
            }),
            Rollout::Completed => {
                if let Some(group) = &active.managed.target_group {
                    let status = rollout::target_health(&self.clients, group).await?;
                    if status != 200 {
                        return Ok(status);
                    }
                }
                match &active.managed.health_url {
                    Some(url) => rollout::health_url(url, timeout).await,
                    None => Ok(200),
                }
            }
        }
    }

    async fn promote(
        &self,
        candidate: &Candidate,
        spec: &CandidateSpec,
    ) -> Result<String, HostError> {
        let _ = spec;
        let active = self.get(&candidate.revision)?;
        self.take(&candidate.revision);
        Ok(endpoint(&active.cluster, &active.managed))
    }

    async fn discard(&self, candidate: &Candidate) -> Result<(), HostError> {
        let Some(active) = self.take(&candidate.revision) else {
            return Ok(());
        };
        let service = self.service(&active.cluster, &active.service).await?;
        // ECS rolled a failed deployment back itself; one still rolling out (the stage
        // gave up waiting) goes back to what served before.
        if service.task_definition() == Some(active.definition.as_str()) {
            self.update(&active.cluster, &service, &active.previous)
                .await?;
        }
        Ok(())
    }

    async fn serving(
        &self,
        service: &str,
        environment: &str,
    ) -> Result<Option<Serving>, HostError> {
        let Some(place) = self.memory.get(&target_key(service, environment)) else {
            return Ok(None);
        };
        let (cluster, name) = place
            .split_once('/')
            .unwrap_or((self.cluster.as_str(), &place));
        let described = self.service(cluster, name).await?;
        let Some(arn) = described.task_definition() else {
            return Ok(None);
        };
        let (definition, tags) = self.definition(arn).await?;
        let revision = tags
            .iter()
            .find(|t| t.key() == Some(LABEL_DEPLOY_REVISION))
            .and_then(|t| t.value())
            .unwrap_or_default()
            .to_owned();
        let image = definition
            .container_definitions()
            .first()
            .and_then(|c| c.image())
            .unwrap_or_default()
            .to_owned();
        Ok(Some(Serving {
            revision,
            image,
            endpoint: format!("ecs://{cluster}/{name}"),
        }))
    }

    async fn remove_unpromoted(&self, run_id: &str) -> Result<usize, HostError> {
        // A deploy leaves no containers of its own: ECS runs the service, and an
        // interrupted rollout is settled against what the service runs.
        let _ = run_id;
        Ok(0)
    }

    async fn check_image(&self, image: &str) -> Result<(), HostError> {
        crate::registry::check_image(&self.clients, image).await
    }
}
