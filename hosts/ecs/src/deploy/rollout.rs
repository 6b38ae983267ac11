//! Reading a service's rollout: whether ECS finished deploying a task definition,
//! is still at it, or rolled it back; and the health of a load balancer target group.

use aws_sdk_ecs::types::Service;
use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;
use seamless_host_api::HostError;

use crate::Clients;
use crate::action::Action;
use crate::call::call;

/// Where a deploy's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    /// ECS is replacing tasks.
    InProgress,
    /// Every task runs the new task definition.
    Completed,
    /// ECS rolled back (circuit breaker), or the service runs something else now.
    RolledBack(String),
}

/// The rollout of `definition` on `service`.
pub fn read(service: &Service, definition: &str) -> Rollout {
    let ours = service
        .deployments()
        .iter()
        .find(|d| d.task_definition() == Some(definition));
    if service.task_definition() != Some(definition) {
        let reason = ours
            .and_then(|d| d.rollout_state_reason())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                format!(
                    "the service runs {} now",
                    service
                        .task_definition()
                        .unwrap_or("another task definition")
                )
            });
        return Rollout::RolledBack(reason);
    }
    let primary = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    match primary.and_then(|d| d.rollout_state()).map(|s| s.as_str()) {
        Some("COMPLETED") => Rollout::Completed,
        Some("FAILED") => Rollout::RolledBack(
            primary
                .and_then(|d| d.rollout_state_reason())
                .unwrap_or("the deployment failed")
                .to_owned(),
        ),
        _ => Rollout::InProgress,
    }
}

/// 200 when every target of the group is healthy, 503 otherwise.
pub async fn target_health(clients: &Clients, group: &str) -> Result<u16, HostError> {
    let request = clients.elb.describe_target_health().target_group_arn(group);
    let answer = call(Action::DescribeTargetHealth, || request.clone().send()).await?;
    let states: Vec<Option<&TargetHealthStateEnum>> = answer
        .target_health_descriptions()
        .iter()
        .map(|d| d.target_health().and_then(|h| h.state()))
        .collect();
    let healthy = !states.is_empty()
        && states
            .iter()
            .all(|s| *s == Some(&TargetHealthStateEnum::Healthy));
    Ok(if healthy { 200 } else { 503 })
}

/// The status `GET url` answers with, within `timeout`.
pub async fn health_url(url: &str, timeout: std::time::Duration) -> Result<u16, HostError> {
    use seamless_client::http::{Endpoint, Transport};
    let failed = |e: seamless_client::http::HttpError| HostError::Backend {
        backend: crate::BACKEND,
        message: format!("the health URL did not answer: {e}"),
    };
    let endpoint = Endpoint::parse(url).map_err(failed)?;
    let transport = Transport::new(endpoint, timeout).map_err(failed)?;
    let answer = transport
        .send(hyper::Method::GET, "", &[], Vec::new())
        .await
        .map_err(failed)?;
    Ok(answer.status)
}
