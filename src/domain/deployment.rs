//! A CodeDeploy deployment as the console reads it: status, counters, what it
//! waits for, and per instance the lifecycle events with their diagnostics.

use super::At;
use super::wire::wire_enum;

wire_enum!(
    /// A lifecycle event of an EC2 blue/green deployment (a hook), in the
    /// order a deployment runs them: the install on the replacement, then
    /// allowing traffic to it, then blocking traffic to the original. The
    /// one place their names are spelled.
    Hook {
        ApplicationStop = "ApplicationStop",
        /// Reserved for the agent.
        DownloadBundle = "DownloadBundle",
        BeforeInstall = "BeforeInstall",
        /// Reserved for the agent.
        Install = "Install",
        AfterInstall = "AfterInstall",
        ApplicationStart = "ApplicationStart",
        ValidateService = "ValidateService",
        BeforeAllowTraffic = "BeforeAllowTraffic",
        /// Reserved for the agent: registers the instance with the load balancer.
        AllowTraffic = "AllowTraffic",
        AfterAllowTraffic = "AfterAllowTraffic",
        BeforeBlockTraffic = "BeforeBlockTraffic",
        /// Reserved for the agent: deregisters the instance.
        BlockTraffic = "BlockTraffic",
        AfterBlockTraffic = "AfterBlockTraffic",
    }
);

impl Hook {
    /// Every hook, in the order a blue/green deployment runs them.
    pub const ALL: [Self; 13] = [
        Self::ApplicationStop,
        Self::DownloadBundle,
        Self::BeforeInstall,
        Self::Install,
        Self::AfterInstall,
        Self::ApplicationStart,
        Self::ValidateService,
        Self::BeforeAllowTraffic,
        Self::AllowTraffic,
        Self::AfterAllowTraffic,
        Self::BeforeBlockTraffic,
        Self::BlockTraffic,
        Self::AfterBlockTraffic,
    ];
    /// The install, on the replacement's instances.
    pub const INSTALL: &[Self] = Self::ALL.split_at(7).0;
    /// Allowing traffic: the replacement's instances (the originals' in a rollback).
    pub const ALLOW: &[Self] = Self::ALL.split_at(7).1.split_at(3).0;
    /// Blocking traffic: the originals' instances (the replacement's in a rollback).
    pub const BLOCK: &[Self] = Self::ALL.split_at(10).1;

    /// `ValidateService` → `validate_service` (the sample's script names).
    pub fn snake(&self) -> String {
        let mut out = String::new();
        for (i, c) in self.as_str().chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }
}

wire_enum!(
    /// `DeploymentInfo.status`.
    DeploymentStatus {
        Created = "Created",
        Queued = "Queued",
        InProgress = "InProgress",
        Baking = "Baking",
        /// Blue/green: the replacement is installed and waits for a reroute.
        Ready = "Ready",
        Succeeded = "Succeeded",
        Failed = "Failed",
        Stopped = "Stopped",
    }
);

impl DeploymentStatus {
    /// Succeeded, Failed or Stopped: nothing more will happen to it.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Stopped)
    }
}

wire_enum!(
    /// Who started a deployment.
    Creator {
        User = "user",
        Autoscaling = "autoscaling",
        CodeDeployRollback = "codeDeployRollback",
        CodeDeploy = "CodeDeploy",
        CodeDeployAutoUpdate = "CodeDeployAutoUpdate",
        CloudFormation = "CloudFormation",
        CloudFormationRollback = "CloudFormationRollback",
        AutoscalingTermination = "autoscalingTermination",
    }
);

wire_enum!(
    /// `InstanceTarget.status`.
    TargetStatus {
        Pending = "Pending",
        InProgress = "InProgress",
        Succeeded = "Succeeded",
        Failed = "Failed",
        Skipped = "Skipped",
        Ready = "Ready",
    }
);

wire_enum!(
    /// `InstanceTarget.instanceLabel`: which environment an instance belongs to.
    TargetLabel {
        Blue = "Blue",
        Green = "Green",
    }
);

wire_enum!(
    /// `LifecycleEvent.status`.
    EventStatus {
        Pending = "Pending",
        InProgress = "InProgress",
        Succeeded = "Succeeded",
        Failed = "Failed",
        Skipped = "Skipped",
    }
);

/// `deploymentOverview`: instance counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Overview {
    pub pending: u32,
    pub in_progress: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub skipped: u32,
    pub ready: u32,
}

/// `errorInformation`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorInfo {
    /// `HOOK_EXECUTION_FAILURE`, `MANUAL_STOP`, `TIMEOUT`, …
    pub code: String,
    pub message: String,
}

/// `rollbackInfo`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
pub struct RollbackInfo {
    /// Set on the deployment that was rolled back: the rollback's id.
    pub rollback_deployment_id: Option<String>,
    /// Set on a rollback: the deployment that triggered it.
    pub triggering_deployment_id: Option<String>,
    pub message: Option<String>,
}

/// What a blue/green deployment is waiting for, if anything.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Wait {
    /// Ready: the replacement waits for `ContinueDeployment(READY_WAIT)`
    /// until `until`; then the deployment stops (`stops`, the
    /// STOP_DEPLOYMENT action) or reroutes by itself.
    Reroute { until: Option<At>, stops: bool },
    /// Traffic has moved; the originals are terminated at `until` or on
    /// `ContinueDeployment(TERMINATION_WAIT)`.
    Termination { until: Option<At> },
}

/// `LifecycleEvent.diagnostics`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostics {
    /// `Success`, `ScriptFailed`, `ScriptTimedOut`, …
    pub error_code: String,
    pub script: Option<String>,
    pub message: String,
    /// Up to the last 4 KB of the hook's log, cleaned, one entry per line.
    pub log_tail: Vec<String>,
}

/// One lifecycle event of one instance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LifecycleEvent {
    pub hook: Hook,
    pub status: EventStatus,
    pub started_at: Option<At>,
    pub ended_at: Option<At>,
    pub diagnostics: Option<Diagnostics>,
}

/// One instance target of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    pub instance_id: String,
    pub label: TargetLabel,
    pub status: TargetStatus,
    pub updated_at: Option<At>,
    pub events: Vec<LifecycleEvent>,
}

impl Target {
    pub fn event(&self, hook: &Hook) -> Option<&LifecycleEvent> {
        self.events.iter().find(|e| e.hook == *hook)
    }

    /// The first event that failed, with its diagnostics.
    pub fn failure(&self) -> Option<&LifecycleEvent> {
        self.events.iter().find(|e| e.status == EventStatus::Failed)
    }
}

/// Where an active deployment is, in the terms the keys care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Green is being launched and installed; traffic has not moved.
    Installing,
    /// Green is installed and waits for a manual reroute.
    Ready,
    /// AllowTraffic or BlockTraffic is under way.
    TrafficMoving,
    /// Traffic moved; the originals wait for termination.
    TerminationWait,
    /// Nothing more will happen.
    Done,
}

/// A deployment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Deployment {
    pub id: String,
    pub status: DeploymentStatus,
    pub creator: Creator,
    /// The revision it deploys (`v2`).
    pub revision: Option<String>,
    pub previous_revision: Option<String>,
    /// The original Auto Scaling group (BLUE).
    pub original_asg: Option<String>,
    /// The replacement Auto Scaling group (GREEN).
    pub replacement_asg: Option<String>,
    pub created_at: At,
    pub started_at: Option<At>,
    pub completed_at: Option<At>,
    pub overview: Overview,
    pub wait: Option<Wait>,
    pub termination_wait_started: bool,
    pub error: Option<ErrorInfo>,
    pub rollback: Option<RollbackInfo>,
    pub status_messages: Vec<String>,
    pub targets: Vec<Target>,
}

impl Deployment {
    pub fn is_active(&self) -> bool {
        !self.status.is_final()
    }

    pub fn is_rollback(&self) -> bool {
        self.creator == Creator::CodeDeployRollback
    }

    pub fn target(&self, instance_id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.instance_id == instance_id)
    }

    /// Where this deployment stands, from its status, wait and lifecycle events.
    pub fn stage(&self) -> Stage {
        if self.status.is_final() {
            return Stage::Done;
        }
        if self.status == DeploymentStatus::Ready || matches!(self.wait, Some(Wait::Reroute { .. })) {
            return Stage::Ready;
        }
        if self.termination_wait_started || matches!(self.wait, Some(Wait::Termination { .. })) {
            return Stage::TerminationWait;
        }
        let started = self.targets.iter().any(|t| {
            t.events.iter().any(|e| {
                (Hook::ALLOW.contains(&e.hook) || Hook::BLOCK.contains(&e.hook)) && e.status != EventStatus::Pending
            })
        });
        // Rerouted but no traffic hook has started yet: green is installed.
        let installed = self.green_targets().next().is_some()
            && self
                .green_targets()
                .all(|t| t.event(&Hook::ValidateService).is_some_and(|e| e.status == EventStatus::Succeeded));
        if self.is_rollback() || started || installed { Stage::TrafficMoving } else { Stage::Installing }
    }

    /// Targets labelled Green, in order.
    pub fn green_targets(&self) -> impl Iterator<Item = &Target> {
        self.targets.iter().filter(|t| t.label == TargetLabel::Green)
    }
}
