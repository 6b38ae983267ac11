//! Every AWS API action the ECS host calls, in one list. Each call names its action,
//! so an `AccessDenied` error can say which IAM permission is missing, and a test
//! checks that `iam-policy.json` allows every action here: the policy cannot drift
//! from the code.

use std::fmt;

/// An AWS API action the ECS host calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// `ecs:RunTask`: start a stage task.
    RunTask,
    /// `ecs:DescribeTasks`: wait for tasks, read their exit codes.
    DescribeTasks,
    /// `ecs:StopTask`: stop a task (cancel, clean-up).
    StopTask,
    /// `ecs:ListTasks`: find a run's tasks by `startedBy`.
    ListTasks,
    /// `ecs:TagResource`: tag what the host creates with the run.
    TagResource,
    /// `ecs:DescribeClusters`: check the configured cluster when the host starts.
    DescribeClusters,
    /// `ecs:RegisterTaskDefinition`: register a task shape once.
    RegisterTaskDefinition,
    /// `ecs:DeregisterTaskDefinition`: retire a finished run's workspace shapes.
    DeregisterTaskDefinition,
    /// `ecs:DescribeTaskDefinition`: read the serving revision of a service.
    DescribeTaskDefinition,
    /// `ecs:DescribeServices`: read a service before and during a deploy.
    DescribeServices,
    /// `ecs:UpdateService`: deploy or roll back a service.
    UpdateService,
    /// `logs:GetLogEvents`: stream a task's log into the stage log.
    GetLogEvents,
    /// `ecr:GetAuthorizationToken`: log in to push built images.
    GetAuthorizationToken,
    /// `ecr:CreateRepository`: create a missing repository.
    CreateRepository,
    /// `ecr:DescribeRepositories`: find a repository.
    DescribeRepositories,
    /// `ecr:DescribeImages`: read a pushed image's digest.
    DescribeImages,
    /// `elasticfilesystem:CreateAccessPoint`: a run's workspace.
    CreateAccessPoint,
    /// `elasticfilesystem:DeleteAccessPoint`: remove a run's workspace.
    DeleteAccessPoint,
    /// `elasticfilesystem:DescribeAccessPoints`: find a run's workspace.
    DescribeAccessPoints,
    /// `elasticfilesystem:TagResource`: tag a run's access point as it is created.
    TagAccessPoint,
    /// `iam:PassRole`: hand the execution and task roles to ECS.
    PassRole,
    /// `elasticloadbalancing:DescribeTargetHealth`: a deploy's load balancer check.
    DescribeTargetHealth,
}

impl Action {
    /// Every action, in the order of the policy.
    pub const ALL: [Action; 22] = [
        Action::RunTask,
        Action::DescribeTasks,
        Action::StopTask,
        Action::ListTasks,
        Action::TagResource,
        Action::DescribeClusters,
        Action::RegisterTaskDefinition,
        Action::DeregisterTaskDefinition,
        Action::DescribeTaskDefinition,
        Action::DescribeServices,
        Action::UpdateService,
        Action::GetLogEvents,
        Action::GetAuthorizationToken,
        Action::CreateRepository,
        Action::DescribeRepositories,
        Action::DescribeImages,
        Action::CreateAccessPoint,
        Action::DeleteAccessPoint,
        Action::DescribeAccessPoints,
        Action::TagAccessPoint,
        Action::PassRole,
        Action::DescribeTargetHealth,
    ];

    /// Its name in IAM, such as `ecs:RunTask`.
    pub fn iam_name(self) -> &'static str {
        match self {
            Action::RunTask => "ecs:RunTask",
            Action::DescribeTasks => "ecs:DescribeTasks",
            Action::StopTask => "ecs:StopTask",
            Action::ListTasks => "ecs:ListTasks",
            Action::TagResource => "ecs:TagResource",
            Action::DescribeClusters => "ecs:DescribeClusters",
            Action::RegisterTaskDefinition => "ecs:RegisterTaskDefinition",
            Action::DeregisterTaskDefinition => "ecs:DeregisterTaskDefinition",
            Action::DescribeTaskDefinition => "ecs:DescribeTaskDefinition",
            Action::DescribeServices => "ecs:DescribeServices",
            Action::UpdateService => "ecs:UpdateService",
            Action::GetLogEvents => "logs:GetLogEvents",
            Action::GetAuthorizationToken => "ecr:GetAuthorizationToken",
            Action::CreateRepository => "ecr:CreateRepository",
            Action::DescribeRepositories => "ecr:DescribeRepositories",
            Action::DescribeImages => "ecr:DescribeImages",
            Action::CreateAccessPoint => "elasticfilesystem:CreateAccessPoint",
            Action::DeleteAccessPoint => "elasticfilesystem:DeleteAccessPoint",
            Action::DescribeAccessPoints => "elasticfilesystem:DescribeAccessPoints",
            Action::TagAccessPoint => "elasticfilesystem:TagResource",
            Action::PassRole => "iam:PassRole",
            Action::DescribeTargetHealth => "elasticloadbalancing:DescribeTargetHealth",
        }
    }

    /// Whether IAM can scope it to resources; the others need `"Resource": "*"`.
    pub fn has_resource_scope(self) -> bool {
        !matches!(
            self,
            Action::GetAuthorizationToken
                | Action::RegisterTaskDefinition
                | Action::DeregisterTaskDefinition
                | Action::DescribeTaskDefinition
                | Action::DescribeTargetHealth
                | Action::DescribeAccessPoints
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.iam_name())
    }
}

#[cfg(test)]
mod tests;
