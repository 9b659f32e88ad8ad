//! How a blue/green deployment moves: copy the group, launch green, run the
//! install hooks per instance, wait in Ready for a manual reroute,
//! AllowTraffic (register, wait for healthy) before BlockTraffic (deregister,
//! drain), then keep or terminate the originals. Rollbacks are deployments
//! too, rerouting to the originals.

use std::time::Duration;

use super::World;
use super::scenario::{Fault, Reroute, Scenario};
use crate::cloud::Tag;
use crate::domain::{
    At, Creator, Deployment, DeploymentStatus, Diagnostics, ErrorInfo, EventStatus, Hook, Lifecycle, LifecycleEvent,
    Overview, ReadyAction, RollbackInfo, Target, TargetLabel, TargetStatus, TerminationAction, Wait,
};

/// Where a deployment is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    Starting,
    Installing,
    Ready { since: At },
    AllowTraffic,
    BlockTraffic,
    TerminationWait { until: At },
    Terminating,
    Done,
}

/// A deployment and the world's bookkeeping for it.
#[derive(Debug, Clone)]
pub(crate) struct Dep {
    pub info: Deployment,
    pub phase: Phase,
    /// Per target: when its running hook ends (timed hooks only).
    ends: Vec<Option<At>>,
    /// The world's number of the revision it deploys.
    pub revision: usize,
    /// Faults apply to the first deployment only.
    pub faulty: bool,
}

impl Dep {
    pub fn new(info: Deployment, revision: usize, faulty: bool) -> Self {
        Self { info, phase: Phase::Starting, ends: Vec::new(), revision, faulty }
    }

    /// The deployment as `GetDeployment` + its targets would show it.
    pub fn view(&self, scenario: &Scenario) -> Deployment {
        let mut d = self.info.clone();
        let mut o = Overview::default();
        for t in &d.targets {
            match t.status {
                TargetStatus::Pending => o.pending += 1,
                TargetStatus::InProgress => o.in_progress += 1,
                TargetStatus::Succeeded => o.succeeded += 1,
                TargetStatus::Failed => o.failed += 1,
                TargetStatus::Skipped => o.skipped += 1,
                TargetStatus::Ready => o.ready += 1,
                TargetStatus::Unknown(_) => {}
            }
        }
        d.overview = o;
        d.wait = match self.phase {
            Phase::Ready { since } => Some(Wait::Reroute {
                until: Some(since + Duration::from_secs(u64::from(scenario.group.ready_wait_minutes) * 60)),
                stops: scenario.group.reroute == Reroute::Manual,
            }),
            Phase::TerminationWait { until } => Some(Wait::Termination { until: Some(until) }),
            _ => None,
        };
        d
    }

    fn add_target(&mut self, instance_id: &str, label: TargetLabel, hooks: &[Hook]) {
        self.info.targets.push(Target {
            instance_id: instance_id.to_string(),
            label,
            status: TargetStatus::Pending,
            updated_at: None,
            events: hooks
                .iter()
                .map(|hook| LifecycleEvent {
                    hook: hook.clone(),
                    status: EventStatus::Pending,
                    started_at: None,
                    ended_at: None,
                    diagnostics: None,
                })
                .collect(),
        });
        self.ends.push(None);
    }

    /// Targets whose events include `hook` have all passed it.
    fn all_past(&self, hook: &Hook) -> bool {
        self.info.targets.iter().all(|t| t.event(hook).is_none_or(|e| e.status == EventStatus::Succeeded))
    }
}

/// What a hook waits on besides its duration.
fn gate(phase: &Phase, hook: &Hook) -> bool {
    match phase {
        Phase::Installing => Hook::INSTALL.contains(hook),
        Phase::AllowTraffic => Hook::ALLOW.contains(hook),
        Phase::BlockTraffic => Hook::BLOCK.contains(hook),
        _ => false,
    }
}

impl World {
    pub(crate) fn tick_deployments(&mut self) -> bool {
        let mut changed = false;
        for d in 0..self.deployments.len() {
            changed |= self.tick_deployment(d);
        }
        changed
    }

    fn tick_deployment(&mut self, d: usize) -> bool {
        let now = self.now;
        match self.deployments[d].phase.clone() {
            Phase::Starting if now >= self.deployments[d].info.created_at + Duration::from_secs(1) => {
                self.start(d);
                true
            }
            Phase::Installing => {
                let mut changed = self.tick_hooks(d);
                if self.deployments[d].phase == Phase::Installing
                    && self.deployments[d].all_past(&Hook::ValidateService)
                {
                    self.installed(d);
                    changed = true;
                }
                changed
            }
            Phase::Ready { since } => {
                let limit = since + Duration::from_secs(u64::from(self.group.ready_wait_minutes) * 60);
                if now >= limit {
                    let msg = "The deployment was stopped because traffic was not rerouted before the ready wait time expired.";
                    self.end(d, &DeploymentStatus::Stopped, Some(("TIMEOUT", msg.to_string())));
                    return true;
                }
                false
            }
            Phase::AllowTraffic => {
                let mut changed = self.tick_hooks(d);
                if self.deployments[d].phase == Phase::AllowTraffic
                    && self.deployments[d].all_past(&Hook::AfterAllowTraffic)
                {
                    self.deployments[d].phase = Phase::BlockTraffic;
                    changed = true;
                }
                changed
            }
            Phase::BlockTraffic => {
                let mut changed = self.tick_hooks(d);
                if self.deployments[d].phase == Phase::BlockTraffic
                    && self.deployments[d].all_past(&Hook::AfterBlockTraffic)
                {
                    self.traffic_moved(d);
                    changed = true;
                }
                changed
            }
            Phase::TerminationWait { until } if now >= until => {
                self.terminate_originals(d);
                true
            }
            Phase::Terminating => {
                let original = self.deployments[d].info.original_asg.clone().unwrap_or_default();
                if self.instances.iter().any(|i| i.asg == original) {
                    return false;
                }
                self.asgs.retain(|a| a.name != original);
                self.emit(Tag::AsgDeleted, format!("Auto Scaling group {original} deleted"));
                self.succeed(d);
                true
            }
            _ => false,
        }
    }

    /// Created → InProgress: copy the group and launch green (or, for a
    /// rollback, go straight to rerouting).
    fn start(&mut self, d: usize) {
        self.set_status(d, &DeploymentStatus::InProgress);
        self.deployments[d].info.started_at = Some(self.now);
        if self.deployments[d].info.is_rollback() {
            self.deployments[d].phase = Phase::AllowTraffic;
            return;
        }
        let original = self.deployments[d].info.original_asg.clone().unwrap_or_default();
        let Some(blue) = self.asg(&original).cloned() else {
            let msg = format!("The Auto Scaling group {original} to copy does not exist.");
            self.end(d, &DeploymentStatus::Failed, Some(("AUTO_SCALING_CONFIGURATION", msg)));
            return;
        };
        let denied = self.scenario.faults.iter().any(|f| matches!(f, Fault::GreenLaunchDenied));
        if denied && self.deployments[d].faulty {
            let msg = "The IAM role arn:aws:iam::123456789012:role/bluegreen-codedeploy does not give you permission to perform operations in the following AWS service: AmazonAutoScaling. Contact your AWS administrator if you need help. If you are an AWS administrator, you can grant permissions to your users or groups by creating IAM policies.";
            self.end(d, &DeploymentStatus::Failed, Some(("AUTO_SCALING_IAM_ROLE_PERMISSIONS", msg.to_string())));
            return;
        }
        let id = self.deployments[d].info.id.clone();
        let green = format!("CodeDeploy_{}_{id}", self.group.name);
        self.create_asg(&green, blue.capacity, self.now);
        self.deployments[d].info.replacement_asg = Some(green.clone());
        self.emit(Tag::AsgCreated, format!("Auto Scaling group {green} created, a copy of {original}"));
        for blue_id in self.instance_ids(&original, &Lifecycle::InService) {
            self.deployments[d].add_target(&blue_id, TargetLabel::Blue, Hook::BLOCK);
        }
        let faulty = self.deployments[d].faulty;
        for n in 0..blue.capacity.1 as usize {
            let fault = self.scenario.faults.iter().find_map(|f| match f {
                Fault::Serves503 { instance, seconds } if faulty && *instance == n => Some(*seconds),
                _ => None,
            });
            let new_id = self.launch(&green, fault);
            self.emit(Tag::Launched, format!("instance {new_id} launched in {green}"));
            let hooks: Vec<Hook> = Hook::INSTALL.iter().chain(Hook::ALLOW).cloned().collect();
            self.deployments[d].add_target(&new_id, TargetLabel::Green, &hooks);
        }
        self.deployments[d].phase = Phase::Installing;
    }

    /// Every green instance passed ValidateService.
    fn installed(&mut self, d: usize) {
        if self.group.ready_action == ReadyAction::StopDeployment {
            self.deployments[d].phase = Phase::Ready { since: self.now };
            for t in &mut self.deployments[d].info.targets {
                if t.label == TargetLabel::Green {
                    t.status = TargetStatus::Ready;
                }
            }
            self.set_status(d, &DeploymentStatus::Ready);
            self.scale_out_in_ready(d);
        } else {
            self.deployments[d].phase = Phase::AllowTraffic;
        }
    }

    /// The scale-out-in-ready fault: Auto Scaling adds instances to green,
    /// which run the version its launch template installs (the original's).
    fn scale_out_in_ready(&mut self, d: usize) {
        let extra = self.scenario.faults.iter().find_map(|f| match f {
            Fault::ScaleOutInReady { instances } => Some(*instances),
            _ => None,
        });
        let (Some(extra), true) = (extra, self.deployments[d].faulty) else { return };
        let Some(green) = self.deployments[d].info.replacement_asg.clone() else { return };
        let old = self.deployments[d].info.previous_revision.clone();
        if let Some(asg) = self.asgs.iter_mut().find(|a| a.name == green) {
            asg.capacity.1 += extra;
            asg.capacity.2 = asg.capacity.2.max(asg.capacity.1);
        }
        for _ in 0..extra {
            let id = self.launch(&green, None);
            if let Some(i) = self.inst_mut(&id) {
                i.version.clone_from(&old);
            }
            self.emit(Tag::Launched, format!("instance {id} launched in {green} (Auto Scaling scaled out)"));
        }
    }

    /// `ContinueDeployment(READY_WAIT)`: reroute now.
    pub(crate) fn reroute(&mut self, d: usize) {
        self.deployments[d].phase = Phase::AllowTraffic;
        for t in &mut self.deployments[d].info.targets {
            if t.status == TargetStatus::Ready {
                t.status = TargetStatus::InProgress;
            }
        }
        self.set_status(d, &DeploymentStatus::InProgress);
    }

    /// Allow and block traffic are done: keep or wait to terminate the originals.
    fn traffic_moved(&mut self, d: usize) {
        if self.deployments[d].info.is_rollback() || self.group.termination == TerminationAction::KeepAlive {
            self.succeed(d);
            return;
        }
        let wait = Duration::from_secs(u64::from(self.group.termination_wait_minutes) * 60);
        self.deployments[d].info.termination_wait_started = true;
        self.deployments[d].phase = Phase::TerminationWait { until: self.now + wait };
        let original = self.deployments[d].info.original_asg.clone().unwrap_or_default();
        self.emit(
            Tag::TerminationWait,
            format!("originals of {original} will be terminated in {}", crate::domain::short(wait)),
        );
    }

    /// `ContinueDeployment(TERMINATION_WAIT)` or the wait ran out.
    pub(crate) fn terminate_originals(&mut self, d: usize) {
        let original = self.deployments[d].info.original_asg.clone().unwrap_or_default();
        let ids: Vec<String> = self.instances.iter().filter(|i| i.asg == original).map(|i| i.id.clone()).collect();
        self.terminate(&ids);
        self.emit(Tag::Terminating, format!("terminating {} original instance(s) of {original}", ids.len()));
        self.deployments[d].phase = Phase::Terminating;
    }

    fn succeed(&mut self, d: usize) {
        let (rollback, green, revision) = {
            let dep = &self.deployments[d];
            (dep.info.is_rollback(), dep.info.replacement_asg.clone(), dep.revision)
        };
        if !rollback {
            if let Some(green) = green {
                self.group.autoscaling_groups = vec![green.clone()];
                self.emit(Tag::GroupUpdated, format!("deployment group {} now uses {green}", self.group.name));
            }
            self.current_revision = revision;
            if revision + 1 == self.revision_count() {
                self.register_revision(self.now);
                let label = self.revisions.last().map(|r| r.label.clone()).unwrap_or_default();
                self.emit(Tag::RevisionRegistered, format!("revision {label} registered"));
            }
        }
        self.end(d, &DeploymentStatus::Succeeded, None);
    }

    /// Ends a deployment with a final status; a failure may start a rollback.
    pub(crate) fn end(&mut self, d: usize, status: &DeploymentStatus, error: Option<(&str, String)>) {
        let now = self.now;
        let dep = &mut self.deployments[d];
        dep.phase = Phase::Done;
        dep.info.completed_at = Some(now);
        dep.info.error = error.map(|(code, message)| ErrorInfo { code: code.to_string(), message });
        if *status != DeploymentStatus::Succeeded {
            for t in &mut dep.info.targets {
                for e in &mut t.events {
                    if matches!(e.status, EventStatus::Pending | EventStatus::InProgress) {
                        e.status = EventStatus::Skipped;
                    }
                }
                if !matches!(t.status, TargetStatus::Succeeded | TargetStatus::Failed) {
                    t.status = TargetStatus::Skipped;
                }
            }
        }
        self.set_status(d, status);
        let auto = self.group.auto_rollback.enabled
            && self.group.auto_rollback.events.iter().any(|e| e == "DEPLOYMENT_FAILURE");
        if *status == DeploymentStatus::Failed && auto && !self.deployments[d].info.is_rollback() {
            self.roll_back(d);
        }
    }

    /// Starts a rollback deployment that reroutes to the originals.
    pub(crate) fn roll_back(&mut self, d: usize) {
        let trigger = self.deployments[d].info.clone();
        let Some(original) = trigger.original_asg.clone().filter(|o| self.asg(o).is_some()) else {
            return;
        };
        let id = self.new_deployment_id();
        let revision = self.current_revision;
        let mut info = blank_deployment(&id, self.now, Creator::CodeDeployRollback);
        info.revision = Some(self.revision(revision).label.clone());
        info.previous_revision.clone_from(&trigger.revision);
        info.original_asg = Some(original.clone());
        info.replacement_asg.clone_from(&trigger.replacement_asg);
        info.rollback = Some(RollbackInfo {
            triggering_deployment_id: Some(trigger.id.clone()),
            message: Some(format!("Rollback of deployment {}", trigger.id)),
            ..RollbackInfo::default()
        });
        let mut dep = Dep::new(info, revision, false);
        for blue_id in self.instance_ids(&original, &Lifecycle::InService) {
            dep.add_target(&blue_id, TargetLabel::Blue, Hook::ALLOW);
        }
        if let Some(green) = &trigger.replacement_asg {
            for inst in self.instances.iter().filter(|i| i.asg == *green) {
                dep.add_target(&inst.id, TargetLabel::Green, Hook::BLOCK);
            }
        }
        self.deployments.push(dep);
        self.deployments[d].info.rollback = Some(RollbackInfo {
            rollback_deployment_id: Some(id.clone()),
            message: Some(format!("Deployment {} is rolled back by {id}", trigger.id)),
            ..RollbackInfo::default()
        });
        self.emit(Tag::RollbackCreated, format!("rollback deployment {id} created for {}", trigger.id));
    }

    pub(crate) fn new_deployment_id(&mut self) -> String {
        format!("d-{}", self.rng.word(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 9))
    }

    fn set_status(&mut self, d: usize, status: &DeploymentStatus) {
        let info = &mut self.deployments[d].info;
        if info.status == *status {
            return;
        }
        info.status = status.clone();
        let id = info.id.clone();
        self.emit(Tag::Status(status.clone()), format!("deployment {id} is {status}"));
    }

    /// Starts and finishes the lifecycle hooks of every target that may run now.
    fn tick_hooks(&mut self, d: usize) -> bool {
        let mut changed = false;
        for t in 0..self.deployments[d].info.targets.len() {
            while self.tick_hook(d, t) {
                changed = true;
                if self.deployments[d].phase == Phase::Done {
                    return true;
                }
            }
        }
        changed
    }

    /// One step of one target's current hook; `true` when something changed.
    fn tick_hook(&mut self, d: usize, t: usize) -> bool {
        let now = self.now;
        let target = &self.deployments[d].info.targets[t];
        let Some(e) = target.events.iter().position(|e| e.status != EventStatus::Succeeded) else {
            return false;
        };
        let instance = target.instance_id.clone();
        let hook = target.events[e].hook.clone();
        match target.events[e].status {
            EventStatus::Pending => {
                let phase = &self.deployments[d].phase;
                let in_service = self.inst(&instance).is_some_and(|i| i.lifecycle == Lifecycle::InService);
                if !gate(phase, &hook) || (Hook::INSTALL.contains(&hook) && !in_service) {
                    return false;
                }
                self.start_hook(d, t, e);
                true
            }
            EventStatus::InProgress => {
                let done = match hook {
                    Hook::AllowTraffic => self.registration(&instance).is_some_and(super::lb::Registration::routable),
                    Hook::BlockTraffic => self.registration(&instance).is_none(),
                    _ => self.deployments[d].ends[t].is_some_and(|end| end <= now),
                };
                if !done {
                    return false;
                }
                self.finish_hook(d, t, e);
                true
            }
            _ => false,
        }
    }

    fn start_hook(&mut self, d: usize, t: usize, e: usize) {
        let now = self.now;
        let timing = &self.scenario.timing;
        let (lo, hi) = {
            let hook = &self.deployments[d].info.targets[t].events[e].hook;
            let range = if Hook::INSTALL.contains(hook) { timing.hook_seconds } else { timing.traffic_hook_seconds };
            (range[0], range[1])
        };
        let secs = self.rng.between(lo, hi);
        let dep = &mut self.deployments[d];
        dep.ends[t] = Some(now + Duration::from_secs(secs));
        let target = &mut dep.info.targets[t];
        target.events[e].status = EventStatus::InProgress;
        target.events[e].started_at = Some(now);
        target.updated_at = Some(now);
        if matches!(target.status, TargetStatus::Pending) {
            target.status = TargetStatus::InProgress;
        }
        let hook = target.events[e].hook.clone();
        let instance = target.instance_id.clone();
        let lb_ref = self.lb_ref();
        let asg = self.inst(&instance).map(|i| i.asg.clone()).unwrap_or_default();
        match hook {
            Hook::AllowTraffic => {
                self.register(&instance);
                if self.asg(&asg).is_some_and(|a| !a.target_groups.contains(&lb_ref) && !a.classic.contains(&lb_ref)) {
                    self.attach(&asg, &lb_ref);
                }
            }
            Hook::BlockTraffic => {
                self.deregister(&instance);
                if self.asg(&asg).is_some_and(|a| a.target_groups.contains(&lb_ref) || a.classic.contains(&lb_ref)) {
                    self.detach(&asg, &lb_ref);
                }
            }
            _ => {}
        }
    }

    fn finish_hook(&mut self, d: usize, t: usize, e: usize) {
        let now = self.now;
        let dep = &self.deployments[d];
        let target = &dep.info.targets[t];
        let hook = target.events[e].hook.clone();
        let instance = target.instance_id.clone();
        let green_index = dep.info.green_targets().position(|g| g.instance_id == instance);
        let fault = self.scenario.faults.iter().find_map(|f| match f {
            Fault::HookFails { hook: h, instance: n, log_tail }
                if dep.faulty && *h == hook && green_index == Some(*n) =>
            {
                Some(log_tail.clone())
            }
            _ => None,
        });
        let revision = self.revision(dep.revision).label.clone();
        let dep = &mut self.deployments[d];
        let target = &mut dep.info.targets[t];
        let event = &mut target.events[e];
        event.ended_at = Some(now);
        target.updated_at = Some(now);
        if let Some(tail) = fault {
            let log_tail = crate::domain::clean_lines(&tail, 200, 40);
            event.status = EventStatus::Failed;
            event.diagnostics = Some(if matches!(hook, Hook::DownloadBundle | Hook::Install) {
                // The agent's own step: no script, its error in the message.
                Diagnostics {
                    error_code: "UnknownError".into(),
                    message: log_tail.last().cloned().unwrap_or_default(),
                    script: None,
                    log_tail,
                }
            } else {
                let script = format!("scripts/{}.sh", hook.snake());
                Diagnostics {
                    error_code: "ScriptFailed".into(),
                    message: format!("Script at specified location: {script} run as user root failed with exit code 1"),
                    script: Some(script),
                    log_tail,
                }
            });
            target.status = TargetStatus::Failed;
            self.emit(Tag::HookFailed, format!("{hook} failed on {instance}"));
            let msg = "The overall deployment failed because too many individual instances failed deployment, too few healthy instances are available for deployment, or some instances in your deployment group are experiencing problems.";
            self.end(d, &DeploymentStatus::Failed, Some(("HOOK_EXECUTION_FAILURE", msg.to_string())));
            return;
        }
        event.status = EventStatus::Succeeded;
        if target.events.iter().all(|e| e.status == EventStatus::Succeeded) {
            target.status = TargetStatus::Succeeded;
        }
        if hook == Hook::Install
            && let Some(inst) = self.inst_mut(&instance)
        {
            inst.version = Some(revision);
        }
        self.emit(Tag::Hook(hook.clone()), format!("{hook} succeeded on {instance}"));
    }
}

/// A deployment record with nothing filled in but its id, time and creator.
pub(crate) fn blank_deployment(id: &str, now: At, creator: Creator) -> Deployment {
    Deployment {
        id: id.to_string(),
        status: DeploymentStatus::Created,
        creator,
        revision: None,
        previous_revision: None,
        original_asg: None,
        replacement_asg: None,
        created_at: now,
        started_at: None,
        completed_at: None,
        overview: Overview::default(),
        wait: None,
        termination_wait_started: false,
        error: None,
        rollback: None,
        status_messages: Vec::new(),
        targets: Vec::new(),
    }
}
