//! Stories: a key-less script of actions (`deploy; wait Ready; promote;
//! wait Succeeded; reattach; cleanup`) that plays a whole demo unattended.
//! `Story` is a state machine over world events; [`play`] runs one against a
//! world synchronously, with a clock it owns (for tests).

use std::time::Duration;

use super::World;
use super::scenario::{Fault, Originals, Reroute, Scenario};
use crate::cloud::plan::{self, Intent};
use crate::cloud::run::{Next, PlanRun};
use crate::cloud::{Event, Tag};
use crate::domain::DeploymentStatus;

/// One action of a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Press a key and confirm its plan.
    Key(Intent),
    /// Wait until a world event with this tag happens (`Ready`, `Succeeded`, `drained`, …).
    Wait(Tag),
    /// Let world time pass.
    Sleep(Duration),
}

/// The longest story, in bytes.
pub const MAX_SCRIPT: usize = 100_000;

/// The longest `sleep` a story may ask for, in world seconds (a day).
pub const MAX_SLEEP: u64 = 86_400;

/// Parses `deploy; wait Ready; promote; sleep 30; …`. A wait must name an
/// event the world can report ([`Tag`]).
pub fn parse(script: &str) -> Result<Vec<Action>, String> {
    if script.len() > MAX_SCRIPT {
        return Err(format!("the story is {} bytes long (hint: at most {MAX_SCRIPT})", script.len()));
    }
    script
        .split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|step| {
            let shown = crate::domain::clean(step, 60);
            let mut words = step.split_whitespace();
            let verb = words.next().unwrap_or_default();
            let arg = words.next();
            if words.next().is_some() {
                return Err(format!("story step '{shown}' has too many words (hint: separate steps with ';')"));
            }
            match (verb, arg) {
                ("deploy", None) => Ok(Action::Key(Intent::Deploy)),
                ("promote", None) => Ok(Action::Key(Intent::Promote)),
                ("reattach", None) => Ok(Action::Key(Intent::Reattach)),
                ("cleanup" | "clean-up", None) => Ok(Action::Key(Intent::CleanUp)),
                ("wait", Some(word)) => Tag::parse(word).map(Action::Wait).ok_or_else(|| {
                    format!("story step '{shown}': no such event (hint: one of {})", Tag::words())
                }),
                ("sleep", Some(secs)) => match secs.parse::<u64>() {
                    Ok(s) if s <= MAX_SLEEP => Ok(Action::Sleep(Duration::from_secs(s))),
                    _ => Err(format!("story step '{shown}': sleep takes whole seconds up to {MAX_SLEEP} (hint: sleep 30)")),
                },
                _ => Err(format!(
                    "unknown story step '{shown}' (hint: deploy, promote, reattach, cleanup, wait <event>, sleep <seconds>)"
                )),
            }
        })
        .collect()
}

/// Refuses a story whose waits this scenario can never satisfy (a `wait
/// Ready` where green is rerouted automatically, a failure where nothing
/// fails), before anything starts.
pub fn check(actions: &[Action], scenario: &Scenario) -> Result<(), String> {
    let g = &scenario.group;
    let hook_fault = scenario.faults.iter().any(|f| matches!(f, Fault::HookFails { .. }));
    let fails = hook_fault || scenario.faults.iter().any(|f| matches!(f, Fault::GreenLaunchDenied));
    for (n, action) in actions.iter().enumerate() {
        let Action::Wait(tag) = action else { continue };
        let before = &actions[..n];
        let pressed = |intent: Intent| before.contains(&Action::Key(intent));
        let other = "leave that wait out, or pick a scenario where it happens ('bluegreen scenarios' lists them)";
        let (why, hint) = match tag {
            Tag::Status(DeploymentStatus::Ready) if g.reroute == Reroute::Automatic => {
                ("it reroutes automatically, so no deployment waits in Ready", other)
            }
            Tag::TerminationWait | Tag::Terminating | Tag::Terminated if g.originals == Originals::Keep => {
                ("it keeps the original instances, so none is terminated", other)
            }
            Tag::HookFailed if !hook_fault => ("no lifecycle hook fails in it", other),
            Tag::Status(DeploymentStatus::Failed) if !fails => ("no deployment fails in it", other),
            Tag::RollbackCreated if !(pressed(Intent::Reattach) || hook_fault && g.auto_rollback) => (
                "nothing rolls back in it before this step",
                "'reattach' while a deployment runs stops it with a rollback",
            ),
            Tag::Continued if !pressed(Intent::Promote) => {
                ("only a promote continues a deployment", "put 'promote' before it")
            }
            _ => continue,
        };
        return Err(format!(
            "story step 'wait {tag}' cannot happen in scenario {}: {why} (hint: {hint})",
            scenario.name
        ));
    }
    Ok(())
}

/// What the story wants now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// Press this key and run its plan to the end, then call [`Story::done`].
    Key(Intent),
    /// Nothing yet: feed more events.
    Wait,
    /// Every action is done.
    Finished,
}

/// A story being played.
#[derive(Debug, Clone)]
pub struct Story {
    actions: Vec<Action>,
    index: usize,
    /// World time a sleep started (world milliseconds).
    sleep_since: Option<u64>,
    busy: bool,
}

impl Story {
    pub fn new(actions: Vec<Action>) -> Self {
        Self { actions, index: 0, sleep_since: None, busy: false }
    }

    /// The action under way, for messages.
    pub fn current(&self) -> Option<&Action> {
        self.actions.get(self.index)
    }

    /// Feeds the world events since the last call and the world's time; says what to do.
    pub fn next(&mut self, events: &[Event], now_ms: u64) -> Want {
        loop {
            if self.busy {
                return Want::Wait;
            }
            let Some(action) = self.actions.get(self.index).cloned() else {
                return Want::Finished;
            };
            match action {
                Action::Key(intent) => {
                    self.busy = true;
                    return Want::Key(intent);
                }
                Action::Wait(tag) => {
                    if !events.iter().any(|e| e.tag == tag) {
                        return Want::Wait;
                    }
                    self.index += 1;
                    return self.next(&[], now_ms);
                }
                Action::Sleep(d) => {
                    let since = *self.sleep_since.get_or_insert(now_ms);
                    if now_ms.saturating_sub(since) < d.as_millis() as u64 {
                        return Want::Wait;
                    }
                    self.sleep_since = None;
                    self.index += 1;
                }
            }
        }
    }

    /// The key's plan has run to its end.
    pub fn done(&mut self) {
        self.busy = false;
        self.index += 1;
    }
}

/// Plays a story against `world` with a clock this function owns, moving
/// the world one second at a time; gives every world event that happened.
/// Fails when a key is refused, a plan fails, or a wait exceeds `limit`.
pub fn play(world: &mut World, actions: Vec<Action>, limit: Duration) -> Result<Vec<Event>, String> {
    play_with(world, actions, limit, |_| {})
}

/// [`play`], calling `each_second` with the world after every second of world time.
pub fn play_with(
    world: &mut World,
    actions: Vec<Action>,
    limit: Duration,
    mut each_second: impl FnMut(&World),
) -> Result<Vec<Event>, String> {
    let mut story = Story::new(actions);
    let mut log = world.take_events();
    let start = world.now();
    let mut fresh = log.clone();
    loop {
        if world.now().since(start) > limit {
            return Err(format!(
                "story step {:?} did not finish within {}s of world time",
                story.current(),
                limit.as_secs()
            ));
        }
        match story.next(&fresh, world.now().0) {
            Want::Finished => return Ok(log),
            Want::Wait => {}
            Want::Key(intent) => {
                let events = run_key_with(world, intent, limit, &mut each_second)?;
                log.extend(events.iter().cloned());
                story.done();
                fresh = events;
                continue;
            }
        }
        world.advance(world.now() + Duration::from_secs(1));
        each_second(world);
        fresh = world.take_events();
        log.extend(fresh.iter().cloned());
    }
}

/// Plans `intent` on a fresh observation, confirms it (typing the target
/// where asked) and runs it to the end; gives the events that happened.
pub fn run_key(world: &mut World, intent: Intent, limit: Duration) -> Result<Vec<Event>, String> {
    run_key_with(world, intent, limit, &mut |_| {})
}

fn run_key_with(
    world: &mut World,
    intent: Intent,
    limit: Duration,
    each_second: &mut impl FnMut(&World),
) -> Result<Vec<Event>, String> {
    let obs = world.observe();
    let plan = plan::plan(&obs, intent, 0).map_err(|r| format!("{} refused: {r}", intent.verb()))?;
    let mut run = PlanRun::start(plan, &obs)?;
    let start = world.now();
    let mut events = Vec::new();
    loop {
        let obs = world.observe();
        match run.next(&obs) {
            Next::Call(call) => {
                let result = world.apply(&call);
                run.call_done(result, Some(&world.observe()));
            }
            Next::Pending => {
                if world.now().since(start) > limit {
                    return Err(format!("{} did not finish within {}s", intent.verb(), limit.as_secs()));
                }
                world.advance(world.now() + Duration::from_secs(1));
                each_second(world);
            }
            Next::Done => break,
            Next::Failed(why) => return Err(why),
        }
        events.extend(world.take_events());
    }
    events.extend(world.take_events());
    Ok(events)
}
