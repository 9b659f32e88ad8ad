//! One mutating API call, named and parameterised as in AWS, so that a plan
//! can show it (and its `aws` CLI line) before anything is done.

use std::fmt;

/// `ContinueDeployment`'s `deploymentWaitType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitType {
    /// Reroute traffic now.
    ReadyWait,
    /// Terminate the originals now.
    TerminationWait,
}

impl WaitType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadyWait => "READY_WAIT",
            Self::TerminationWait => "TERMINATION_WAIT",
        }
    }
}

/// A call that changes the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    CreateDeployment {
        application: String,
        group: String,
        bucket: String,
        key: String,
        bundle: String,
        /// The S3 object's version or ETag, when the revision names one (the
        /// same key is often pushed again).
        version: Option<String>,
        etag: Option<String>,
    },
    ContinueDeployment {
        deployment_id: String,
        wait: WaitType,
    },
    StopDeployment {
        deployment_id: String,
        auto_rollback: bool,
    },
    AttachTargetGroups {
        asg: String,
        target_group_arns: Vec<String>,
    },
    DetachTargetGroups {
        asg: String,
        target_group_arns: Vec<String>,
    },
    AttachClassicLoadBalancers {
        asg: String,
        names: Vec<String>,
    },
    DetachClassicLoadBalancers {
        asg: String,
        names: Vec<String>,
    },
    RegisterTargets {
        target_group_arn: String,
        instance_ids: Vec<String>,
    },
    DeregisterTargets {
        target_group_arn: String,
        instance_ids: Vec<String>,
    },
    UpdateDeploymentGroup {
        application: String,
        group: String,
        autoscaling_groups: Vec<String>,
    },
    DeleteAutoScalingGroup {
        asg: String,
        force: bool,
    },
}

impl Call {
    /// The AWS service, as the CLI names it.
    pub fn service(&self) -> &'static str {
        match self {
            Self::CreateDeployment { .. }
            | Self::ContinueDeployment { .. }
            | Self::StopDeployment { .. }
            | Self::UpdateDeploymentGroup { .. } => "deploy",
            Self::AttachTargetGroups { .. }
            | Self::DetachTargetGroups { .. }
            | Self::AttachClassicLoadBalancers { .. }
            | Self::DetachClassicLoadBalancers { .. }
            | Self::DeleteAutoScalingGroup { .. } => "autoscaling",
            Self::RegisterTargets { .. } | Self::DeregisterTargets { .. } => "elbv2",
        }
    }

    /// The operation, as the API names it.
    pub fn operation(&self) -> &'static str {
        match self {
            Self::CreateDeployment { .. } => "CreateDeployment",
            Self::ContinueDeployment { .. } => "ContinueDeployment",
            Self::StopDeployment { .. } => "StopDeployment",
            Self::AttachTargetGroups { .. } => "AttachLoadBalancerTargetGroups",
            Self::DetachTargetGroups { .. } => "DetachLoadBalancerTargetGroups",
            Self::AttachClassicLoadBalancers { .. } => "AttachLoadBalancers",
            Self::DetachClassicLoadBalancers { .. } => "DetachLoadBalancers",
            Self::RegisterTargets { .. } => "RegisterTargets",
            Self::DeregisterTargets { .. } => "DeregisterTargets",
            Self::UpdateDeploymentGroup { .. } => "UpdateDeploymentGroup",
            Self::DeleteAutoScalingGroup { .. } => "DeleteAutoScalingGroup",
        }
    }

    /// What it acts on, for the audit log and confirmations.
    pub fn target(&self) -> String {
        match self {
            Self::CreateDeployment { application, group, .. }
            | Self::UpdateDeploymentGroup { application, group, .. } => format!("{application}/{group}"),
            Self::ContinueDeployment { deployment_id, .. } | Self::StopDeployment { deployment_id, .. } => {
                deployment_id.clone()
            }
            Self::AttachTargetGroups { asg, .. }
            | Self::DetachTargetGroups { asg, .. }
            | Self::AttachClassicLoadBalancers { asg, .. }
            | Self::DetachClassicLoadBalancers { asg, .. }
            | Self::DeleteAutoScalingGroup { asg, .. } => asg.clone(),
            Self::RegisterTargets { target_group_arn, .. } | Self::DeregisterTargets { target_group_arn, .. } => {
                target_group_arn.clone()
            }
        }
    }

    /// The parameters, named as in the API.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::CreateDeployment { application, group, bucket, key, bundle, version, etag } => {
                let pinned = match (version, etag) {
                    (Some(v), _) => format!(" version {v}"),
                    (None, Some(e)) => format!(" eTag {e}"),
                    (None, None) => String::new(),
                };
                vec![
                    ("applicationName", application.clone()),
                    ("deploymentGroupName", group.clone()),
                    ("revision", format!("s3://{bucket}/{key} ({bundle}{pinned})")),
                ]
            }
            Self::ContinueDeployment { deployment_id, wait } => {
                vec![("deploymentId", deployment_id.clone()), ("deploymentWaitType", wait.as_str().to_string())]
            }
            Self::StopDeployment { deployment_id, auto_rollback } => {
                vec![("deploymentId", deployment_id.clone()), ("autoRollbackEnabled", auto_rollback.to_string())]
            }
            Self::AttachTargetGroups { asg, target_group_arns }
            | Self::DetachTargetGroups { asg, target_group_arns } => {
                vec![("AutoScalingGroupName", asg.clone()), ("TargetGroupARNs", target_group_arns.join(","))]
            }
            Self::AttachClassicLoadBalancers { asg, names } | Self::DetachClassicLoadBalancers { asg, names } => {
                vec![("AutoScalingGroupName", asg.clone()), ("LoadBalancerNames", names.join(","))]
            }
            Self::RegisterTargets { target_group_arn, instance_ids }
            | Self::DeregisterTargets { target_group_arn, instance_ids } => {
                vec![("TargetGroupArn", target_group_arn.clone()), ("Targets", instance_ids.join(","))]
            }
            Self::UpdateDeploymentGroup { application, group, autoscaling_groups } => vec![
                ("applicationName", application.clone()),
                ("currentDeploymentGroupName", group.clone()),
                ("autoScalingGroups", autoscaling_groups.join(",")),
            ],
            Self::DeleteAutoScalingGroup { asg, force } => {
                vec![("AutoScalingGroupName", asg.clone()), ("ForceDelete", force.to_string())]
            }
        }
    }

    /// The equivalent `aws` CLI command line, every argument shell-quoted.
    pub fn cli(&self) -> String {
        let words: Vec<String> = match self {
            Self::CreateDeployment { application, group, bucket, key, bundle, version, etag } => {
                let mut location = format!("bucket={bucket},key={key},bundleType={bundle}");
                if let Some(v) = version {
                    location = format!("{location},version={v}");
                }
                if let Some(e) = etag {
                    location = format!("{location},eTag={e}");
                }
                args(
                    "deploy create-deployment",
                    &[
                        ("--application-name", application),
                        ("--deployment-group-name", group),
                        ("--s3-location", &location),
                    ],
                )
            }
            Self::ContinueDeployment { deployment_id, wait } => args(
                "deploy continue-deployment",
                &[("--deployment-id", deployment_id), ("--deployment-wait-type", wait.as_str())],
            ),
            Self::StopDeployment { deployment_id, auto_rollback } => {
                let mut w = args("deploy stop-deployment", &[("--deployment-id", deployment_id)]);
                w.push(if *auto_rollback { "--auto-rollback-enabled" } else { "--no-auto-rollback-enabled" }.into());
                w
            }
            Self::AttachTargetGroups { asg, target_group_arns } => list(
                args("autoscaling attach-load-balancer-target-groups", &[("--auto-scaling-group-name", asg)]),
                "--target-group-arns",
                target_group_arns,
            ),
            Self::DetachTargetGroups { asg, target_group_arns } => list(
                args("autoscaling detach-load-balancer-target-groups", &[("--auto-scaling-group-name", asg)]),
                "--target-group-arns",
                target_group_arns,
            ),
            Self::AttachClassicLoadBalancers { asg, names } => list(
                args("autoscaling attach-load-balancers", &[("--auto-scaling-group-name", asg)]),
                "--load-balancer-names",
                names,
            ),
            Self::DetachClassicLoadBalancers { asg, names } => list(
                args("autoscaling detach-load-balancers", &[("--auto-scaling-group-name", asg)]),
                "--load-balancer-names",
                names,
            ),
            Self::RegisterTargets { target_group_arn, instance_ids } => {
                let targets: Vec<String> = instance_ids.iter().map(|id| format!("Id={id}")).collect();
                list(args("elbv2 register-targets", &[("--target-group-arn", target_group_arn)]), "--targets", &targets)
            }
            Self::DeregisterTargets { target_group_arn, instance_ids } => {
                let targets: Vec<String> = instance_ids.iter().map(|id| format!("Id={id}")).collect();
                list(
                    args("elbv2 deregister-targets", &[("--target-group-arn", target_group_arn)]),
                    "--targets",
                    &targets,
                )
            }
            Self::UpdateDeploymentGroup { application, group, autoscaling_groups } => list(
                args(
                    "deploy update-deployment-group",
                    &[("--application-name", application), ("--current-deployment-group-name", group)],
                ),
                "--auto-scaling-groups",
                autoscaling_groups,
            ),
            Self::DeleteAutoScalingGroup { asg, force } => {
                let mut w = args("autoscaling delete-auto-scaling-group", &[("--auto-scaling-group-name", asg)]);
                if *force {
                    w.push("--force-delete".into());
                }
                w
            }
        };
        words.join(" ")
    }
}

/// `aws <command>` and its options, each value quoted for a POSIX shell.
fn args(command: &str, options: &[(&str, &str)]) -> Vec<String> {
    let mut words = vec![format!("aws {command}")];
    for (name, value) in options {
        words.push((*name).to_string());
        words.push(quote(value));
    }
    words
}

/// Appends an option that takes several values.
fn list(mut words: Vec<String>, name: &str, values: &[String]) -> Vec<String> {
    words.push(name.to_string());
    words.extend(values.iter().map(|v| quote(v)));
    words
}

/// A word as a POSIX shell reads it back unchanged: as it is when it is
/// plain, else in single quotes (a quote inside becomes `'\''`).
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | ',' | '@' | '%' | '+')
        });
    if plain { word.to_string() } else { format!("'{}'", word.replace('\'', "'\\''")) }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.operation(), self.target())
    }
}

/// What a successful call returns, where it returns anything the console uses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CallOutput {
    Done,
    /// CreateDeployment's new id.
    DeploymentId(String),
    /// StopDeployment's answer: `Pending` or `Succeeded`, with a message.
    Stopping {
        status: String,
        message: String,
    },
}

/// An error as the service answered it: code, message and request id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// `DeploymentIsNotInReadyStateException`, `ValidationError`, …
    pub code: String,
    /// The service's message, cleaned of control characters.
    pub message: String,
    pub request_id: Option<String>,
    /// The call may have been carried out all the same (no answer in time,
    /// a dropped connection, a server error): it must not be sent again
    /// before the world is looked at.
    pub uncertain: bool,
}

/// Codes AWS answers when a call was refused for its rate (not carried out).
const THROTTLING: [&str; 7] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "EC2ThrottledException",
    "TooManyRequestsException",
    "SlowDown",
];

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: crate::domain::clean(code, 80),
            message: crate::domain::clean(&message.into(), 400),
            request_id: None,
            uncertain: false,
        }
    }

    /// An error after which the call may or may not have been carried out.
    pub fn uncertain(code: &str, message: impl Into<String>) -> Self {
        Self { uncertain: true, ..Self::new(code, message) }
    }

    #[must_use]
    pub fn with_request_id(mut self, id: Option<&str>) -> Self {
        self.request_id = id.map(|i| crate::domain::clean(i, 80));
        self
    }

    /// Refused for its rate: not carried out, fine to try again later.
    pub fn throttled(&self) -> bool {
        THROTTLING.contains(&self.code.as_str()) || self.message.contains("Rate exceeded")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_arguments_are_quoted_for_the_shell() {
        assert_eq!(quote("bluegreen-asg"), "bluegreen-asg");
        assert_eq!(quote("my group"), "'my group'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a;rm -rf /"), "'a;rm -rf /'");
        let call = Call::DeleteAutoScalingGroup { asg: "CodeDeploy_my dg_d-1".into(), force: true };
        assert_eq!(
            call.cli(),
            "aws autoscaling delete-auto-scaling-group --auto-scaling-group-name 'CodeDeploy_my dg_d-1' --force-delete"
        );
        let call = Call::CreateDeployment {
            application: "app".into(),
            group: "dg".into(),
            bucket: "b".into(),
            key: "k/new version.zip".into(),
            bundle: "zip".into(),
            version: None,
            etag: Some("3f2a".into()),
        };
        assert_eq!(
            call.cli(),
            "aws deploy create-deployment --application-name app --deployment-group-name dg --s3-location 'bucket=b,key=k/new version.zip,bundleType=zip,eTag=3f2a'",
            "the pushed object is named, not whatever the key holds now"
        );
        let call = Call::ContinueDeployment { deployment_id: "d-ABC".into(), wait: WaitType::ReadyWait };
        assert_eq!(
            call.cli(),
            "aws deploy continue-deployment --deployment-id d-ABC --deployment-wait-type READY_WAIT"
        );
    }
}
