//! The AWS clients the ECS host calls, from one shared configuration: the standard
//! credential chain, the configured region, and an endpoint override (the
//! `AWS_ENDPOINT_URL` variable, or [`Clients::load`]'s `endpoint`) for tests against
//! an AWS stand-in. The SDK's own retries are off: [`crate::call`] retries.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};

/// An AWS stand-in (such as moto) to talk to instead of AWS, with the static
/// credentials it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Its URL, such as `http://127.0.0.1:5005`.
    pub url: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

/// One client per AWS service the host uses.
#[derive(Debug, Clone)]
pub struct Clients {
    /// ECS: tasks, task definitions, services.
    pub ecs: aws_sdk_ecs::Client,
    /// CloudWatch Logs: stage logs.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// ECR: image repositories.
    pub ecr: aws_sdk_ecr::Client,
    /// EFS: workspace access points.
    pub efs: aws_sdk_efs::Client,
    /// Elastic Load Balancing: target health of deployed services.
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
}

impl Clients {
    /// Loads the shared configuration for `region`, talking to `endpoint` when given.
    pub async fn load(region: &str, endpoint: Option<&Endpoint>) -> Self {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(30))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts);
        if let Some(endpoint) = endpoint {
            let credentials = aws_sdk_ecs::config::Credentials::new(
                &endpoint.access_key_id,
                &endpoint.secret_access_key,
                None,
                None,
                "seamless-endpoint",
            );
            loader = loader
                .endpoint_url(&endpoint.url)
                .credentials_provider(credentials);
        }
        let shared = loader.load().await;
        Self {
            ecs: aws_sdk_ecs::Client::new(&shared),
            logs: aws_sdk_cloudwatchlogs::Client::new(&shared),
            ecr: aws_sdk_ecr::Client::new(&shared),
            efs: aws_sdk_efs::Client::new(&shared),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&shared),
        }
    }
}
