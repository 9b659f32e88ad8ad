//! The guided walk-through: the tutorial's five steps as a checklist that
//! ticks itself from what is observed and what the prober measures, never
//! from a key having been pressed. Steps tick in order; the newest ticked
//! step of the review (4 or 5) keeps being checked, and when it stops
//! holding (a rollback sends traffic back) it unticks and says why.

use std::collections::BTreeSet;

use crate::domain::{DeploymentStatus, Lifecycle, Observation, TerminationAction};
use crate::probe::{Outcome, Traffic};

/// One of the tutorial's steps, as the blog post names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// The deployment group's Auto Scaling group serves behind the load balancer.
    Initial,
    /// One version is served, by every instance in turn.
    Review,
    /// A new revision is deployed: green exists.
    Deploy,
    /// The new version alone is served.
    ReviewUpdated,
    /// One group is left.
    CleanUp,
}

impl Step {
    /// The steps in order.
    pub const ALL: [Self; 5] = [Self::Initial, Self::Review, Self::Deploy, Self::ReviewUpdated, Self::CleanUp];

    /// Its number in the tutorial (1 to 5).
    pub fn number(self) -> usize {
        self as usize + 1
    }

    /// The title the blog post gives it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Initial => "The initial environment",
            Self::Review => "Review it",
            Self::Deploy => "Deploy the new version",
            Self::ReviewUpdated => "Review the updated environment",
            Self::CleanUp => "Clean up",
        }
    }

    /// What the step is about, and why it matters (two or three lines).
    pub fn about(self) -> &'static str {
        match self {
            Self::Initial => {
                "A CodeDeploy deployment group points at one Auto Scaling group: BLUE. Its instances run version 1 behind the load balancer."
            }
            Self::Review => {
                "The load balancer answers with one version, from each blue instance in turn (refreshing the page in the blog shows it; here the prober counts every answer)."
            }
            Self::Deploy => {
                "CodeDeploy copies the group as GREEN, installs the new revision there and runs its hooks. Green is tested before it takes any traffic."
            }
            Self::ReviewUpdated => {
                "Traffic moves to GREEN with no downtime: the verdict says whether any request failed. BLUE is kept (or terminated) as the group says; reattaching it is the rollback."
            }
            Self::CleanUp => {
                "Instances are immutable: the group that no longer serves is not reused. Deleting it leaves one group, the one that serves."
            }
        }
    }

    /// The review steps stay checked once ticked: a rollback can undo them.
    fn is_review(self) -> bool {
        self >= Self::ReviewUpdated
    }
}

/// Where one step stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// Not reached yet.
    Open,
    /// The step being worked on; what it waits for.
    Current(String),
    Done,
    /// It held, then stopped holding: why.
    Undone(String),
}

/// One step's state.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Progress {
    mark: Mark,
    /// It has ticked at least once.
    reached: bool,
}

/// The walk-through's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tour {
    steps: [Progress; 5],
    /// The version served when step 2 ticked (the one being replaced).
    original: Option<String>,
    /// Instances seen answering.
    answered: BTreeSet<String>,
}

impl Default for Tour {
    fn default() -> Self {
        let mut steps = std::array::from_fn(|_| Progress { mark: Mark::Open, reached: false });
        steps[0].mark = Mark::Current("waiting for the first observation".into());
        Self { steps, original: None, answered: BTreeSet::new() }
    }
}

/// The version the load balancer served alone, without a failure, in the
/// last closed second.
fn served_alone(traffic: &Traffic) -> Option<&str> {
    let s = traffic.seconds.back()?;
    (s.failures == 0 && s.versions.len() == 1).then(|| s.versions.keys().next().map(String::as_str))?
}

impl Tour {
    /// Where `step` stands.
    pub fn mark(&self, step: Step) -> &Mark {
        &self.steps[step as usize].mark
    }

    /// Every step with its mark, in order.
    pub fn marks(&self) -> impl Iterator<Item = (Step, &Mark)> {
        Step::ALL.into_iter().map(|s| (s, self.mark(s)))
    }

    /// How many steps are ticked.
    pub fn done(&self) -> usize {
        self.steps.iter().filter(|p| p.mark == Mark::Done).count()
    }

    /// The step being worked on, or `None` when all are done.
    pub fn current(&self) -> Option<Step> {
        Step::ALL.into_iter().find(|s| *self.mark(*s) != Mark::Done)
    }

    /// Notes which instances answered (for step 2's round robin).
    pub fn heard(&mut self, outcome: &Outcome) {
        if let Outcome::Served { instance: Some(id), .. } = outcome
            && self.answered.len() < 1024
        {
            self.answered.insert(id.clone());
        }
    }

    /// Checks the steps against what is seen now.
    pub fn update(&mut self, obs: &Observation, traffic: &Traffic) {
        // The newest ticked step of the review (4 or 5) must still hold.
        if let Some(last) = Step::ALL.into_iter().rev().find(|s| *self.mark(*s) == Mark::Done)
            && last.is_review()
            && let Err(why) = self.check(last, obs, traffic)
        {
            self.steps[last as usize].mark = Mark::Undone(why);
            for later in &mut self.steps[last.number()..] {
                later.mark = Mark::Open;
            }
        }
        // Then as many steps as hold tick, in order.
        while let Some(step) = self.current() {
            let progress = &self.steps[step as usize];
            match self.check(step, obs, traffic) {
                Ok(()) => {
                    if step == Step::Review {
                        self.original = served_alone(traffic).map(str::to_string);
                    }
                    self.steps[step as usize] = Progress { mark: Mark::Done, reached: true };
                }
                Err(why) => {
                    let mark = if progress.reached { Mark::Undone(why) } else { Mark::Current(why) };
                    self.steps[step as usize].mark = mark;
                    break;
                }
            }
        }
    }

    /// Whether `step` holds now; else what it waits for.
    fn check(&self, step: Step, obs: &Observation, traffic: &Traffic) -> Result<(), String> {
        match step {
            Step::Initial => initial(obs),
            Step::Review => self.review(obs, traffic),
            Step::Deploy => self.deploy(obs),
            Step::ReviewUpdated => self.review_updated(obs, traffic),
            Step::CleanUp => self.clean_up(obs, traffic),
        }
    }

    fn review(&self, obs: &Observation, traffic: &Traffic) -> Result<(), String> {
        let Some(version) = served_alone(traffic) else {
            return Err("waiting for a whole second served by one version, without failures".into());
        };
        let serving: Vec<&str> = obs
            .serving()
            .iter()
            .flat_map(|e| e.instances.iter().filter(|i| i.serving()).map(|i| i.id.as_str()))
            .collect();
        let unheard = serving.iter().filter(|id| !self.answered.contains(**id)).count();
        if unheard > 0 {
            return Err(format!(
                "{version} served; {} of {} instance(s) heard from so far",
                serving.len() - unheard,
                serving.len()
            ));
        }
        Ok(())
    }

    fn deploy(&self, obs: &Observation) -> Result<(), String> {
        let original = self.original.as_deref().unwrap_or_default();
        if !obs.revisions.iter().any(|r| r.label != original) {
            return Err("no revision other than the one served is registered".into());
        }
        match obs.latest().filter(|d| !d.is_rollback() && d.revision.as_deref() != Some(original)) {
            None => Err("press d to deploy the newest revision".into()),
            Some(d) if d.replacement_asg.is_none() => {
                Err(format!("deployment {} is {}: green is on its way", d.id, d.status))
            }
            Some(_) => Ok(()),
        }
    }

    fn review_updated(&self, obs: &Observation, traffic: &Traffic) -> Result<(), String> {
        let reached = self.steps[Step::ReviewUpdated as usize].reached;
        let original = self.original.as_deref().unwrap_or_default();
        match served_alone(traffic) {
            Some(v) if v != original => {}
            Some(v) => {
                return Err(match obs.active.as_ref() {
                    Some(d) if d.status == DeploymentStatus::Ready => match crate::domain::why::countdown(d, obs.at) {
                        Some(c) => format!("{v} still serves: press p to reroute to green now ({c})"),
                        None => format!("{v} still serves: press p to reroute to green now"),
                    },
                    None if !reached
                        && obs.last.as_ref().is_some_and(|d| {
                            matches!(d.status, DeploymentStatus::Failed | DeploymentStatus::Stopped)
                        }) =>
                    {
                        let d = obs.last.as_ref().expect("just matched");
                        let code = d.error.as_ref().map(|e| format!(" ({})", e.code)).unwrap_or_default();
                        format!(
                            "{v} still serves: deployment {} ended {}{code}; press d to deploy again",
                            d.id, d.status
                        )
                    }
                    _ if reached => format!("the load balancer serves {v} again: traffic went back to blue"),
                    _ => format!("{v} still serves; green installs, then traffic moves"),
                });
            }
            None => return Err("the load balancer serves a mix, or fails: the cutover is under way".into()),
        }
        // Once seen, the groups may go (that is step 5); only the version
        // served keeps step 4 ticked.
        if reached || obs.environments.len() >= 2 || obs.group.termination == TerminationAction::Terminate {
            Ok(())
        } else {
            Err("the new version serves; waiting to see both groups".into())
        }
    }

    fn clean_up(&self, obs: &Observation, traffic: &Traffic) -> Result<(), String> {
        if served_alone(traffic).is_some_and(|v| Some(v) == self.original.as_deref()) {
            return Err("the old version serves again".into());
        }
        if let Some(c) = obs.active.as_ref().and_then(|d| crate::domain::why::countdown(d, obs.at)) {
            return Err(c);
        }
        match obs.environments.len() {
            1 => Ok(()),
            n => Err(format!("{n} groups: press c to delete the one that no longer serves")),
        }
    }
}

/// Step 1: the deployment group's Auto Scaling group has all its instances
/// in service and healthy behind the load balancer.
fn initial(obs: &Observation) -> Result<(), String> {
    let blue = obs
        .group
        .autoscaling_groups
        .first()
        .and_then(|n| obs.environment(n))
        .ok_or("the deployment group has no Auto Scaling group")?;
    let waiting = blue.instances.iter().filter(|i| i.lifecycle != Lifecycle::InService || !i.serving()).count();
    if blue.instances.is_empty() || waiting > 0 {
        return Err(format!(
            "{} of {} blue instance(s) InService and healthy behind the load balancer",
            blue.instances.len() - waiting,
            blue.instances.len()
        ));
    }
    Ok(())
}
