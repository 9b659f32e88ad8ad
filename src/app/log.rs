//! The event log: every difference between two observations (groups,
//! capacity, instances, target health, the deployment's status, counters and
//! lifecycle events, the deployment group's group, revisions), the served
//! version mix, and the outcome of each plan step. A bounded ring.

use std::collections::VecDeque;

use crate::domain::{Deployment, DeploymentStatus, EventStatus, Instance, Observation};

/// How an entry reads: good news, bad news, an action of ours, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
    Action,
}

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A difference between two observations of the world.
    World,
    /// A change in what the load balancer serves.
    Traffic,
    /// A cutover's verdict: did moving traffic drop anything.
    Verdict,
    /// The console's own doing: plan steps and outcomes, notices, problems.
    Console,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: crate::domain::At,
    pub text: String,
    pub tone: Tone,
    pub kind: Kind,
}

/// At most this many entries are kept.
pub const CAPACITY: usize = 10_000;

/// The newest entries, oldest first.
/// Entries in time order, each with the number it was pushed as (a
/// traffic second or a verdict is told seconds after the time it is about,
/// so it may land behind newer entries).
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    entries: VecDeque<(u64, Entry)>,
    total: u64,
}

impl EventLog {
    /// Adds `entry` after every entry not later than it; gives its place
    /// counted from the newest (0: it is the newest).
    pub fn push(&mut self, entry: Entry) -> usize {
        if self.entries.len() == CAPACITY {
            self.entries.pop_front();
        }
        let behind = self.entries.iter().rev().take_while(|(_, e)| e.at > entry.at).count();
        self.entries.insert(self.entries.len() - behind, (self.total, entry));
        self.total += 1;
        behind
    }

    /// How many entries were ever pushed (the ring forgets, this does not).
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Newest first.
    pub fn newest(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().rev().map(|(_, e)| e)
    }

    /// The entries pushed as number `n` or later (still kept), in time order.
    pub fn pushed_since(&self, n: u64) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |(seq, _)| *seq >= n).map(|(_, e)| e)
    }
}

/// The first entry: what is being watched and which group serves.
pub fn watching(obs: &Observation) -> Entry {
    let serving: Vec<&str> = obs.serving().iter().map(|e| e.asg.as_str()).collect();
    let serving = if serving.is_empty() { "none".to_string() } else { serving.join(", ") };
    let text = format!(
        "watching {}/{}: {} group(s), serving: {serving}",
        obs.group.application,
        obs.group.name,
        obs.environments.len()
    );
    Entry { at: obs.at, text, tone: Tone::Info, kind: Kind::World }
}

/// What changed from `prev` to `next`, as log entries.
pub fn diff(prev: &Observation, next: &Observation) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut say = |text: String, tone: Tone| out.push(Entry { at: next.at, text, tone, kind: Kind::World });
    for e in &next.environments {
        match prev.environment(&e.asg) {
            None => say(format!("ASG {} created ({})", e.asg, e.capacity()), Tone::Info),
            Some(p) if p.capacity() != e.capacity() => {
                say(format!("ASG {} capacity {} → {}", e.asg, p.capacity(), e.capacity()), Tone::Info);
            }
            Some(_) => {}
        }
    }
    for p in &prev.environments {
        if next.environment(&p.asg).is_none() {
            say(format!("ASG {} deleted", p.asg), Tone::Info);
        }
    }
    let instances = |o: &Observation| -> Vec<(String, Instance)> {
        o.environments.iter().flat_map(|e| e.instances.iter().map(|i| (e.asg.clone(), i.clone()))).collect()
    };
    let before = instances(prev);
    for (asg, i) in instances(next) {
        match before.iter().find(|(_, b)| b.id == i.id) {
            None => say(format!("{asg}: {} {}", i.id, i.lifecycle), Tone::Info),
            Some((_, b)) => {
                if b.lifecycle != i.lifecycle {
                    say(format!("{} {} → {}", i.id, b.lifecycle, i.lifecycle), Tone::Info);
                }
                if b.health != i.health {
                    say(format!("{} health {}", i.id, i.health), Tone::Info);
                }
                let state = |x: &Instance| x.target.as_ref().map(|t| t.state.to_string());
                if state(b) != state(&i) {
                    let now = i.target.as_ref().map_or_else(
                        || "not registered".to_string(),
                        |t| format!("{}{}", t.state, t.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()),
                    );
                    let tone = if i.serving() { Tone::Good } else { Tone::Info };
                    say(format!("{} target {now}", i.id), tone);
                }
            }
        }
    }
    for (_, b) in &before {
        if !next.environments.iter().any(|e| e.instances.iter().any(|i| i.id == b.id)) {
            say(format!("{} gone", b.id), Tone::Info);
        }
    }
    let deployments = |o: &Observation| -> Vec<Deployment> { o.active.iter().chain(o.last.iter()).cloned().collect() };
    let old = deployments(prev);
    for d in deployments(next) {
        match old.iter().find(|o| o.id == d.id) {
            None if d.is_active() => {
                let kind = if d.is_rollback() { "rollback deployment" } else { "deployment" };
                let rev = d.revision.clone().unwrap_or_default();
                // First seen part-way through: say where it is.
                let now =
                    if d.status == DeploymentStatus::Created { String::new() } else { format!(", now {}", d.status) };
                say(format!("{kind} {} created ({rev}, by {}){now}", d.id, d.creator), Tone::Action);
            }
            None => {}
            Some(o) => deployment_changes(o, &d, &mut say),
        }
    }
    if prev.group.autoscaling_groups != next.group.autoscaling_groups {
        say(
            format!("deployment group {} now uses {}", next.group.name, next.group.autoscaling_groups.join(", ")),
            Tone::Info,
        );
    }
    for r in &next.revisions {
        if !prev.revisions.iter().any(|p| p.label == r.label) {
            say(format!("revision {} registered ({})", r.label, r.location()), Tone::Info);
        }
    }
    out
}

fn deployment_changes(old: &Deployment, new: &Deployment, say: &mut impl FnMut(String, Tone)) {
    if old.status != new.status {
        let tone = match new.status {
            DeploymentStatus::Succeeded | DeploymentStatus::Ready => Tone::Good,
            DeploymentStatus::Failed | DeploymentStatus::Stopped => Tone::Bad,
            _ => Tone::Info,
        };
        let why = new.error.as_ref().map(|e| format!(": {} {}", e.code, e.message)).unwrap_or_default();
        say(format!("deployment {} {} → {}{why}", new.id, old.status, new.status), tone);
    }
    for t in &new.targets {
        let before = old.target(&t.instance_id);
        for e in &t.events {
            let was = before.and_then(|b| b.event(&e.hook)).map(|x| &x.status);
            if was == Some(&e.status) || !matches!(e.status, EventStatus::Succeeded | EventStatus::Failed) {
                continue;
            }
            let (mark, tone) =
                if e.status == EventStatus::Failed { ("✗ failed", Tone::Bad) } else { ("✓", Tone::Info) };
            let label = t.label.as_str().to_lowercase();
            say(format!("{label} {} {} {mark}", t.instance_id, e.hook), tone);
        }
    }
}
