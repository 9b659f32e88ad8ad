//! Plans: what a key will do, computed from the last observation before
//! anything is done. A plan is data (preconditions and steps); a refusal is
//! one sentence that says why the key does nothing now.

use std::fmt;
use std::time::Duration;

use super::{Call, WaitType};
use crate::domain::{Deployment, Environment, Lifecycle, LoadBalancerKind, Observation, Stage, TerminationAction};

/// The four things a release manager can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intent {
    Deploy,
    Promote,
    Reattach,
    CleanUp,
}

impl Intent {
    pub const ALL: [Intent; 4] = [Intent::Deploy, Intent::Promote, Intent::Reattach, Intent::CleanUp];

    pub fn verb(self) -> &'static str {
        match self {
            Self::Deploy => "deploy",
            Self::Promote => "promote",
            Self::Reattach => "reattach blue",
            Self::CleanUp => "clean up",
        }
    }
}

/// What must still hold when the plan is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    NoActiveDeployment,
    /// The deployment is active and at this stage.
    DeploymentAt {
        deployment_id: String,
        stage: Stage,
    },
    /// The deployment is still active (any stage).
    DeploymentActive {
        deployment_id: String,
    },
    /// The group exists, serves no traffic and belongs to no active deployment.
    GroupIdle {
        asg: String,
    },
    /// The group's instances are all InService and it serves no traffic.
    GroupKept {
        asg: String,
    },
}

/// A condition a plan waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFor {
    /// Every InService instance of the group is a healthy target.
    TargetsHealthy { asg: String },
    /// No instance of the group is registered any more.
    TargetsDrained { asg: String },
}

/// One step: a call, or a wait with a timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Call(Call),
    Wait { until: WaitFor, timeout: Duration },
}

/// How the user confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// `y` or Enter.
    Key,
    /// The named target typed back.
    Typed(String),
}

/// What a key will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub intent: Intent,
    pub title: String,
    pub preconditions: Vec<Precondition>,
    pub steps: Vec<Step>,
    pub confirm: Confirm,
    /// Alternatives the user can pick from (revisions, idle groups), if any.
    pub choices: Vec<String>,
    pub picked: usize,
    /// What the user should know before confirming (a trap the plan walks
    /// into); shown with the plan, never checked.
    pub warnings: Vec<String>,
}

/// Why a key does nothing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse<T>(why: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(why.into()))
}

const HEALTHY_TIMEOUT: Duration = Duration::from_secs(300);
/// The longest deregistration delay AWS allows (3600 s) plus a margin.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(3900);

/// The plan for `intent` in the observed situation; `pick` selects among the
/// plan's choices (clamped).
pub fn plan(obs: &Observation, intent: Intent, pick: usize) -> Result<Plan, Refusal> {
    match intent {
        Intent::Deploy => deploy(obs, pick),
        Intent::Promote => promote(obs),
        Intent::Reattach => reattach(obs),
        Intent::CleanUp => clean_up(obs, pick),
    }
}

fn deploy(obs: &Observation, pick: usize) -> Result<Plan, Refusal> {
    if let Some(d) = &obs.active {
        return refuse(format!("a deployment is already running ({} {})", d.id, d.status));
    }
    if obs.revisions.is_empty() {
        return refuse("no registered revision: push one with 'bluegreen push DIR --bucket BUCKET' first");
    }
    let picked = pick.min(obs.revisions.len() - 1);
    let rev = &obs.revisions[picked];
    let choices = obs.revisions.iter().map(|r| r.choice(obs.at)).collect();
    Ok(Plan {
        intent: Intent::Deploy,
        title: format!("Deploy {} to {}", rev.label, obs.group.name),
        preconditions: vec![Precondition::NoActiveDeployment],
        steps: vec![Step::Call(Call::CreateDeployment {
            application: obs.group.application.clone(),
            group: obs.group.name.clone(),
            bucket: rev.bucket.clone(),
            key: rev.key.clone(),
            bundle: rev.bundle.clone(),
            version: rev.version.clone(),
            etag: rev.etag.clone(),
        })],
        confirm: Confirm::Key,
        choices,
        picked,
        warnings: crate::domain::why::bundle_warning(rev).into_iter().collect(),
    })
}

fn promote(obs: &Observation) -> Result<Plan, Refusal> {
    let Some(d) = &obs.active else {
        return refuse("nothing waits for a promote");
    };
    let (wait, title, confirm) = match d.stage() {
        Stage::Ready => (WaitType::ReadyWait, format!("Reroute traffic to green now ({})", d.id), Confirm::Key),
        Stage::TerminationWait => {
            let blue = d.original_asg.clone().unwrap_or_default();
            (
                WaitType::TerminationWait,
                format!("Terminate the original instances of {blue} now ({})", d.id),
                Confirm::Typed(blue),
            )
        }
        Stage::Installing => return refuse("green is still installing"),
        Stage::TrafficMoving => return refuse("traffic is already moving"),
        Stage::Done => return refuse("nothing waits for a promote"),
    };
    Ok(Plan {
        intent: Intent::Promote,
        title,
        preconditions: vec![Precondition::DeploymentAt { deployment_id: d.id.clone(), stage: d.stage() }],
        steps: vec![Step::Call(Call::ContinueDeployment { deployment_id: d.id.clone(), wait })],
        confirm,
        choices: Vec::new(),
        picked: 0,
        warnings: crate::domain::why::green_guards(obs),
    })
}

fn reattach(obs: &Observation) -> Result<Plan, Refusal> {
    if let Some(d) = &obs.active {
        return Ok(stop_with_rollback(d));
    }
    let sides = obs.sides();
    let Some((blue_name, blue)) = sides.blue else {
        return refuse("no kept originals to reattach");
    };
    let latest = obs.latest();
    let terminated = latest.is_some_and(|d| {
        d.status == crate::domain::DeploymentStatus::Succeeded && obs.group.termination == TerminationAction::Terminate
    });
    let Some(blue) = blue.filter(|e| !e.instances.is_empty()) else {
        return if terminated {
            refuse("the originals were terminated: deploy the previous revision with d")
        } else {
            refuse("no kept originals to reattach")
        };
    };
    if blue.serving() {
        return refuse("blue is already serving");
    }
    if !blue.all_in_service() {
        return refuse(format!("no kept originals to reattach: {blue_name} has instances that are not InService"));
    }
    let green = sides.green.and_then(|(_, e)| e);
    Ok(manual_reattach(obs, blue, green))
}

fn stop_with_rollback(d: &Deployment) -> Plan {
    let title = match d.stage() {
        Stage::Installing | Stage::Ready => format!("Abort {}: blue never stopped serving", d.id),
        Stage::TrafficMoving => format!("Stop {}: CodeDeploy reroutes to the originals", d.id),
        Stage::TerminationWait | Stage::Done => {
            format!("Roll back {}: reroute to the originals before they are terminated", d.id)
        }
    };
    Plan {
        intent: Intent::Reattach,
        title,
        preconditions: vec![Precondition::DeploymentActive { deployment_id: d.id.clone() }],
        steps: vec![Step::Call(Call::StopDeployment { deployment_id: d.id.clone(), auto_rollback: true })],
        confirm: Confirm::Key,
        choices: Vec::new(),
        picked: 0,
        warnings: Vec::new(),
    }
}

fn manual_reattach(obs: &Observation, blue: &Environment, green: Option<&Environment>) -> Plan {
    let lb = &obs.load_balancer;
    let classic = lb.kind == LoadBalancerKind::Classic;
    let attach = |asg: &str| match (classic, &lb.target_group_arn) {
        (false, Some(arn)) => Call::AttachTargetGroups { asg: asg.to_string(), target_group_arns: vec![arn.clone()] },
        _ => Call::AttachClassicLoadBalancers { asg: asg.to_string(), names: vec![lb.name.clone()] },
    };
    let detach = |asg: &str| match (classic, &lb.target_group_arn) {
        (false, Some(arn)) => Call::DetachTargetGroups { asg: asg.to_string(), target_group_arns: vec![arn.clone()] },
        _ => Call::DetachClassicLoadBalancers { asg: asg.to_string(), names: vec![lb.name.clone()] },
    };
    let mut steps = vec![
        Step::Call(attach(&blue.asg)),
        Step::Wait { until: WaitFor::TargetsHealthy { asg: blue.asg.clone() }, timeout: HEALTHY_TIMEOUT },
    ];
    if let Some(green) = green.filter(|g| g.attached_to(lb)) {
        steps.push(Step::Call(detach(&green.asg)));
        steps.push(Step::Wait { until: WaitFor::TargetsDrained { asg: green.asg.clone() }, timeout: DRAIN_TIMEOUT });
    }
    if obs.group.autoscaling_groups != [blue.asg.clone()] {
        steps.push(Step::Call(Call::UpdateDeploymentGroup {
            application: obs.group.application.clone(),
            group: obs.group.name.clone(),
            autoscaling_groups: vec![blue.asg.clone()],
        }));
    }
    Plan {
        intent: Intent::Reattach,
        title: format!("Reattach blue: send traffic back to {}", blue.asg),
        preconditions: vec![Precondition::NoActiveDeployment, Precondition::GroupKept { asg: blue.asg.clone() }],
        steps,
        confirm: Confirm::Key,
        choices: Vec::new(),
        picked: 0,
        warnings: Vec::new(),
    }
}

fn clean_up(obs: &Observation, pick: usize) -> Result<Plan, Refusal> {
    let idle = obs.idle_groups();
    if idle.is_empty() {
        return match &obs.active {
            Some(d) => refuse(format!("nothing to clean up: the other groups serve traffic or belong to {}", d.id)),
            None => refuse("nothing to clean up: every group serves traffic or is the deployment group's own"),
        };
    }
    let picked = pick.min(idle.len() - 1);
    let group = idle[picked];
    Ok(Plan {
        intent: Intent::CleanUp,
        title: format!(
            "Delete the idle Auto Scaling group {} and its {} instance(s)",
            group.asg,
            group.instances.len()
        ),
        preconditions: vec![Precondition::GroupIdle { asg: group.asg.clone() }],
        steps: vec![Step::Call(Call::DeleteAutoScalingGroup { asg: group.asg.clone(), force: true })],
        confirm: Confirm::Typed(group.asg.clone()),
        choices: idle.iter().map(|e| e.asg.clone()).collect(),
        picked,
        warnings: Vec::new(),
    })
}

impl Precondition {
    /// `Ok` when it still holds in `obs`, else why not.
    pub fn check(&self, obs: &Observation) -> Result<(), String> {
        match self {
            Self::NoActiveDeployment => match &obs.active {
                None => Ok(()),
                Some(d) => Err(format!("deployment {} is now {}", d.id, d.status)),
            },
            Self::DeploymentAt { deployment_id, stage } => match &obs.active {
                Some(d) if d.id == *deployment_id && d.stage() == *stage => Ok(()),
                _ => Err(format!("deployment {deployment_id} is no longer {}", stage_name(*stage))),
            },
            Self::DeploymentActive { deployment_id } => match &obs.active {
                Some(d) if d.id == *deployment_id => Ok(()),
                _ => Err(format!("deployment {deployment_id} has ended")),
            },
            Self::GroupIdle { asg } => {
                if obs.idle_groups().iter().any(|e| e.asg == *asg) {
                    Ok(())
                } else if obs.environment(asg).is_none() {
                    Err(format!("{asg} no longer exists"))
                } else {
                    Err(format!("{asg} now serves traffic or is in use"))
                }
            }
            Self::GroupKept { asg } => match obs.environment(asg) {
                Some(e) if e.all_in_service() && !e.serving() => Ok(()),
                Some(e) if e.serving() => Err(format!("{asg} already serves traffic")),
                Some(_) => Err(format!("{asg} has instances that are not InService")),
                None => Err(format!("{asg} no longer exists")),
            },
        }
    }
}

impl fmt::Display for Precondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoActiveDeployment => write!(f, "no deployment is active"),
            Self::DeploymentAt { deployment_id, stage } => {
                write!(f, "deployment {deployment_id} is {}", stage_name(*stage))
            }
            Self::DeploymentActive { deployment_id } => {
                write!(f, "deployment {deployment_id} is still active")
            }
            Self::GroupIdle { asg } => write!(f, "{asg} serves no traffic and no active deployment uses it"),
            Self::GroupKept { asg } => {
                write!(f, "{asg}'s instances are InService and serve no traffic")
            }
        }
    }
}

impl WaitFor {
    /// Whether the condition holds in `obs`.
    pub fn holds(&self, obs: &Observation) -> bool {
        match self {
            Self::TargetsHealthy { asg } => obs.environment(asg).is_some_and(|e| {
                let live: Vec<_> = e.instances.iter().filter(|i| i.lifecycle == Lifecycle::InService).collect();
                !live.is_empty() && live.iter().all(|i| i.serving())
            }),
            Self::TargetsDrained { asg } => obs.environment(asg).is_none_or(|e| e.registered().next().is_none()),
        }
    }
}

impl fmt::Display for WaitFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TargetsHealthy { asg } => write!(f, "targets of {asg} healthy"),
            Self::TargetsDrained { asg } => write!(f, "targets of {asg} drained"),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Call(call) => {
                write!(f, "{} {}", call.service(), call.operation())?;
                for (name, value) in call.params() {
                    write!(f, " {name}={value}")?;
                }
                Ok(())
            }
            Self::Wait { until, timeout } => {
                write!(f, "wait until {until}, at most {}", crate::domain::short(*timeout))
            }
        }
    }
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Installing => "installing green",
        Stage::Ready => "Ready (waiting for a reroute)",
        Stage::TrafficMoving => "moving traffic",
        Stage::TerminationWait => "waiting to terminate the originals",
        Stage::Done => "ended",
    }
}

/// What an observation says about what `call` would have changed: after an
/// answer was lost, this tells the user whether it happened.
pub fn aftermath(call: &Call, obs: &Observation) -> String {
    let deployment = |id: &str| obs.active.iter().chain(obs.last.iter()).find(|d| d.id == id);
    let attached = |asg: &str| obs.environment(asg).map(|e| e.attached_to(&obs.load_balancer));
    match call {
        Call::CreateDeployment { .. } => match &obs.active {
            Some(d) => format!("deployment {} is active ({})", d.id, d.status),
            None => "no deployment is active".into(),
        },
        Call::ContinueDeployment { deployment_id, .. } | Call::StopDeployment { deployment_id, .. } => {
            match deployment(deployment_id) {
                Some(d) => format!("deployment {deployment_id} is {}", d.status),
                None => format!("deployment {deployment_id} is not in sight"),
            }
        }
        Call::AttachTargetGroups { asg, .. }
        | Call::AttachClassicLoadBalancers { asg, .. }
        | Call::DetachTargetGroups { asg, .. }
        | Call::DetachClassicLoadBalancers { asg, .. } => match attached(asg) {
            Some(true) => format!("{asg} is attached to the load balancer"),
            Some(false) => format!("{asg} is not attached to the load balancer"),
            None => format!("{asg} does not exist"),
        },
        Call::RegisterTargets { instance_ids, .. } | Call::DeregisterTargets { instance_ids, .. } => {
            let registered = obs
                .environments
                .iter()
                .flat_map(Environment::registered)
                .filter(|i| instance_ids.contains(&i.id))
                .count();
            format!("{registered} of the {} instances are registered", instance_ids.len())
        }
        Call::UpdateDeploymentGroup { .. } => {
            format!("the deployment group uses {}", obs.group.autoscaling_groups.join(", "))
        }
        Call::DeleteAutoScalingGroup { asg, .. } => {
            if obs.environment(asg).is_some() {
                format!("{asg} still exists")
            } else {
                format!("{asg} is gone")
            }
        }
    }
}
