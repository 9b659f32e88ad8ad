//! An environment is one Auto Scaling group with its instances, as seen from
//! Auto Scaling, EC2 and the load balancer together.

use super::At;
use super::wire::wire_enum;

wire_enum!(
    /// An instance's lifecycle state in its Auto Scaling group.
    Lifecycle {
        Pending = "Pending",
        PendingWait = "Pending:Wait",
        PendingProceed = "Pending:Proceed",
        InService = "InService",
        Terminating = "Terminating",
        TerminatingWait = "Terminating:Wait",
        TerminatingProceed = "Terminating:Proceed",
        Terminated = "Terminated",
        Detaching = "Detaching",
        Detached = "Detached",
        EnteringStandby = "EnteringStandby",
        Standby = "Standby",
    }
);

wire_enum!(
    /// Auto Scaling's health status of an instance.
    Health {
        Healthy = "Healthy",
        Unhealthy = "Unhealthy",
    }
);

wire_enum!(
    /// A target's state at the load balancer (ELBv2 words; a classic load
    /// balancer's InService/OutOfService map to healthy/unhealthy).
    TargetState {
        Initial = "initial",
        Healthy = "healthy",
        Unhealthy = "unhealthy",
        UnhealthyDraining = "unhealthy.draining",
        Unused = "unused",
        Draining = "draining",
        Unavailable = "unavailable",
    }
);

wire_enum!(
    /// Which kind of load balancer fronts the deployment group.
    LoadBalancerKind {
        /// An Application Load Balancer with a target group.
        Application = "application",
        /// A Classic Load Balancer, as in the tutorial's template.
        Classic = "classic",
    }
);

/// How the load balancer sees one instance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TargetHealth {
    pub state: TargetState,
    /// `Elb.InitialHealthChecking`, `Target.DeregistrationInProgress`, …
    pub reason: Option<String>,
}

impl TargetHealth {
    /// Registered and passing health checks: requests go to it.
    pub fn receives_traffic(&self) -> bool {
        self.state == TargetState::Healthy
    }
}

/// One EC2 instance of an Auto Scaling group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Instance {
    pub id: String,
    pub private_ip: Option<String>,
    pub zone: Option<String>,
    pub lifecycle: Lifecycle,
    pub health: Health,
    /// `None` when the instance is not registered with the load balancer.
    pub target: Option<TargetHealth>,
    /// The application version it serves (`v2`), when known.
    pub version: Option<String>,
}

impl Instance {
    pub fn serving(&self) -> bool {
        self.target.as_ref().is_some_and(TargetHealth::receives_traffic)
    }
}

/// One Auto Scaling group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Environment {
    pub asg: String,
    pub min: u32,
    pub desired: u32,
    pub max: u32,
    /// ARNs of attached target groups.
    pub target_groups: Vec<String>,
    /// Names of attached classic load balancers.
    pub classic_load_balancers: Vec<String>,
    pub instances: Vec<Instance>,
    pub created_at: Option<At>,
    /// The tool that made the group and still names it, from its tags:
    /// `CloudFormation stack bluegreen` (aws:cloudformation:stack-name),
    /// `Terraform`. CodeDeploy's copies carry no such tag.
    pub owner: Option<String>,
}

/// Who manages a group, from its tags (key, value).
pub fn owner<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let tags: Vec<(&str, &str)> = tags.into_iter().collect();
    if let Some((_, stack)) = tags.iter().find(|(k, _)| *k == "aws:cloudformation:stack-name") {
        return Some(format!("CloudFormation stack {stack}"));
    }
    let terraform = tags.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("terraform")
            || (["managedby", "managed-by", "managed_by"].contains(&k.to_ascii_lowercase().as_str())
                && v.to_ascii_lowercase().contains("terraform"))
    });
    terraform.then(|| "Terraform".to_string())
}

impl Environment {
    /// At least one of its instances is a healthy registered target.
    pub fn serving(&self) -> bool {
        self.instances.iter().any(Instance::serving)
    }

    /// The ASG lists the deployment group's target group or classic load balancer.
    pub fn attached_to(&self, lb: &LoadBalancer) -> bool {
        match lb.kind {
            LoadBalancerKind::Classic => self.classic_load_balancers.contains(&lb.name),
            _ => lb.target_group_arn.as_ref().is_some_and(|arn| self.target_groups.contains(arn)),
        }
    }

    /// Every instance is InService (and there is at least one).
    pub fn all_in_service(&self) -> bool {
        !self.instances.is_empty() && self.instances.iter().all(|i| i.lifecycle == Lifecycle::InService)
    }

    /// Instances that are registered with the load balancer in any state but unused.
    pub fn registered(&self) -> impl Iterator<Item = &Instance> {
        self.instances.iter().filter(|i| i.target.as_ref().is_some_and(|t| t.state != TargetState::Unused))
    }

    /// `2/2/2`: min/desired/max.
    pub fn capacity(&self) -> String {
        format!("{}/{}/{}", self.min, self.desired, self.max)
    }
}

/// The deployment group's load balancer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoadBalancer {
    pub kind: LoadBalancerKind,
    /// The load balancer's name (`bluegreen-alb`, or the classic one's).
    pub name: String,
    /// The target group's name for an ALB (as CodeDeploy lists it).
    pub target_group: Option<String>,
    pub target_group_arn: Option<String>,
    /// Where users reach it: `http://<dns name>/`, or the demo's local address.
    pub url: String,
}
