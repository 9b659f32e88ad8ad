//! The load balancer's side of the world: which instances are registered,
//! their health checks (initial → healthy after the threshold, unhealthy on
//! failures) and draining after deregistration.

use std::time::Duration;

use super::World;
use crate::cloud::Tag;
use crate::domain::{At, LoadBalancerKind, TargetState};

/// One instance registered with the load balancer.
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    pub instance_id: String,
    pub state: TargetState,
    pub reason: Option<String>,
    passes: u32,
    failures: u32,
    next_check: At,
    drain_until: Option<At>,
}

impl Registration {
    /// Takes new requests.
    pub fn routable(&self) -> bool {
        self.state == TargetState::Healthy
    }

    pub fn draining(&self) -> bool {
        self.state == TargetState::Draining
    }

    pub fn make_healthy(&mut self) {
        self.state = TargetState::Healthy;
        self.reason = None;
    }
}

impl World {
    /// The target group's ARN, or the classic load balancer's name.
    pub(crate) fn lb_ref(&self) -> String {
        match self.lb.kind {
            LoadBalancerKind::Classic => self.lb.name.clone(),
            _ => self.lb.target_group_arn.clone().unwrap_or_default(),
        }
    }

    pub(crate) fn registration(&self, instance_id: &str) -> Option<&Registration> {
        self.registrations.iter().find(|r| r.instance_id == instance_id)
    }

    /// Registers an instance (again, if it was draining): health checks start.
    pub(crate) fn register(&mut self, instance_id: &str) {
        let interval = Duration::from_secs(self.scenario.timing.health_interval_seconds);
        let now = self.now;
        if let Some(r) = self.registrations.iter_mut().find(|r| r.instance_id == instance_id) {
            if !r.draining() {
                return;
            }
            self.registrations.retain(|r| r.instance_id != instance_id);
        }
        self.registrations.push(Registration {
            instance_id: instance_id.to_string(),
            state: TargetState::Initial,
            reason: Some("Elb.RegistrationInProgress".into()),
            passes: 0,
            failures: 0,
            next_check: now + interval / 2,
            drain_until: None,
        });
        self.emit(Tag::Registered, format!("{instance_id} registered with {}", self.lb.name));
    }

    /// Deregisters an instance: it drains for the deregistration delay.
    pub(crate) fn deregister(&mut self, instance_id: &str) {
        let until = self.now + Duration::from_secs(self.scenario.timing.deregistration_delay_seconds);
        let Some(r) = self.registrations.iter_mut().find(|r| r.instance_id == instance_id) else {
            return;
        };
        if r.draining() {
            return;
        }
        r.state = TargetState::Draining;
        r.reason = Some("Target.DeregistrationInProgress".into());
        r.drain_until = Some(until);
        self.emit(Tag::Deregistered, format!("{instance_id} deregistered from {}, draining", self.lb.name));
    }

    /// Attaches the load balancer (target group ARN or classic name) to a
    /// group: its InService instances are registered.
    pub(crate) fn attach(&mut self, asg: &str, lb_ref: &str) {
        let classic = self.lb.kind == LoadBalancerKind::Classic;
        let Some(group) = self.asg_mut(asg) else {
            return;
        };
        let list = if classic { &mut group.classic } else { &mut group.target_groups };
        if !list.iter().any(|x| x == lb_ref) {
            list.push(lb_ref.to_string());
            self.emit(Tag::Attached, format!("{} attached to {asg}", self.lb_name_for(lb_ref)));
        }
        for id in self.instance_ids(asg, &crate::domain::Lifecycle::InService) {
            self.register(&id);
        }
    }

    /// Detaches it: the group's instances are deregistered and drain.
    pub(crate) fn detach(&mut self, asg: &str, lb_ref: &str) {
        let Some(group) = self.asg_mut(asg) else {
            return;
        };
        let before = group.target_groups.len() + group.classic.len();
        group.target_groups.retain(|x| x != lb_ref);
        group.classic.retain(|x| x != lb_ref);
        if before != group.target_groups.len() + group.classic.len() {
            self.emit(Tag::Detached, format!("{} detached from {asg}", self.lb_name_for(lb_ref)));
        }
        let ids: Vec<String> = self.instances.iter().filter(|i| i.asg == asg).map(|i| i.id.clone()).collect();
        for id in ids {
            self.deregister(&id);
        }
    }

    fn lb_name_for(&self, lb_ref: &str) -> String {
        match &self.lb.target_group {
            Some(tg) if !lb_ref.is_empty() && self.lb.kind != LoadBalancerKind::Classic => {
                format!("target group {tg}")
            }
            _ => format!("load balancer {lb_ref}"),
        }
    }

    /// Runs the health checks that are due and ends finished drains.
    pub(crate) fn tick_targets(&mut self) -> bool {
        let now = self.now;
        let t = self.scenario.timing.clone();
        let interval = Duration::from_secs(t.health_interval_seconds);
        let mut changed = false;
        let mut notes = Vec::new();
        let mut drained = Vec::new();
        for i in 0..self.registrations.len() {
            let r = &self.registrations[i];
            if let Some(until) = r.drain_until {
                if until <= now {
                    drained.push(r.instance_id.clone());
                }
                continue;
            }
            if r.next_check > now {
                continue;
            }
            let modelled =
                self.inst(&r.instance_id).is_some_and(|inst| inst.lifecycle == crate::domain::Lifecycle::InService);
            let passes = modelled && self.reported_health.get(&r.instance_id).copied().unwrap_or(true);
            let r = &mut self.registrations[i];
            r.next_check = now + interval;
            if passes {
                r.passes += 1;
                r.failures = 0;
                if r.state != TargetState::Healthy && r.passes >= t.healthy_threshold {
                    r.make_healthy();
                    notes.push((Tag::Healthy, format!("{} is a healthy target", r.instance_id)));
                } else if r.state == TargetState::Initial {
                    r.reason = Some("Elb.InitialHealthChecking".into());
                }
            } else {
                r.failures += 1;
                r.passes = 0;
                if r.state != TargetState::Unhealthy && r.failures >= t.unhealthy_threshold {
                    r.state = TargetState::Unhealthy;
                    r.reason = Some("Target.FailedHealthChecks".into());
                    notes.push((Tag::Unhealthy, format!("{} failed its health checks", r.instance_id)));
                }
            }
            changed = true;
        }
        for id in drained {
            self.registrations.retain(|r| r.instance_id != id);
            notes.push((Tag::Drained, format!("{id} finished draining")));
            changed = true;
        }
        for (tag, text) in notes {
            self.emit(tag, text);
        }
        changed
    }
}
