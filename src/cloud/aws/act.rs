//! The mutating calls, through the SDK, exactly once. The SDK's own retries
//! are off for them: a call that may have reached AWS (no answer in time, a
//! dropped connection, a server error) is never sent again; the plan stops
//! and the console looks before anything else is done. Only throttling,
//! which AWS refused before doing anything, is tried again, after a pause.
//! Every attempt is written to the audit log.

use std::time::Duration;

use aws_smithy_types::retry::RetryConfig;

use super::audit::Audit;
use super::clients::Clients;
use super::errors::api_error;
use crate::cloud::{ApiError, Call, CallOutput, WaitType};

/// How often a throttled mutation is tried again, and the first pause.
const THROTTLE_RETRIES: u32 = 3;
const THROTTLE_PAUSE: Duration = Duration::from_millis(800);

/// The operations that change something: refused in read-only mode, and
/// what the read-only policy must never allow.
pub const MUTATIONS: [&str; 11] = [
    "codedeploy:CreateDeployment",
    "codedeploy:ContinueDeployment",
    "codedeploy:StopDeployment",
    "codedeploy:UpdateDeploymentGroup",
    "autoscaling:AttachLoadBalancerTargetGroups",
    "autoscaling:DetachLoadBalancerTargetGroups",
    "autoscaling:AttachLoadBalancers",
    "autoscaling:DetachLoadBalancers",
    "autoscaling:DeleteAutoScalingGroup",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
];

fn request_id(out: &impl aws_types::request_id::RequestId) -> Option<String> {
    out.request_id().map(|id| crate::domain::clean(id, 80))
}

/// One attempt, no retry: what a config override sets on each mutation.
pub(super) fn once() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(1)
}

/// Makes `call`, retrying only throttling; logs every attempt.
pub async fn apply(c: &Clients, audit: &Audit, call: &Call) -> Result<CallOutput, ApiError> {
    let mut attempt = 1;
    loop {
        let result = send(c, call).await;
        audit.record(c, call, attempt, &result).await;
        match result {
            Err(e) if e.throttled() && !e.uncertain && attempt <= THROTTLE_RETRIES => {
                tokio::time::sleep(THROTTLE_PAUSE * 2u32.pow(attempt - 1)).await;
                attempt += 1;
            }
            other => return other.map(|(output, _)| output),
        }
    }
}

/// One attempt of `call`: its output and request id, or the error.
async fn send(c: &Clients, call: &Call) -> Result<(CallOutput, Option<String>), ApiError> {
    if call.service() == "deploy" { send_codedeploy(c, call).await } else { send_groups(c, call).await }
}

/// One attempt of `request` (an SDK operation's builder) under the
/// single-attempt config `once`, for calls whose answer carries nothing but
/// its request id; errors are named after `op`.
macro_rules! done {
    ($op:expr, $request:expr, $once:expr) => {
        match $request.customize().config_override($once).send().await {
            Ok(out) => Ok((CallOutput::Done, request_id(&out))),
            Err(e) => Err(api_error($op, &e)),
        }
    };
}

/// CodeDeploy's calls: one attempt each.
async fn send_codedeploy(c: &Clients, call: &Call) -> Result<(CallOutput, Option<String>), ApiError> {
    use aws_sdk_codedeploy as cd;
    let op = call.operation();
    let cd_once = || cd::config::Builder::default().retry_config(once());
    match call {
        Call::CreateDeployment { application, group, bucket, key, bundle, version, etag } => {
            let s3 = cd::types::S3Location::builder()
                .bucket(bucket)
                .key(key)
                .bundle_type(cd::types::BundleType::from(bundle.as_str()))
                .set_version(version.clone())
                .set_e_tag(etag.clone())
                .build();
            let revision = cd::types::RevisionLocation::builder()
                .revision_type(cd::types::RevisionLocationType::S3)
                .s3_location(s3)
                .build();
            let out = c
                .codedeploy
                .create_deployment()
                .application_name(application)
                .deployment_group_name(group)
                .revision(revision)
                .description("started from bluegreen")
                .customize()
                .config_override(cd_once())
                .send()
                .await
                .map_err(|e| api_error(op, &e))?;
            let id = super::map::text(out.deployment_id());
            Ok((CallOutput::DeploymentId(id), request_id(&out)))
        }
        Call::ContinueDeployment { deployment_id, wait } => {
            let wait = match wait {
                WaitType::ReadyWait => cd::types::DeploymentWaitType::ReadyWait,
                WaitType::TerminationWait => cd::types::DeploymentWaitType::TerminationWait,
            };
            done!(
                op,
                c.codedeploy.continue_deployment().deployment_id(deployment_id).deployment_wait_type(wait),
                cd_once()
            )
        }
        Call::StopDeployment { deployment_id, auto_rollback } => {
            let out = c
                .codedeploy
                .stop_deployment()
                .deployment_id(deployment_id)
                .auto_rollback_enabled(*auto_rollback)
                .customize()
                .config_override(cd_once())
                .send()
                .await
                .map_err(|e| api_error(op, &e))?;
            let stopping = CallOutput::Stopping {
                status: out.status().map_or_else(|| "Pending".to_string(), |s| crate::domain::clean(s.as_str(), 32)),
                message: crate::domain::clean(out.status_message().unwrap_or("stopping"), 300),
            };
            Ok((stopping, request_id(&out)))
        }
        Call::UpdateDeploymentGroup { application, group, autoscaling_groups } => done!(
            op,
            c.codedeploy
                .update_deployment_group()
                .application_name(application)
                .current_deployment_group_name(group)
                .set_auto_scaling_groups(Some(autoscaling_groups.clone())),
            cd_once()
        ),
        other => Err(ApiError::new("NotCodeDeploy", format!("{} is not a CodeDeploy call", other.operation()))),
    }
}

/// The Auto Scaling and load balancer calls: one attempt each.
async fn send_groups(c: &Clients, call: &Call) -> Result<(CallOutput, Option<String>), ApiError> {
    use aws_sdk_autoscaling as asg;
    use aws_sdk_elasticloadbalancingv2 as elbv2;
    let op = call.operation();
    let asg_once = || asg::config::Builder::default().retry_config(once());
    let elb_once = || elbv2::config::Builder::default().retry_config(once());
    match call {
        Call::AttachTargetGroups { asg, target_group_arns } => done!(
            op,
            c.autoscaling
                .attach_load_balancer_target_groups()
                .auto_scaling_group_name(asg)
                .set_target_group_arns(Some(target_group_arns.clone())),
            asg_once()
        ),
        Call::DetachTargetGroups { asg, target_group_arns } => done!(
            op,
            c.autoscaling
                .detach_load_balancer_target_groups()
                .auto_scaling_group_name(asg)
                .set_target_group_arns(Some(target_group_arns.clone())),
            asg_once()
        ),
        Call::AttachClassicLoadBalancers { asg, names } => done!(
            op,
            c.autoscaling
                .attach_load_balancers()
                .auto_scaling_group_name(asg)
                .set_load_balancer_names(Some(names.clone())),
            asg_once()
        ),
        Call::DetachClassicLoadBalancers { asg, names } => done!(
            op,
            c.autoscaling
                .detach_load_balancers()
                .auto_scaling_group_name(asg)
                .set_load_balancer_names(Some(names.clone())),
            asg_once()
        ),
        Call::DeleteAutoScalingGroup { asg, force } => done!(
            op,
            c.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(asg).force_delete(*force),
            asg_once()
        ),
        Call::RegisterTargets { target_group_arn, instance_ids } => {
            let targets =
                instance_ids.iter().map(|id| elbv2::types::TargetDescription::builder().id(id).build()).collect();
            done!(
                op,
                c.elbv2.register_targets().target_group_arn(target_group_arn).set_targets(Some(targets)),
                elb_once()
            )
        }
        Call::DeregisterTargets { target_group_arn, instance_ids } => {
            let targets =
                instance_ids.iter().map(|id| elbv2::types::TargetDescription::builder().id(id).build()).collect();
            done!(
                op,
                c.elbv2.deregister_targets().target_group_arn(target_group_arn).set_targets(Some(targets)),
                elb_once()
            )
        }
        other => {
            Err(ApiError::new("NotAutoScaling", format!("{} is not an Auto Scaling or ELB call", other.operation())))
        }
    }
}
