//! The event log: every difference between two observations (groups,
//! capacity, instances, target health, the deployment's status, counters and
//! lifecycle events, the deployment group's group, revisions), the served
//! version mix, and the outcome of each plan step. A bounded ring.

use std::collections::VecDeque;

use crate::domain::why::{self, HookFailure};
use crate::domain::{
    At, Deployment, DeploymentStatus, Environment, EventStatus, Hook, Instance, LifecycleEvent, Observation, Stage,
    Target, TargetLabel, TargetState,
};

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
    /// Why something failed and what to do next (a failed hook's script,
    /// exit code and log tail; a deployment's error and its hint).
    Why,
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

    /// Newest first, except that the lines explaining an entry
    /// ([`Kind::Why`]) follow it in their own order, as they read.
    pub fn newest(&self) -> impl Iterator<Item = &Entry> {
        let mut out = Vec::with_capacity(self.entries.len());
        let mut why: Vec<&Entry> = Vec::new();
        for (_, e) in self.entries.iter().rev() {
            if e.kind == Kind::Why {
                why.push(e);
            } else {
                out.push(e);
                out.extend(why.drain(..).rev());
            }
        }
        out.extend(why.into_iter().rev());
        out.into_iter()
    }

    /// The entries pushed as number `n` or later (still kept), in time order.
    pub fn pushed_since(&self, n: u64) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |(seq, _)| *seq >= n).map(|(_, e)| e)
    }
}

/// The first entries: what is being watched and which group serves, and
/// how far a deployment already under way has got.
pub fn watching(obs: &Observation) -> Vec<Entry> {
    let serving: Vec<&str> = obs.serving().iter().map(|e| e.asg.as_str()).collect();
    let serving = if serving.is_empty() { "none".to_string() } else { serving.join(", ") };
    let text = format!(
        "watching {}/{}: {} group(s), serving: {serving}",
        obs.group.application,
        obs.group.name,
        obs.environments.len()
    );
    let mut out = vec![Entry { at: obs.at, text, tone: Tone::Info, kind: Kind::World }];
    if let Some(d) = &obs.active {
        let text = format!("{} {} under way since {}: {}, {}", kind(d), origin(d), d.created_at, d.status, how_far(d));
        out.push(Entry { at: obs.at, text, tone: Tone::Action, kind: Kind::World });
    }
    if let Some(d) = obs.last.as_ref().filter(|d| obs.active.is_none() && d.error.is_some()) {
        let mut say = |at: At, text: String, tone: Tone| out.push(told(at.min(obs.at), text, tone));
        let ended = d.completed_at.unwrap_or(obs.at);
        say(ended, format!("last {} ended {}{}", kind(d), d.status, error_words(d)), status_tone(&d.status));
        if let Some((t, e)) = why::first_failed(d) {
            hook_failed(t, e, ended, &mut say);
        }
        ended_why(d, ended, &mut say);
        out[2..].sort_by_key(|e| e.at);
    }
    out
}

/// `deployment d-…`, `rollback deployment d-…`.
fn kind(d: &Deployment) -> String {
    format!("{}deployment {}", if d.is_rollback() { "rollback " } else { "" }, d.id)
}

/// `(v2, by user)`.
fn origin(d: &Deployment) -> String {
    format!("({}, by {})", d.revision.as_deref().unwrap_or("?"), d.creator)
}

/// Where an active deployment stands, in words.
fn how_far(d: &Deployment) -> String {
    let o = &d.overview;
    let total = o.pending + o.in_progress + o.succeeded + o.failed + o.skipped + o.ready;
    match d.stage() {
        Stage::Installing => format!("green installing, {} of {total} target(s) done", o.succeeded),
        Stage::Ready => "green installed, waiting for a reroute".into(),
        Stage::TrafficMoving => "moving traffic".into(),
        Stage::TerminationWait => "traffic moved, the originals wait to be terminated".into(),
        Stage::Done => "ended".into(),
    }
}

/// The deployments an observation shows, oldest first, each once.
fn deployments(o: &Observation) -> Vec<&Deployment> {
    let mut out: Vec<&Deployment> = Vec::new();
    for d in o.rolled_back.iter().chain(o.last.iter()).chain(o.active.iter()) {
        if !out.iter().any(|seen| seen.id == d.id) {
            out.push(d);
        }
    }
    out
}

fn status_tone(status: &DeploymentStatus) -> Tone {
    match status {
        DeploymentStatus::Succeeded | DeploymentStatus::Ready => Tone::Good,
        DeploymentStatus::Failed | DeploymentStatus::Stopped => Tone::Bad,
        _ => Tone::Info,
    }
}

/// `: HEALTH_CONSTRAINTS`, or nothing (the message follows on a line of its own).
fn error_words(d: &Deployment) -> String {
    d.error.as_ref().map(|e| format!(": {}", e.code)).unwrap_or_default()
}

/// What changed from `prev` to `next`, as log entries in time order. A
/// deployment not seen before is told whole (created, its failed hooks,
/// how it ended), each line at the deployment's own time, so one that
/// started and ended between two looks is not lost.
pub fn diff(prev: &Observation, next: &Observation) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut many = Many::default();
    let mut say = |at: At, text: String, tone: Tone| out.push(told(at.min(next.at), text, tone));
    for e in &next.environments {
        match prev.environment(&e.asg) {
            None => say(next.at, format!("ASG {} created ({})", e.asg, e.capacity()), Tone::Info),
            Some(p) if p.capacity() != e.capacity() => {
                say(next.at, format!("ASG {} capacity {} → {}", e.asg, p.capacity(), e.capacity()), Tone::Info);
            }
            Some(_) => {}
        }
    }
    for p in &prev.environments {
        if next.environment(&p.asg).is_none() {
            say(next.at, format!("ASG {} deleted", p.asg), Tone::Info);
        }
    }
    let instances = |o: &Observation| -> Vec<(String, Instance)> {
        o.environments.iter().flat_map(|e| e.instances.iter().map(|i| (e.asg.clone(), i.clone()))).collect()
    };
    let before = instances(prev);
    // In a big group, what every instance goes through is told once, when
    // the last one is through (`all 40 instances InService`); what goes
    // wrong is told of each.
    let big = |asg: &str| next.environment(asg).is_some_and(|e| e.instances.len() >= MANY);
    for (asg, i) in instances(next) {
        match before.iter().find(|(_, b)| b.id == i.id) {
            None => many.add(
                format!("{asg}: {{n}} instances {}", i.lifecycle),
                &i.id,
                next.at,
                format!("{asg}: {} {}", i.id, i.lifecycle),
                Tone::Info,
            ),
            Some((_, b)) => {
                if b.lifecycle != i.lifecycle && !big(&asg) {
                    let change = format!("{} → {}", b.lifecycle, i.lifecycle);
                    let one = format!("{} {change}", i.id);
                    many.add(format!("{{n}} instances {change}"), &i.id, next.at, one, Tone::Info);
                }
                if b.health != i.health {
                    let one = format!("{} health {}", i.id, i.health);
                    many.add(format!("{{n}} instances health {}", i.health), &i.id, next.at, one, Tone::Info);
                }
                let state = |x: &Instance| x.target.as_ref().map(|t| t.state.to_string());
                let bad = i
                    .target
                    .as_ref()
                    .is_some_and(|t| matches!(t.state, TargetState::Unhealthy | TargetState::UnhealthyDraining));
                if state(b) != state(&i) && (!big(&asg) || bad) {
                    let now = i.target.as_ref().map_or_else(
                        || "not registered".to_string(),
                        |t| format!("{}{}", t.state, t.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()),
                    );
                    let tone = if i.serving() { Tone::Good } else { Tone::Info };
                    let one = format!("{} target {now}", i.id);
                    many.add(format!("{{n}} targets {now}"), &i.id, next.at, one, tone);
                }
            }
        }
    }
    for (_, b) in &before {
        if !next.environments.iter().any(|e| e.instances.iter().any(|i| i.id == b.id)) {
            many.add("{n} instances gone".into(), &b.id, next.at, format!("{} gone", b.id), Tone::Info);
        }
    }
    many.say(&mut say);
    for e in next.environments.iter().filter(|e| e.instances.len() >= MANY) {
        let Some(p) = prev.environment(&e.asg) else { continue };
        all_through(e, p, next.at, &mut say);
    }
    let old = deployments(prev);
    for d in deployments(next) {
        match old.iter().find(|o| o.id == d.id) {
            Some(o) => deployment_changes(o, d, next.at, &mut say),
            None => arrived(d, next.at, &mut say),
        }
    }
    if prev.group.autoscaling_groups != next.group.autoscaling_groups {
        say(
            next.at,
            format!("deployment group {} now uses {}", next.group.name, next.group.autoscaling_groups.join(", ")),
            Tone::Info,
        );
    }
    for r in &next.revisions {
        if !prev.revisions.iter().any(|p| p.label == r.label) {
            say(next.at, format!("revision {} registered ({})", r.label, r.location()), Tone::Info);
        }
    }
    out.sort_by_key(|e| e.at);
    out
}

/// From how many instances a group is big (what all of them go through is
/// one line when the last is through) and a look's same news of as many
/// instances one line (`CodeDeploy_…: 40 instances Pending: i-…, i-…`;
/// `Enter` shows the line whole, every instance in it).
pub const MANY: usize = 3;

/// One instance's line in a gathering: its place among all, its time, the
/// instance, the line.
type Said = (usize, At, String, String);

/// Lines that instances say in one look, gathered by what they say.
#[derive(Debug, Default)]
struct Many {
    /// What they say (`{n}` stands for how many), its tone, and each
    /// instance's own line.
    said: Vec<(String, Tone, Vec<Said>)>,
    count: usize,
}

impl Many {
    fn add(&mut self, summary: String, id: &str, at: At, one: String, tone: Tone) {
        let item = (self.count, at, id.to_string(), one);
        self.count += 1;
        match self.said.iter_mut().find(|(s, t, _)| *s == summary && *t == tone) {
            Some((_, _, items)) => items.push(item),
            None => self.said.push((summary, tone, vec![item])),
        }
    }

    /// Each gathering as one line at its latest time (in the place of its
    /// first), or its instances' own lines, in their order, when they are few.
    fn say(self, say: &mut impl FnMut(At, String, Tone)) {
        let mut lines = Vec::new();
        for (summary, tone, items) in self.said {
            if items.len() < MANY {
                lines.extend(items.into_iter().map(|(place, at, _, one)| (place, at, one, tone)));
                continue;
            }
            let place = items.iter().map(|(place, ..)| *place).min().unwrap_or_default();
            let at = items.iter().map(|(_, at, ..)| *at).max().unwrap_or_default();
            let ids: Vec<&str> = items.iter().map(|(_, _, id, _)| id.as_str()).collect();
            let text = format!("{}: {}", summary.replace("{n}", &items.len().to_string()), ids.join(", "));
            lines.push((place, at, text, tone));
        }
        lines.sort_by_key(|(place, ..)| *place);
        for (_, at, text, tone) in lines {
            say(at, text, tone);
        }
    }
}

/// A big group whose instances all reached the same lifecycle, or target
/// state, in this look: one line each.
fn all_through(e: &Environment, p: &Environment, at: At, say: &mut impl FnMut(At, String, Tone)) {
    let n = e.instances.len();
    let same = |env: &Environment, f: &dyn Fn(&Instance) -> String| {
        let first = env.instances.first().map(f);
        first.filter(|v| env.instances.iter().all(|i| f(i) == *v))
    };
    let lifecycle = |i: &Instance| i.lifecycle.to_string();
    let ids = e.instances.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join(", ");
    if let Some(l) = same(e, &lifecycle).filter(|l| same(p, &lifecycle).as_ref() != Some(l)) {
        say(at, format!("{}: all {n} instances {l}: {ids}", e.asg), Tone::Info);
    }
    let target = |i: &Instance| i.target.as_ref().map_or_else(|| "not registered".into(), |t| t.state.to_string());
    if let Some(t) = same(e, &target).filter(|t| same(p, &target).as_ref() != Some(t)) {
        let tone = if e.serving() { Tone::Good } else { Tone::Info };
        say(at, format!("{}: all {n} targets {t}: {ids}", e.asg), tone);
    }
}

/// How an explaining line starts.
const WHY: &str = "  ";

/// A difference of the world as an entry; a line that explains a failure
/// (it starts with [`WHY`]) is of [`Kind::Why`].
fn told(at: At, text: String, tone: Tone) -> Entry {
    let kind = if text.starts_with(WHY) { Kind::Why } else { Kind::World };
    Entry { at, text, tone, kind }
}

/// A failed hook, then why: its script and exit code, the last lines of
/// its log, the step to take.
fn hook_failed(t: &Target, e: &LifecycleEvent, at: At, say: &mut impl FnMut(At, String, Tone)) {
    say(at, format!("{} {} {} ✗ failed", t.label.as_str().to_lowercase(), t.instance_id, e.hook), Tone::Bad);
    let Some(HookFailure { what, tail, hint }) = why::hook(e) else { return };
    say(at, format!("{WHY}{what} on {}", t.instance_id), Tone::Bad);
    for line in tail {
        say(at, format!("{WHY}│ {line}"), Tone::Info);
    }
    if let Some(hint) = hint {
        say(at, format!("{WHY}hint: {hint}"), Tone::Action);
    }
}

/// A deployment that ended with an error: its code and message, and the
/// step to take (a failed hook told its own).
fn ended_why(d: &Deployment, at: At, say: &mut impl FnMut(At, String, Tone)) {
    let Some(f) = why::failure(d) else { return };
    say(at, format!("{WHY}{}: {}", f.code, f.message), Tone::Bad);
    if why::first_failed(d).is_none() {
        say(at, format!("{WHY}hint: {}", f.hint), Tone::Action);
    }
}

/// A deployment first seen in this look: created, its failed hooks, and how
/// it ended (or where it is now).
fn arrived(d: &Deployment, now: At, say: &mut impl FnMut(At, String, Tone)) {
    say(d.created_at, format!("{} created {}", kind(d), origin(d)), Tone::Action);
    for t in &d.targets {
        for e in t.events.iter().filter(|e| e.status == EventStatus::Failed) {
            hook_failed(t, e, e.ended_at.or(d.completed_at).unwrap_or(now), say);
        }
    }
    if d.is_active() {
        if d.status != DeploymentStatus::Created {
            say(now, format!("deployment {} is {}", d.id, d.status), status_tone(&d.status));
        }
    } else {
        let at = d.completed_at.unwrap_or(now);
        say(at, format!("deployment {} ended {}{}", d.id, d.status, error_words(d)), status_tone(&d.status));
        ended_why(d, at, say);
    }
}

/// A deployment seen before: its hooks that ended since (on a big side a
/// success once every instance of it is through; failures each told), then
/// its status.
fn deployment_changes(old: &Deployment, new: &Deployment, now: At, say: &mut impl FnMut(At, String, Tone)) {
    let side = |d: &Deployment, label: &TargetLabel| d.targets.iter().filter(|t| t.label == *label).count();
    let big = |label: &TargetLabel| side(new, label) >= MANY;
    for t in &new.targets {
        let before = old.target(&t.instance_id);
        for e in &t.events {
            let was = before.and_then(|b| b.event(&e.hook)).map(|x| &x.status);
            if was == Some(&e.status) || !matches!(e.status, EventStatus::Succeeded | EventStatus::Failed) {
                continue;
            }
            let at = e.ended_at.unwrap_or(now);
            if e.status == EventStatus::Failed {
                hook_failed(t, e, at, say);
                continue;
            }
            if !big(&t.label) {
                say(at, format!("{} {} {} ✓", t.label.as_str().to_lowercase(), t.instance_id, e.hook), Tone::Info);
            }
        }
    }
    // A big side: a hook told once, when every instance of it is through.
    for label in [TargetLabel::Green, TargetLabel::Blue].iter().filter(|l| big(l)) {
        let through = |d: &Deployment, hook: &Hook| {
            let done: Vec<&LifecycleEvent> = d
                .targets
                .iter()
                .filter(|t| t.label == *label)
                .filter_map(|t| t.event(hook).filter(|e| e.status == EventStatus::Succeeded))
                .collect();
            (done.len() == side(d, label)).then(|| done.iter().filter_map(|e| e.ended_at).max().unwrap_or(now))
        };
        for hook in &Hook::ALL {
            if let (Some(at), None) = (through(new, hook), through(old, hook)) {
                let ids: Vec<&str> =
                    new.targets.iter().filter(|t| t.label == *label).map(|t| t.instance_id.as_str()).collect();
                let side = label.as_str().to_lowercase();
                let text = format!("{hook} ✓ on all {} {side} instances: {}", ids.len(), ids.join(", "));
                say(at, text, Tone::Info);
            }
        }
    }
    if old.status != new.status {
        let at = if new.is_active() { now } else { new.completed_at.unwrap_or(now) };
        let text = format!("deployment {} {} → {}{}", new.id, old.status, new.status, error_words(new));
        say(at, text, status_tone(&new.status));
        if !new.is_active() {
            ended_why(new, at, say);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(secs: u64, text: &str) -> Entry {
        Entry { at: At::from_secs(9 * 3600 + secs), text: text.into(), tone: Tone::Info, kind: Kind::World }
    }

    use crate::cloud::sim::story;
    use crate::cloud::sim::{Scenario, World};

    /// The world of `scenario` before and after `script`, as two looks.
    fn looks(scenario: &str, script: &str) -> (Observation, Observation) {
        let mut world = World::new(&Scenario::load(scenario).unwrap());
        let before = world.observe();
        story::play(&mut world, story::parse(script).unwrap(), std::time::Duration::from_secs(3600)).unwrap();
        (before, world.observe())
    }

    fn texts(entries: &[Entry]) -> Vec<String> {
        entries.iter().map(|e| format!("{} {}", e.at, e.text)).collect()
    }

    #[test]
    fn a_deployment_between_two_looks_is_told_whole_at_its_own_times() {
        let (before, after) = looks("hook-fails", "deploy; wait Failed");
        let d = after.last.clone().unwrap();
        let told = diff(&before, &after);
        let lines = texts(&told);
        let at = |what: &str| {
            told.iter().find(|e| e.text.contains(what)).unwrap_or_else(|| panic!("{what:?} in {lines:#?}")).at
        };
        assert_eq!(at(&format!("deployment {} created (v2, by user)", d.id)), d.created_at, "{lines:#?}");
        let failed = at("✗ failed");
        assert_eq!(at(&format!("deployment {} ended Failed: ", d.id)), d.completed_at.unwrap());
        assert!(d.created_at < failed && failed <= d.completed_at.unwrap(), "{lines:#?}");
        assert!(told.iter().all(|e| e.at <= after.at), "none after the look");
        let times: Vec<At> = told.iter().map(|e| e.at).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order: {lines:#?}");
        let bad = told.iter().filter(|e| e.tone == Tone::Bad).count();
        assert!(bad >= 2, "the failed hook and the end read as bad news: {lines:#?}");
    }

    #[test]
    fn a_deployment_seen_before_tells_only_what_changed_hooks_first() {
        let mut world = World::new(&Scenario::load("manual-reroute").unwrap());
        let limit = std::time::Duration::from_secs(3600);
        story::play(&mut world, story::parse("deploy; wait Ready").unwrap(), limit).unwrap();
        let ready = world.observe();
        story::play(&mut world, story::parse("promote; wait Succeeded").unwrap(), limit).unwrap();
        let done = world.observe();
        let told = diff(&ready, &done);
        let lines = texts(&told);
        let id = &done.last.as_ref().unwrap().id;
        assert!(!lines.iter().any(|l| l.contains("created")), "not told again: {lines:#?}");
        let status = told.iter().position(|e| e.text.contains(&format!("deployment {id} Ready → Succeeded")));
        let status = status.unwrap_or_else(|| panic!("{lines:#?}"));
        let hooks: Vec<usize> = (0..told.len()).filter(|&i| told[i].text.ends_with(" ✓")).collect();
        assert!(!hooks.is_empty() && hooks.iter().all(|&i| i < status), "hooks, then the status: {lines:#?}");
        assert!(
            !lines.iter().any(|l| l.contains("BeforeInstall")),
            "hooks that ended before were told then: {lines:#?}"
        );
        assert_eq!(told[status].at, done.last.as_ref().unwrap().completed_at.unwrap().min(done.at));
    }

    #[test]
    fn the_first_look_says_how_far_a_deployment_under_way_got() {
        let (_, ready) = looks("manual-reroute", "deploy; wait Ready");
        let lines = texts(&watching(&ready));
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(
            lines[0].contains("watching bluegreen-app/bluegreen-dg: 2 group(s), serving: bluegreen-asg"),
            "{lines:#?}"
        );
        let d = ready.active.as_ref().unwrap();
        let want =
            format!("deployment {} (v2, by user) under way since {}: Ready, green installed", d.id, d.created_at);
        assert!(lines[1].contains(&want), "{lines:#?}");
    }

    #[test]
    fn lines_that_explain_follow_their_entry_newest_first() {
        let mut log = EventLog::default();
        let why = |secs, text: &str| Entry { kind: Kind::Why, ..entry(secs, text) };
        log.push(entry(10, "installed"));
        log.push(entry(20, "hook ✗ failed"));
        log.push(why(20, "  script exited 1"));
        log.push(why(20, "  hint: fix it"));
        log.push(entry(30, "ended"));
        let newest: Vec<&str> = log.newest().map(|e| e.text.as_str()).collect();
        assert_eq!(newest, ["ended", "hook ✗ failed", "  script exited 1", "  hint: fix it", "installed"]);
        let pushed: Vec<&str> = log.pushed_since(0).map(|e| e.text.as_str()).collect();
        assert_eq!(pushed[1..4], ["hook ✗ failed", "  script exited 1", "  hint: fix it"], "time order for --plain");
    }

    #[test]
    fn a_failure_says_why_under_the_hook_and_under_the_end() {
        let (before, after) = looks("hook-fails", "deploy; wait Failed");
        let told = diff(&before, &after);
        let lines = texts(&told);
        let at = |what: &str| {
            told.iter().position(|e| e.text.contains(what)).unwrap_or_else(|| panic!("{what:?} in {lines:#?}"))
        };
        let failed = at("ValidateService ✗ failed");
        let script = at("  scripts/validate_service.sh exited 1 (ScriptFailed) on i-");
        let tail = at("  │ [stderr]ValidateService: the page did not answer within 30 seconds");
        let hint = at("  hint: the script exited with an error");
        let end = at("ended Failed: HOOK_EXECUTION_FAILURE");
        let message = at("  HOOK_EXECUTION_FAILURE: The overall deployment failed");
        assert!(failed < script && script < tail && tail < hint && end < message, "{lines:#?}");
        for i in [script, tail, hint, message] {
            assert_eq!(told[i].kind, Kind::Why, "{}", told[i].text);
        }
        assert_eq!(told[failed].kind, Kind::World);
        assert_eq!(lines.iter().filter(|l| l.contains("hint:")).count(), 1, "one hint, the hook's: {lines:#?}");
    }

    #[test]
    fn the_first_look_after_a_failure_says_why() {
        let (_, after) = looks("hook-fails", "deploy; wait Failed");
        let mut failed = after.clone();
        failed.active = None;
        failed.last = after.rolled_back.clone().or(after.last.clone());
        let lines = texts(&watching(&failed));
        assert!(
            lines
                .iter()
                .any(|l| l.contains("last deployment d-") && l.contains("ended Failed: HOOK_EXECUTION_FAILURE")),
            "{lines:#?}"
        );
        assert!(lines.iter().any(|l| l.contains("  scripts/validate_service.sh exited 1")), "{lines:#?}");
        assert!(lines.iter().any(|l| l.contains("  hint: ")), "{lines:#?}");
        let (_, fine) = looks("manual-reroute", "deploy; wait Ready; promote; wait Succeeded");
        assert_eq!(watching(&fine).len(), 1, "nothing to explain");
    }

    #[test]
    fn a_late_fact_takes_its_place_among_earlier_events() {
        let mut log = EventLog::default();
        assert_eq!(log.push(entry(10, "registered")), 0);
        assert_eq!(log.push(entry(20, "deregistered")), 0);
        assert_eq!(log.push(entry(30, "succeeded")), 0);
        // A traffic second told late: behind the two entries after it.
        assert_eq!(log.push(entry(15, "serves a mix")), 2);
        // The same time as an entry already there: after it (told later).
        assert_eq!(log.push(entry(20, "verdict")), 1);
        let newest: Vec<&str> = log.newest().map(|e| e.text.as_str()).collect();
        assert_eq!(newest, ["succeeded", "verdict", "deregistered", "serves a mix", "registered"]);
        let pushed: Vec<&str> = log.pushed_since(3).map(|e| e.text.as_str()).collect();
        assert_eq!(pushed, ["serves a mix", "verdict"], "what was pushed since, in time order");
        assert_eq!(log.total(), 5);
    }
}
