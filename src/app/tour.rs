//! The guided walk-through: the tutorial's five steps as a checklist that
//! ticks itself from what is observed and what the prober measures, never
//! from a key having been pressed. Steps tick in order; the newest ticked
//! step keeps being checked, and when it stops holding (a rollback sends
//! traffic back) it unticks and says why.

use std::collections::BTreeSet;

use crate::domain::{DeploymentStatus, Lifecycle, Observation, TerminationAction};
use crate::probe::{Outcome, Traffic};

/// The steps, as the blog post names them.
pub const TITLES: [&str; 5] =
    ["The initial environment", "Review it", "Deploy the new version", "Review the updated environment", "Clean up"];

/// What each step is about, and why it matters (two or three lines).
pub const ABOUT: [&str; 5] = [
    "A CodeDeploy deployment group points at one Auto Scaling group: BLUE. Its instances run version 1 behind the load balancer.",
    "The load balancer answers with one version, from each blue instance in turn (refreshing the page in the blog shows it; here the prober counts every answer).",
    "CodeDeploy copies the group as GREEN, installs the new revision there and runs its hooks. Green is tested before it takes any traffic.",
    "Traffic moves to GREEN with no downtime: the verdict says whether any request failed. BLUE is kept (or terminated) as the group says; reattaching it is the rollback.",
    "Instances are immutable: the group that no longer serves is not reused. Deleting it leaves one group, the one that serves.",
];

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

/// The walk-through's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tour {
    pub marks: [Mark; 5],
    /// The version served when step 2 ticked (the one being replaced).
    original: Option<String>,
    /// Instances seen answering.
    answered: BTreeSet<String>,
    /// Steps that have ticked at least once.
    reached: [bool; 5],
}

impl Default for Tour {
    fn default() -> Self {
        let mut marks = std::array::from_fn(|_| Mark::Open);
        marks[0] = Mark::Current("waiting for the first observation".into());
        Self { marks, original: None, answered: BTreeSet::new(), reached: [false; 5] }
    }
}

/// The version the load balancer served alone in the last closed second.
fn served_alone(traffic: &Traffic) -> Option<&str> {
    let s = traffic.seconds.back()?;
    (s.failures == 0 && s.versions.len() == 1).then(|| s.versions.keys().next().map(String::as_str))?
}

impl Tour {
    /// The step being worked on (0-based), or `None` when all are done.
    pub fn current(&self) -> Option<usize> {
        self.marks.iter().position(|m| !matches!(m, Mark::Done))
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
        if let Some(last) = self.marks.iter().rposition(|m| matches!(m, Mark::Done))
            && last >= 3
            && let Err(why) = self.check(last, obs, traffic)
        {
            self.marks[last] = Mark::Undone(why);
            for m in &mut self.marks[last + 1..] {
                *m = Mark::Open;
            }
        }
        // Then as many steps as hold tick, in order.
        while let Some(step) = self.current() {
            match self.check(step, obs, traffic) {
                Ok(()) => {
                    if step == 1 {
                        self.original = served_alone(traffic).map(str::to_string);
                    }
                    self.reached[step] = true;
                    self.marks[step] = Mark::Done;
                }
                Err(why) => {
                    self.marks[step] = if self.reached[step] { Mark::Undone(why) } else { Mark::Current(why) };
                    break;
                }
            }
        }
    }

    /// Whether `step` holds now; else what it waits for.
    fn check(&self, step: usize, obs: &Observation, traffic: &Traffic) -> Result<(), String> {
        let blue_name = obs.group.autoscaling_groups.first().map(String::as_str);
        match step {
            0 => {
                let blue = blue_name
                    .and_then(|n| obs.environment(n))
                    .ok_or("the deployment group has no Auto Scaling group")?;
                let waiting =
                    blue.instances.iter().filter(|i| i.lifecycle != Lifecycle::InService || !i.serving()).count();
                if blue.instances.is_empty() || waiting > 0 {
                    return Err(format!(
                        "{} of {} blue instance(s) InService and healthy behind the load balancer",
                        blue.instances.len() - waiting,
                        blue.instances.len()
                    ));
                }
                Ok(())
            }
            1 => {
                let Some(version) = served_alone(traffic) else {
                    return Err("waiting for a whole second served by one version, without failures".into());
                };
                let serving: Vec<&str> = obs
                    .serving()
                    .iter()
                    .flat_map(|e| e.instances.iter().filter(|i| i.serving()).map(|i| i.id.as_str()))
                    .collect();
                let unheard: Vec<&&str> = serving.iter().filter(|id| !self.answered.contains(**id)).collect();
                if !unheard.is_empty() {
                    return Err(format!(
                        "{version} served; {} of {} instance(s) heard from so far",
                        serving.len() - unheard.len(),
                        serving.len()
                    ));
                }
                Ok(())
            }
            2 => {
                let original = self.original.as_deref().unwrap_or_default();
                let newer = obs.revisions.iter().any(|r| r.label != original);
                if !newer {
                    return Err("no revision other than the one served is registered".into());
                }
                let deployed = obs.latest().filter(|d| !d.is_rollback() && d.revision.as_deref() != Some(original));
                match deployed {
                    None => Err("press d to deploy the newest revision".into()),
                    Some(d) if d.replacement_asg.is_none() => {
                        Err(format!("deployment {} is {}: green is on its way", d.id, d.status))
                    }
                    Some(_) => Ok(()),
                }
            }
            3 => {
                let original = self.original.as_deref().unwrap_or_default();
                match served_alone(traffic) {
                    Some(v) if v != original => {}
                    Some(v) => {
                        return Err(match obs.active.as_ref() {
                            Some(d) if d.status == DeploymentStatus::Ready => {
                                format!("{v} still serves: press p to reroute to green now")
                            }
                            _ if self.reached[3] => {
                                format!("the load balancer serves {v} again: traffic went back to blue")
                            }
                            _ => format!("{v} still serves; green installs, then traffic moves"),
                        });
                    }
                    None => return Err("the load balancer serves a mix, or fails: the cutover is under way".into()),
                }
                // Once seen, the groups may go (that is step 5); only the
                // version served keeps step 4 ticked.
                if self.reached[3]
                    || obs.environments.len() >= 2
                    || obs.group.termination == TerminationAction::Terminate
                {
                    Ok(())
                } else {
                    Err("the new version serves; waiting to see both groups".into())
                }
            }
            _ => {
                if served_alone(traffic).is_some_and(|v| Some(v) == self.original.as_deref()) {
                    return Err("the old version serves again".into());
                }
                match obs.environments.len() {
                    1 => Ok(()),
                    n => Err(format!("{n} groups: press c to delete the one that no longer serves")),
                }
            }
        }
    }
}
