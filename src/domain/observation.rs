//! One observation: everything read about one deployment group at one time.
//! It is the whole payload of `Msg::Observed`, and plans are pure functions
//! of it.

use super::wire::wire_enum;
use super::{At, Deployment, Environment, LoadBalancer};

wire_enum!(
    /// `deploymentReadyOption.actionOnTimeout`.
    ReadyAction {
        /// Reroute as soon as the replacement is installed.
        ContinueDeployment = "CONTINUE_DEPLOYMENT",
        /// Wait for `ContinueDeployment(READY_WAIT)` (a manual reroute).
        StopDeployment = "STOP_DEPLOYMENT",
    }
);

wire_enum!(
    /// `terminateBlueInstancesOnDeploymentSuccess.action`.
    TerminationAction {
        Terminate = "TERMINATE",
        KeepAlive = "KEEP_ALIVE",
    }
);

wire_enum!(
    /// `greenFleetProvisioningOption.action`.
    GreenProvisioning {
        CopyAutoScalingGroup = "COPY_AUTO_SCALING_GROUP",
        DiscoverExisting = "DISCOVER_EXISTING",
    }
);

/// `autoRollbackConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
pub struct AutoRollback {
    pub enabled: bool,
    /// `DEPLOYMENT_FAILURE`, `DEPLOYMENT_STOP_ON_ALARM`, `DEPLOYMENT_STOP_ON_REQUEST`.
    pub events: Vec<String>,
}

/// The deployment group and the blue/green settings that shape every deployment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeploymentGroup {
    pub application: String,
    pub name: String,
    /// The Auto Scaling group(s) the next deployment copies.
    pub autoscaling_groups: Vec<String>,
    pub ready_action: ReadyAction,
    /// With STOP_DEPLOYMENT: how long Ready waits before the deployment stops.
    pub ready_wait_minutes: u32,
    pub termination: TerminationAction,
    pub termination_wait_minutes: u32,
    pub green_provisioning: GreenProvisioning,
    pub auto_rollback: AutoRollback,
    pub deployment_config: String,
}

/// What S3 holds at a revision's location now, against what was registered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
pub enum Stored {
    /// Not looked at (or it could not be told).
    #[default]
    Unchecked,
    /// The object (or the registered version) is there as registered.
    Same,
    /// Another object is there now: its ETag is not the registered one.
    Overwritten { etag: String },
    /// Nothing is there.
    Missing,
}

/// A revision registered with the application.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Revision {
    /// A short name for the screen (`v2`).
    pub label: String,
    pub bucket: String,
    pub key: String,
    /// `zip`, `tar`, `tgz`, `YAML`, `JSON`.
    pub bundle: String,
    /// The S3 object version, when the bucket keeps versions.
    pub version: Option<String>,
    /// The object's ETag, when CodeDeploy recorded one.
    pub etag: Option<String>,
    pub registered_at: Option<At>,
    pub description: Option<String>,
    /// What S3 holds at its location now.
    pub stored: Stored,
}

impl Revision {
    /// `s3://bucket/key`.
    pub fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// A line for the deploy plan's picker: the label, how long ago it was
    /// registered and what its description says, then where it is.
    pub fn choice(&self, now: At) -> String {
        let mut parts = vec![self.label.clone()];
        if let Some(at) = self.registered_at {
            parts.push(format!("registered {} ago", super::short(now.since(at))));
        }
        if let Some(d) = &self.description {
            parts.push(d.clone());
        }
        match self.stored {
            Stored::Overwritten { .. } => parts.push("⚠ overwritten since".into()),
            Stored::Missing => parts.push("⚠ gone from S3".into()),
            Stored::Unchecked | Stored::Same => {}
        }
        parts.push(self.location());
        parts.join(" · ")
    }
}

/// Everything read about the deployment group at one time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Observation {
    pub at: At,
    pub region: String,
    pub group: DeploymentGroup,
    /// Every Auto Scaling group of this deployment group: its own, the
    /// originals and replacements of recent deployments, older copies.
    pub environments: Vec<Environment>,
    /// The deployment in progress, if any.
    pub active: Option<Deployment>,
    /// The most recent deployment that has ended, if any.
    pub last: Option<Deployment>,
    /// When the latest deployment is a rollback: the deployment it rolls
    /// back, with its error and the diagnostics of its failed hooks.
    pub rolled_back: Option<Deployment>,
    /// Registered revisions, newest first.
    pub revisions: Vec<Revision>,
    pub load_balancer: LoadBalancer,
}

/// Which group is BLUE, which is GREEN, and which are leftovers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sides<'a> {
    /// The original environment's ASG name, and the group if it still exists.
    pub blue: Option<(&'a str, Option<&'a Environment>)>,
    pub green: Option<(&'a str, Option<&'a Environment>)>,
    pub leftovers: Vec<&'a Environment>,
}

impl Observation {
    /// The deployment the panels follow: the active one, else the last.
    pub fn latest(&self) -> Option<&Deployment> {
        self.active.as_ref().or(self.last.as_ref())
    }

    pub fn environment(&self, asg: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.asg == asg)
    }

    /// BLUE is the latest deployment's original, GREEN its replacement;
    /// before any deployment the deployment group's own group is BLUE.
    pub fn sides(&self) -> Sides<'_> {
        let (blue, green) = match self.latest() {
            Some(d) => (d.original_asg.as_deref(), d.replacement_asg.as_deref()),
            None => (self.group.autoscaling_groups.first().map(String::as_str), None),
        };
        let blue = blue.map(|n| (n, self.environment(n)));
        let green = green.map(|n| (n, self.environment(n)));
        let named = |e: &Environment| blue.is_some_and(|(n, _)| n == e.asg) || green.is_some_and(|(n, _)| n == e.asg);
        let leftovers = self.environments.iter().filter(|e| !named(e)).collect();
        Sides { blue, green, leftovers }
    }

    /// The ASG currently receiving traffic, if exactly one group does.
    pub fn serving(&self) -> Vec<&Environment> {
        self.environments.iter().filter(|e| e.serving()).collect()
    }

    /// Nothing is moving: no deployment is active, every instance is
    /// InService, and every registered target is healthy. A settled world
    /// stays as it is until someone acts.
    pub fn settled(&self) -> bool {
        use super::{Lifecycle, TargetState};
        self.active.is_none()
            && self.environments.iter().flat_map(|e| &e.instances).all(|i| {
                i.lifecycle == Lifecycle::InService
                    && i.target.as_ref().is_none_or(|t| matches!(t.state, TargetState::Healthy | TargetState::Unused))
            })
    }

    /// Groups that neither serve, nor have targets registered (draining
    /// ones included), nor belong to the active deployment, nor are the
    /// deployment group's own: what clean up may offer.
    pub fn idle_groups(&self) -> Vec<&Environment> {
        let in_active = |asg: &str| {
            self.active
                .as_ref()
                .is_some_and(|d| d.original_asg.as_deref() == Some(asg) || d.replacement_asg.as_deref() == Some(asg))
        };
        self.environments
            .iter()
            .filter(|e| {
                !e.serving()
                    && e.registered().next().is_none()
                    && !e.attached_to(&self.load_balancer)
                    && !in_active(&e.asg)
                    && !self.group.autoscaling_groups.contains(&e.asg)
            })
            .collect()
    }
}
