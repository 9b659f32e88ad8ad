//! `tutorial up` and `down` on AWS: the kit's stack (created, followed,
//! read back), the CodeDeploy application and blue/green deployment group
//! that CloudFormation cannot declare, the binary for the workstation; and
//! what `down` removes, each piece only when a read proves it is the kit's:
//! the stack by its tag, the deployment group by the stack's service role,
//! the application by its tag, CodeDeploy's copies of the group by their
//! names (`CodeDeploy_<group>_<id of one of the group's deployments>`), the
//! bucket by the stack's output.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::{Capability, Parameter, ResourceStatus, StackStatus, Tag as StackTag};
use aws_sdk_codedeploy::types::{
    AutoRollbackConfiguration, AutoRollbackEvent, BlueGreenDeploymentConfiguration, BlueInstanceTerminationOption,
    ComputePlatform, DeploymentOption, DeploymentReadyAction, DeploymentReadyOption, DeploymentStyle, DeploymentType,
    ElbInfo, GreenFleetProvisioningAction, GreenFleetProvisioningOption, InstanceAction, LoadBalancerInfo,
    Tag as CodeDeployTag, TargetGroupInfo,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use super::act::once;
use super::clients::{self, Clients};
use super::discover;
use super::errors::api_error;
use super::push::Pusher;
use crate::cloud::ApiError;
use crate::domain::clean;
use crate::exit::Failure;
use crate::tutorial::{Kit, Outputs, READY_WAIT_MINUTES, Reroute};

/// The tag that marks the kit's stack and application (its value: the stack).
pub const TAG: &str = "bluegreen:tutorial";

/// A stack as CloudFormation describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stack {
    pub name: String,
    pub status: String,
    pub reason: Option<String>,
    pub outputs: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, String>,
    /// Whether it carries the kit's tag for its own name.
    pub kit: bool,
}

impl Stack {
    pub fn in_progress(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS")
    }
    pub fn created(&self) -> bool {
        matches!(self.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE")
    }
}

/// One event of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEvent {
    pub id: String,
    pub logical: String,
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
}

/// The kit's deployment group, as CodeDeploy has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub service_role: String,
    pub autoscaling_groups: Vec<String>,
}

/// A deployment of the group that has not ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Active {
    pub id: String,
    pub status: String,
}

/// An Auto Scaling group `down` deletes, with its instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub name: String,
    pub instances: usize,
}

/// The clients `tutorial` uses.
#[derive(Debug)]
pub struct Tutor {
    clients: Clients,
    region: String,
}

/// An application's ARN, in the partition and account of another ARN of
/// the same account (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`).
fn application_arn(of_account: &str, region: &str, name: &str) -> String {
    let mut parts = of_account.split(':');
    let partition = parts.nth(1).filter(|p| !p.is_empty()).unwrap_or("aws");
    let account = parts.nth(2).unwrap_or_default();
    format!("arn:{partition}:codedeploy:{region}:{account}:application:{name}")
}

/// What AWS said, as one line with what to do.
fn failed(what: &str, e: &ApiError) -> Failure {
    let hint = match e.code.as_str() {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "InsufficientCapabilitiesException" => {
            "the permissions tutorial needs are in assets/iam/tutorial.json"
        }
        "Unreachable" | "Timeout" | "ConnectionLost" => "check the network, a proxy, or AWS_ENDPOINT_URL",
        "Throttling" | "ThrottlingException" => "wait a minute and run it again: it goes on where it stopped",
        _ => "run it again: it goes on where it stopped; RUST_LOG=debug puts the whole answer in the log file",
    };
    Failure::Failed(format!("{what}: {e} (hint: {hint})"))
}

impl Tutor {
    /// The clients of the standard chain (or the given region and profile).
    pub async fn connect(region: Option<&str>, profile: Option<&str>) -> Result<Self, Failure> {
        let (clients, region) = discover::connected(region, profile).await?;
        Ok(Self { clients, region })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// `push` on the same clients.
    pub fn pusher(&self) -> Pusher {
        Pusher::with(self.clients.clone(), self.region.clone())
    }

    /// The stack, or `None` when there is none by that name.
    pub async fn stack(&self, name: &str) -> Result<Option<Stack>, Failure> {
        let out = match self.clients.cloudformation.describe_stacks().stack_name(name).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = api_error("DescribeStacks", &e);
                if e.code == "ValidationError" && e.message.contains("does not exist") {
                    return Ok(None);
                }
                return Err(failed(&format!("cannot read stack {}", clean(name, 100)), &e));
            }
        };
        let Some(s) = out.stacks().first() else { return Ok(None) };
        let pairs = |it: Vec<(Option<&str>, Option<&str>)>| -> BTreeMap<String, String> {
            it.into_iter().filter_map(|(k, v)| Some((clean(k?, 100), clean(v.unwrap_or_default(), 500)))).collect()
        };
        Ok(Some(Stack {
            name: clean(s.stack_name().unwrap_or(name), 128),
            status: clean(s.stack_status().map_or("UNKNOWN", StackStatus::as_str), 60),
            reason: s.stack_status_reason().map(|r| clean(r, 400)),
            outputs: pairs(s.outputs().iter().map(|o| (o.output_key(), o.output_value())).collect()),
            parameters: pairs(s.parameters().iter().map(|p| (p.parameter_key(), p.parameter_value())).collect()),
            kit: s.tags().iter().any(|t| t.key() == Some(TAG) && t.value() == Some(name)),
        }))
    }

    /// Creates the kit's stack (rolled back on failure, as CloudFormation does).
    pub async fn create_stack(&self, kit: &Kit, template: &str) -> Result<(), Failure> {
        let parameters: Vec<Parameter> = kit
            .parameters()
            .into_iter()
            .map(|(k, v)| Parameter::builder().parameter_key(k).parameter_value(v).build())
            .collect();
        self.clients
            .cloudformation
            .create_stack()
            .stack_name(&kit.stack)
            .template_body(template)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityIam)
            .tags(StackTag::builder().key(TAG).value(&kit.stack).build())
            .customize()
            .config_override(aws_sdk_cloudformation::config::Builder::default().retry_config(once()))
            .send()
            .await
            .map_err(|e| failed(&format!("cannot create stack {}", kit.stack), &api_error("CreateStack", &e)))?;
        Ok(())
    }

    /// The stack's events, newest first (the first page: the latest 100).
    pub async fn events(&self, name: &str) -> Result<Vec<StackEvent>, Failure> {
        let out = self.clients.cloudformation.describe_stack_events().stack_name(name).send().await.map_err(|e| {
            failed(&format!("cannot read stack {}'s events", clean(name, 100)), &api_error("DescribeStackEvents", &e))
        })?;
        Ok(out
            .stack_events()
            .iter()
            .map(|e| StackEvent {
                id: clean(e.event_id().unwrap_or_default(), 200),
                logical: clean(e.logical_resource_id().unwrap_or_default(), 200),
                kind: clean(e.resource_type().unwrap_or_default(), 100),
                status: clean(e.resource_status().map(ResourceStatus::as_str).unwrap_or_default(), 60),
                reason: e.resource_status_reason().map(|r| clean(r, 400)),
            })
            .collect())
    }

    /// Deletes the stack.
    pub async fn delete_stack(&self, name: &str) -> Result<(), Failure> {
        self.clients
            .cloudformation
            .delete_stack()
            .stack_name(name)
            .customize()
            .config_override(aws_sdk_cloudformation::config::Builder::default().retry_config(once()))
            .send()
            .await
            .map_err(|e| failed(&format!("cannot delete stack {}", clean(name, 100)), &api_error("DeleteStack", &e)))?;
        Ok(())
    }

    /// Checks that the given subnets exist and are in the given VPC.
    pub async fn check_network(&self, vpc: &str, subnets: &[String]) -> Result<(), Failure> {
        let out =
            self.clients.ec2.describe_subnets().set_subnet_ids(Some(subnets.to_vec())).send().await.map_err(|e| {
                let e = api_error("DescribeSubnets", &e);
                if e.code.starts_with("InvalidSubnet") {
                    Failure::Usage(format!("{e} (hint: --subnets names subnets of --vpc in {})", self.region))
                } else {
                    failed("cannot read the subnets", &e)
                }
            })?;
        let elsewhere: Vec<String> = out
            .subnets()
            .iter()
            .filter(|s| s.vpc_id() != Some(vpc))
            .filter_map(|s| s.subnet_id().map(|id| clean(id, 40)))
            .collect();
        if !elsewhere.is_empty() {
            return Err(Failure::Usage(format!(
                "{} not in {} (hint: --subnets of the VPC given with --vpc)",
                crate::domain::some_of(&elsewhere, 4),
                clean(vpc, 40)
            )));
        }
        Ok(())
    }

    /// Whether the application exists, and whether it carries the kit's tag
    /// for `stack`. `role` is the stack's service role, when there is one:
    /// the application's ARN has its partition and account.
    pub async fn application(&self, name: &str, stack: &str, role: Option<&str>) -> Result<Option<bool>, Failure> {
        match self.clients.codedeploy.get_application().application_name(name).send().await {
            Ok(_) => {}
            Err(e) => {
                let e = api_error("GetApplication", &e);
                if e.code == "ApplicationDoesNotExistException" {
                    return Ok(None);
                }
                return Err(failed(&format!("cannot read application {}", clean(name, 100)), &e));
            }
        }
        let arn = if let Some(role) = role {
            role.to_string()
        } else {
            let id = self
                .clients
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| failed("cannot read the account", &api_error("GetCallerIdentity", &e)))?;
            clean(id.arn().unwrap_or_default(), 300)
        };
        let arn = application_arn(&arn, &self.region, name);
        let tags = self.clients.codedeploy.list_tags_for_resource().resource_arn(&arn).send().await.map_err(|e| {
            failed(
                &format!("cannot read application {}'s tags", clean(name, 100)),
                &api_error("ListTagsForResource", &e),
            )
        })?;
        Ok(Some(tags.tags().iter().any(|t| t.key() == Some(TAG) && t.value() == Some(stack))))
    }

    /// Creates the kit's application, tagged as the kit's.
    pub async fn create_application(&self, name: &str, stack: &str) -> Result<(), Failure> {
        self.clients
            .codedeploy
            .create_application()
            .application_name(name)
            .compute_platform(ComputePlatform::Server)
            .tags(CodeDeployTag::builder().key(TAG).value(stack).build())
            .customize()
            .config_override(aws_sdk_codedeploy::config::Builder::default().retry_config(once()))
            .send()
            .await
            .map_err(|e| {
                failed(&format!("cannot create application {}", clean(name, 100)), &api_error("CreateApplication", &e))
            })?;
        Ok(())
    }

    /// The deployment group, or `None` when there is none by that name.
    pub async fn group(&self, application: &str, name: &str) -> Result<Option<Group>, Failure> {
        let out = match self
            .clients
            .codedeploy
            .get_deployment_group()
            .application_name(application)
            .deployment_group_name(name)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = api_error("GetDeploymentGroup", &e);
                if matches!(
                    e.code.as_str(),
                    "DeploymentGroupDoesNotExistException" | "ApplicationDoesNotExistException"
                ) {
                    return Ok(None);
                }
                return Err(failed(&format!("cannot read deployment group {}", clean(name, 100)), &e));
            }
        };
        let Some(info) = out.deployment_group_info() else { return Ok(None) };
        Ok(Some(Group {
            service_role: clean(info.service_role_arn().unwrap_or_default(), 300),
            autoscaling_groups: info
                .auto_scaling_groups()
                .iter()
                .filter_map(|a| a.name().map(|n| clean(n, 300)))
                .collect(),
        }))
    }

    /// Creates the blue/green deployment group that copies the stack's Auto
    /// Scaling group, behind the stack's load balancer.
    pub async fn create_group(&self, kit: &Kit, outputs: &Outputs) -> Result<(), Failure> {
        let load_balancer = match (outputs.target_group_name(), &outputs.classic) {
            (Some(tg), _) => {
                LoadBalancerInfo::builder().target_group_info_list(TargetGroupInfo::builder().name(tg).build())
            }
            (None, Some(elb)) => LoadBalancerInfo::builder().elb_info_list(ElbInfo::builder().name(elb).build()),
            (None, None) => {
                return Err(Failure::Failed(format!(
                    "stack {} gives no load balancer (hint: bluegreen tutorial down --stack {0}, then up again)",
                    kit.stack
                )));
            }
        };
        let ready = match kit.reroute {
            Reroute::Manual => DeploymentReadyOption::builder()
                .action_on_timeout(DeploymentReadyAction::StopDeployment)
                .wait_time_in_minutes(READY_WAIT_MINUTES),
            Reroute::Auto => {
                DeploymentReadyOption::builder().action_on_timeout(DeploymentReadyAction::ContinueDeployment)
            }
        };
        let blue_green = BlueGreenDeploymentConfiguration::builder()
            .terminate_blue_instances_on_deployment_success(
                BlueInstanceTerminationOption::builder().action(InstanceAction::KeepAlive).build(),
            )
            .deployment_ready_option(ready.build())
            .green_fleet_provisioning_option(
                GreenFleetProvisioningOption::builder()
                    .action(GreenFleetProvisioningAction::CopyAutoScalingGroup)
                    .build(),
            )
            .build();
        self.clients
            .codedeploy
            .create_deployment_group()
            .application_name(kit.application())
            .deployment_group_name(kit.group())
            .service_role_arn(&outputs.service_role)
            .auto_scaling_groups(&outputs.autoscaling_group)
            .deployment_config_name("CodeDeployDefault.AllAtOnce")
            .deployment_style(
                DeploymentStyle::builder()
                    .deployment_type(DeploymentType::BlueGreen)
                    .deployment_option(DeploymentOption::WithTrafficControl)
                    .build(),
            )
            .blue_green_deployment_configuration(blue_green)
            .load_balancer_info(load_balancer.build())
            .auto_rollback_configuration(
                AutoRollbackConfiguration::builder().enabled(true).events(AutoRollbackEvent::DeploymentFailure).build(),
            )
            .tags(CodeDeployTag::builder().key(TAG).value(&kit.stack).build())
            .customize()
            .config_override(aws_sdk_codedeploy::config::Builder::default().retry_config(once()))
            .send()
            .await
            .map_err(|e| {
                failed(
                    &format!("cannot create deployment group {}", kit.group()),
                    &api_error("CreateDeploymentGroup", &e),
                )
            })?;
        Ok(())
    }

    /// Every deployment of the group, and those that have not ended.
    pub async fn deployments(&self, application: &str, group: &str) -> Result<(Vec<String>, Vec<Active>), Failure> {
        let mut ids = Vec::new();
        let mut pages = self
            .clients
            .codedeploy
            .list_deployments()
            .application_name(application)
            .deployment_group_name(group)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| failed("cannot list the group's deployments", &api_error("ListDeployments", &e)))?;
            ids.extend(page.deployments().iter().map(|d| clean(d, 40)));
        }
        let mut active = Vec::new();
        for chunk in ids.chunks(25) {
            let out = self
                .clients
                .codedeploy
                .batch_get_deployments()
                .set_deployment_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| failed("cannot read the group's deployments", &api_error("BatchGetDeployments", &e)))?;
            for d in out.deployments_info() {
                let status = d.status().map(|s| s.as_str().to_string()).unwrap_or_default();
                if !matches!(status.as_str(), "Succeeded" | "Failed" | "Stopped") {
                    active.push(Active {
                        id: clean(d.deployment_id().unwrap_or_default(), 40),
                        status: clean(&status, 30),
                    });
                }
            }
        }
        Ok((ids, active))
    }

    /// The Auto Scaling groups CodeDeploy made for the group: named
    /// `CodeDeploy_<group>_<id>` with the id of one of its deployments.
    pub async fn copies(&self, group: &str, deployments: &[String]) -> Result<Vec<Copy>, Failure> {
        let prefix = format!("CodeDeploy_{group}_");
        let mut copies = Vec::new();
        let mut pages = self.clients.autoscaling.describe_auto_scaling_groups().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                failed("cannot list the Auto Scaling groups", &api_error("DescribeAutoScalingGroups", &e))
            })?;
            for g in page.auto_scaling_groups() {
                let Some(name) = g.auto_scaling_group_name() else { continue };
                if name.strip_prefix(&prefix).is_some_and(|id| deployments.iter().any(|d| d == id)) {
                    copies.push(Copy { name: clean(name, 300), instances: g.instances().len() });
                }
            }
        }
        Ok(copies)
    }

    /// Whether an Auto Scaling group is still there (deleting counts).
    pub async fn autoscaling_group_exists(&self, name: &str) -> Result<bool, Failure> {
        let out = self
            .clients
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(|e| {
            failed("cannot read the Auto Scaling groups", &api_error("DescribeAutoScalingGroups", &e))
        })?;
        Ok(!out.auto_scaling_groups().is_empty())
    }

    /// Deletes an Auto Scaling group and its instances.
    pub async fn delete_autoscaling_group(&self, name: &str) -> Result<(), Failure> {
        let sent = self
            .clients
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name(name)
            .force_delete(true)
            .customize()
            .config_override(aws_sdk_autoscaling::config::Builder::default().retry_config(once()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = api_error("DeleteAutoScalingGroup", &e);
                // Already being deleted, or gone: what was asked.
                if e.message.contains("already in progress") || e.message.contains("not found") {
                    return Ok(());
                }
                Err(failed(&format!("cannot delete {}", clean(name, 300)), &e))
            }
        }
    }

    pub async fn delete_group(&self, application: &str, group: &str) -> Result<(), Failure> {
        self.clients
            .codedeploy
            .delete_deployment_group()
            .application_name(application)
            .deployment_group_name(group)
            .customize()
            .config_override(aws_sdk_codedeploy::config::Builder::default().retry_config(once()))
            .send()
            .await
            .map_err(|e| {
                failed(&format!("cannot delete deployment group {group}"), &api_error("DeleteDeploymentGroup", &e))
            })?;
        Ok(())
    }

    /// The application's deployment groups.
    pub async fn groups(&self, application: &str) -> Result<Vec<String>, Failure> {
        discover::groups(&self.clients, &self.region, application).await
    }

    pub async fn delete_application(&self, application: &str) -> Result<(), Failure> {
        self.clients
            .codedeploy
            .delete_application()
            .application_name(application)
            .customize()
            .config_override(aws_sdk_codedeploy::config::Builder::default().retry_config(once()))
            .send()
            .await
            .map_err(|e| {
                failed(&format!("cannot delete application {application}"), &api_error("DeleteApplication", &e))
            })?;
        Ok(())
    }

    /// Every version and delete marker in the bucket, as (key, version).
    pub async fn versions(&self, bucket: &str) -> Result<Option<Vec<(String, String)>>, Failure> {
        let mut all = Vec::new();
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        loop {
            let out = self
                .clients
                .s3
                .list_object_versions()
                .bucket(bucket)
                .set_key_marker(key_marker.clone())
                .set_version_id_marker(version_marker.clone())
                .send()
                .await;
            let out = match out {
                Ok(out) => out,
                Err(e) => {
                    let e = api_error("ListObjectVersions", &e);
                    if e.code == "NoSuchBucket" {
                        return Ok(None);
                    }
                    return Err(failed(&format!("cannot list bucket {}", clean(bucket, 100)), &e));
                }
            };
            for v in out.versions() {
                all.push((v.key().unwrap_or_default().to_string(), v.version_id().unwrap_or("null").to_string()));
            }
            for m in out.delete_markers() {
                all.push((m.key().unwrap_or_default().to_string(), m.version_id().unwrap_or("null").to_string()));
            }
            if out.is_truncated() != Some(true) {
                return Ok(Some(all));
            }
            key_marker = out.next_key_marker().map(String::from);
            version_marker = out.next_version_id_marker().map(String::from);
        }
    }

    /// Deletes these versions, a thousand a call.
    pub async fn delete_versions(&self, bucket: &str, versions: &[(String, String)]) -> Result<(), Failure> {
        for chunk in versions.chunks(1000) {
            let objects: Vec<ObjectIdentifier> = chunk
                .iter()
                .filter_map(|(key, version)| ObjectIdentifier::builder().key(key).version_id(version).build().ok())
                .collect();
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| Failure::Failed(format!("cannot delete the bucket's objects: {e}")))?;
            let out = self.clients.s3.delete_objects().bucket(bucket).delete(delete).send().await.map_err(|e| {
                failed(&format!("cannot empty bucket {}", clean(bucket, 100)), &api_error("DeleteObjects", &e))
            })?;
            if let Some(first) = out.errors().first() {
                return Err(Failure::Failed(format!(
                    "cannot empty bucket {}: {} of its objects were not deleted, first {}: {} (hint: run it again)",
                    clean(bucket, 100),
                    out.errors().len(),
                    clean(first.key().unwrap_or_default(), 200),
                    clean(first.message().unwrap_or_default(), 200)
                )));
            }
        }
        Ok(())
    }

    /// Puts the running binary in the bucket for the workstation, unless the
    /// same is there; `true` when it was uploaded.
    pub async fn put_binary(&self, bucket: &str, key: &str, bytes: Vec<u8>, sha256: &str) -> Result<bool, Failure> {
        if let Ok(head) = self.clients.s3.head_object().bucket(bucket).key(key).send().await
            && head.metadata().and_then(|m| m.get("sha256")).is_some_and(|s| s == sha256)
        {
            return Ok(false);
        }
        self.clients
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .content_type("application/octet-stream")
            .metadata("sha256", sha256)
            .customize()
            .config_override(aws_sdk_s3::config::Builder::default().timeout_config(clients::upload_timeouts()))
            .send()
            .await
            .map_err(|e| {
                failed(&format!("cannot put bluegreen in s3://{bucket}/{key}"), &api_error("PutObject", &e))
            })?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_is_in_progress_or_made_by_its_status() {
        let at = |status: &str| Stack { status: status.into(), ..Stack::default() };
        assert!(at("CREATE_IN_PROGRESS").in_progress() && at("DELETE_IN_PROGRESS").in_progress());
        assert!(!at("CREATE_COMPLETE").in_progress() && !at("ROLLBACK_COMPLETE").in_progress());
        for made in ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"] {
            assert!(at(made).created(), "{made}");
        }
        for not in ["ROLLBACK_COMPLETE", "CREATE_FAILED", "CREATE_IN_PROGRESS"] {
            assert!(!at(not).created(), "{not}");
        }
    }

    #[test]
    fn an_applications_arn_is_in_the_roles_partition_and_account() {
        assert_eq!(
            application_arn("arn:aws-cn:iam::123456789012:role/r", "cn-north-1", "app"),
            "arn:aws-cn:codedeploy:cn-north-1:123456789012:application:app"
        );
        assert_eq!(
            application_arn("arn:aws:sts::210987654321:assumed-role/x/y", "us-east-1", "a"),
            "arn:aws:codedeploy:us-east-1:210987654321:application:a"
        );
    }
}
