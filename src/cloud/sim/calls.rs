//! The world's answers to the console's calls, with the errors AWS gives in
//! the wrong state. Validation comes first; a call that fails changes nothing.

use super::World;
use super::flow::{Dep, Phase, blank_deployment};
use crate::cloud::{ApiError, Call, CallOutput, Tag, WaitType};
use crate::domain::{Creator, Lifecycle, LoadBalancerKind};

type Answer = Result<CallOutput, ApiError>;

impl World {
    /// Answers one call at the world's current time.
    pub fn apply(&mut self, call: &Call) -> Answer {
        match call {
            Call::CreateDeployment { application, group, bucket, key, .. } => {
                self.create_deployment(application, group, bucket, key)
            }
            Call::ContinueDeployment { deployment_id, wait } => self.continue_deployment(deployment_id, *wait),
            Call::StopDeployment { deployment_id, auto_rollback } => {
                self.stop_deployment(deployment_id, *auto_rollback)
            }
            Call::AttachTargetGroups { asg, target_group_arns } => {
                self.attach_call(asg, target_group_arns, &LoadBalancerKind::Application)
            }
            Call::DetachTargetGroups { asg, target_group_arns } => {
                self.detach_call(asg, target_group_arns, &LoadBalancerKind::Application)
            }
            Call::AttachClassicLoadBalancers { asg, names } => self.attach_call(asg, names, &LoadBalancerKind::Classic),
            Call::DetachClassicLoadBalancers { asg, names } => self.detach_call(asg, names, &LoadBalancerKind::Classic),
            Call::RegisterTargets { target_group_arn, instance_ids } => {
                self.register_call(target_group_arn, instance_ids)
            }
            Call::DeregisterTargets { target_group_arn, instance_ids } => {
                self.deregister_call(target_group_arn, instance_ids)
            }
            Call::UpdateDeploymentGroup { application, group, autoscaling_groups } => {
                self.update_group(application, group, autoscaling_groups)
            }
            Call::DeleteAutoScalingGroup { asg, force } => self.delete_asg(asg, *force),
        }
    }

    fn check_group(&self, application: &str, group: &str) -> Result<(), ApiError> {
        if application != self.group.application {
            return Err(ApiError::new(
                "ApplicationDoesNotExistException",
                format!("No application found for name: {application}"),
            ));
        }
        if group != self.group.name {
            return Err(ApiError::new(
                "DeploymentGroupDoesNotExistException",
                format!("No Deployment Group found for name: {group}"),
            ));
        }
        Ok(())
    }

    fn create_deployment(&mut self, application: &str, group: &str, bucket: &str, key: &str) -> Answer {
        self.check_group(application, group)?;
        let Some(revision) =
            self.revisions.iter().position(|r| r.bucket == bucket && r.key == key).map(|i| i + self.revision_base)
        else {
            return Err(ApiError::new(
                "RevisionDoesNotExistException",
                format!("No application revision found for revision s3://{bucket}/{key}"),
            ));
        };
        if let Some(active) = self.deployments.iter().find(|d| d.info.is_active()) {
            return Err(ApiError::new(
                "DeploymentLimitExceededException",
                format!("The Deployment Group '{group}' already has an active Deployment '{}'", active.info.id),
            ));
        }
        let id = self.new_deployment_id();
        let mut info = blank_deployment(&id, self.now, Creator::User);
        info.revision = Some(self.revision(revision).label.clone());
        info.previous_revision = Some(self.revision(self.current_revision).label.clone());
        info.original_asg = self.group.autoscaling_groups.first().cloned();
        let faulty = self.user_deployments == 0;
        self.user_deployments += 1;
        self.deployments.push(Dep::new(info, revision, faulty));
        self.forget_old();
        let label = self.revision(revision).label.clone();
        self.emit(Tag::Created, format!("deployment {id} of {label} created"));
        Ok(CallOutput::DeploymentId(id))
    }

    fn deployment_index(&self, id: &str) -> Result<usize, ApiError> {
        let well_formed = id.len() == 11 && id.starts_with("d-") && id[2..].chars().all(|c| c.is_ascii_alphanumeric());
        if !well_formed {
            return Err(ApiError::new(
                "InvalidDeploymentIdException",
                format!("Specified DeploymentId is not in the valid format: {id}"),
            ));
        }
        self.deployments.iter().position(|d| d.info.id == id).ok_or_else(|| {
            ApiError::new("DeploymentDoesNotExistException", format!("The deployment {id} could not be found."))
        })
    }

    fn continue_deployment(&mut self, id: &str, wait: WaitType) -> Answer {
        let d = self.deployment_index(id)?;
        let dep = &self.deployments[d];
        if !dep.info.is_active() {
            return Err(ApiError::new(
                "DeploymentAlreadyCompletedException",
                format!("The deployment {id} has already completed."),
            ));
        }
        match (wait, &dep.phase) {
            (WaitType::ReadyWait, Phase::Ready { .. }) => self.reroute(d),
            (WaitType::TerminationWait, Phase::TerminationWait { .. }) => self.terminate_originals(d),
            (WaitType::ReadyWait, _) => {
                return Err(ApiError::new(
                    "DeploymentIsNotInReadyStateException",
                    format!("The deployment {id} is not in a ready state."),
                ));
            }
            (WaitType::TerminationWait, _) => {
                return Err(ApiError::new(
                    "DeploymentIsNotInReadyStateException",
                    format!("The deployment {id} is not waiting to terminate its original instances."),
                ));
            }
        }
        self.emit(Tag::Continued, format!("ContinueDeployment({}) accepted for {id}", wait.as_str()));
        Ok(CallOutput::Done)
    }

    fn stop_deployment(&mut self, id: &str, auto_rollback: bool) -> Answer {
        let d = self.deployment_index(id)?;
        if !self.deployments[d].info.is_active() {
            return Err(ApiError::new(
                "DeploymentAlreadyCompletedException",
                format!("The deployment {id} has already completed."),
            ));
        }
        let terminating = self.deployments[d].phase == Phase::Terminating;
        self.end(
            d,
            &crate::domain::DeploymentStatus::Stopped,
            Some(("MANUAL_STOP", "The deployment was stopped by a user.".into())),
        );
        if auto_rollback && !terminating {
            self.roll_back(d);
        }
        let rollback = self.deployments[d].info.rollback.as_ref().and_then(|r| r.rollback_deployment_id.clone());
        Ok(match rollback {
            Some(rid) => {
                CallOutput::Stopping { status: "Pending".into(), message: format!("rollback deployment {rid} started") }
            }
            None => CallOutput::Stopping { status: "Succeeded".into(), message: "no rollback".into() },
        })
    }

    fn check_lb_refs(&self, refs: &[String], kind: &LoadBalancerKind) -> Result<(), ApiError> {
        let ours = self.lb_ref();
        let matches = self.lb.kind == *kind;
        if refs.is_empty() || !matches || refs.iter().any(|r| *r != ours) {
            let what = if *kind == LoadBalancerKind::Classic { "Load Balancers" } else { "Target Groups" };
            return Err(ApiError::new(
                "ValidationError",
                format!("Provided {what} may not be valid: {}", refs.join(", ")),
            ));
        }
        Ok(())
    }

    fn existing_asg(&self, asg: &str) -> Result<(), ApiError> {
        if self.asg(asg).is_none() {
            return Err(ApiError::new("ValidationError", format!("AutoScalingGroup name not found - {asg}")));
        }
        Ok(())
    }

    fn attach_call(&mut self, asg: &str, refs: &[String], kind: &LoadBalancerKind) -> Answer {
        self.existing_asg(asg)?;
        self.check_lb_refs(refs, kind)?;
        self.attach(asg, &refs[0]);
        Ok(CallOutput::Done)
    }

    fn detach_call(&mut self, asg: &str, refs: &[String], kind: &LoadBalancerKind) -> Answer {
        self.existing_asg(asg)?;
        self.check_lb_refs(refs, kind)?;
        self.detach(asg, &refs[0]);
        Ok(CallOutput::Done)
    }

    fn target_group(&self, arn: &str) -> Result<(), ApiError> {
        if self.lb.target_group_arn.as_deref() != Some(arn) {
            return Err(ApiError::new("TargetGroupNotFound", format!("Target groups '{arn}' not found")));
        }
        Ok(())
    }

    fn register_call(&mut self, arn: &str, ids: &[String]) -> Answer {
        self.target_group(arn)?;
        let not_running: Vec<&str> = ids
            .iter()
            .filter(|id| self.inst(id).is_none_or(|i| i.lifecycle != Lifecycle::InService))
            .map(String::as_str)
            .collect();
        if !not_running.is_empty() {
            return Err(ApiError::new(
                "InvalidTarget",
                format!(
                    "The following targets are not in a running state and cannot be registered: '{}'",
                    not_running.join("', '")
                ),
            ));
        }
        for id in ids {
            self.register(id);
        }
        Ok(CallOutput::Done)
    }

    fn deregister_call(&mut self, arn: &str, ids: &[String]) -> Answer {
        self.target_group(arn)?;
        if let Some(id) = ids.iter().find(|id| self.registration(id).is_none()) {
            return Err(ApiError::new(
                "InvalidTarget",
                format!("The target '{id}' is not registered with this target group"),
            ));
        }
        for id in ids {
            self.deregister(id);
        }
        Ok(CallOutput::Done)
    }

    fn update_group(&mut self, application: &str, group: &str, asgs: &[String]) -> Answer {
        self.check_group(application, group)?;
        if asgs.len() != 1 {
            return Err(ApiError::new(
                "InvalidBlueGreenDeploymentConfigurationException",
                "A blue/green deployment group that copies its Auto Scaling group needs exactly one Auto Scaling group.",
            ));
        }
        if let Some(missing) = asgs.iter().find(|a| self.asg(a).is_none()) {
            return Err(ApiError::new(
                "InvalidAutoScalingGroupException",
                format!("Auto Scaling group '{missing}' does not exist"),
            ));
        }
        self.group.autoscaling_groups = asgs.to_vec();
        self.emit(Tag::GroupUpdated, format!("deployment group {group} now uses {}", asgs.join(", ")));
        Ok(CallOutput::Done)
    }

    fn delete_asg(&mut self, asg: &str, force: bool) -> Answer {
        self.existing_asg(asg)?;
        let members: Vec<String> = self.instances.iter().filter(|i| i.asg == asg).map(|i| i.id.clone()).collect();
        if !force && !members.is_empty() {
            return Err(ApiError::new(
                "ResourceInUse",
                "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.",
            ));
        }
        self.instances.retain(|i| i.asg != asg);
        self.registrations.retain(|r| !members.contains(&r.instance_id));
        self.reported_health.retain(|id, _| !members.contains(id));
        self.asgs.retain(|a| a.name != asg);
        self.emit(Tag::AsgDeleted, format!("Auto Scaling group {asg} deleted with {} instance(s)", members.len()));
        Ok(CallOutput::Done)
    }
}
