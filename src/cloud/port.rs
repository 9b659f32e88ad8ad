//! The cloud port: what the console needs from wherever the deployment
//! group lives. The demo's simulated world and AWS both implement it, and
//! they answer in domain types, so the console, `--plain` and the tests
//! never know which one they talk to.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::{ApiError, Call, CallOutput};
use crate::domain::{At, DeploymentStatus, Hook, Observation};

/// One deployment group, somewhere: looked at and acted on.
pub trait Cloud: Clone + Send + Sync + 'static {
    /// Everything about the deployment group now.
    fn observe(&self) -> impl Future<Output = Result<Observation, ApiError>> + Send;

    /// Makes one mutating call.
    fn apply(&self, call: Call) -> impl Future<Output = Result<CallOutput, ApiError>> + Send;

    /// The time in this cloud's world at a real instant: the simulated
    /// clock, or the wall clock.
    fn world_at(&self, real: Instant) -> At;

    /// World seconds per real second: 1 on AWS, the demo's pace times its
    /// speed in the simulated world.
    fn pace(&self) -> f64 {
        1.0
    }

    /// Whether this cloud names what happens in it ([`Feed::Observed`]'s
    /// events); without, the console's own differences of observations
    /// are the events.
    fn names_events(&self) -> bool {
        false
    }

    /// The time in this cloud's world now.
    fn now(&self) -> At {
        self.world_at(Instant::now())
    }
}

/// What background work tells the console without being asked.
#[derive(Debug)]
pub enum Feed {
    /// A new observation, and what the world says happened since the last
    /// one (the simulated world names its events; AWS has none).
    Observed { observation: Box<Observation>, events: Vec<Event> },
    /// Looking failed; the next look comes after `retry_in`.
    ObserveFailed { error: ApiError, retry_in: Duration },
    /// Something went wrong outside the cloud's answers (the demo's network face).
    Problem(String),
}

/// Something that happened in a cloud that names its events (the
/// simulated world), for `--plain`, stories and `[expect]` tables.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    pub at: At,
    pub tag: Tag,
    pub text: String,
}

/// What kind of thing happened: a short, stable name (`created`, `Ready`,
/// `AllowTraffic`, `drained`, …) that a story's `wait` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// A deployment was created.
    Created,
    /// A deployment's status changed to this one.
    Status(DeploymentStatus),
    /// `ContinueDeployment` was accepted.
    Continued,
    /// A lifecycle hook failed on an instance.
    HookFailed,
    /// A rollback deployment was created.
    RollbackCreated,
    /// The originals wait to be terminated.
    TerminationWait,
    /// The originals are being terminated.
    Terminating,
    /// The deployment group points at another Auto Scaling group.
    GroupUpdated,
    /// A revision was registered.
    RevisionRegistered,
    /// A lifecycle hook succeeded on an instance.
    Hook(Hook),
    AsgCreated,
    AsgDeleted,
    /// An instance was launched.
    Launched,
    /// An instance came into service.
    InService,
    /// An instance was terminated.
    Terminated,
    /// A load balancer (or target group) was attached to a group.
    Attached,
    Detached,
    /// An instance was registered with the load balancer.
    Registered,
    /// A target became healthy.
    Healthy,
    Unhealthy,
    /// An instance was deregistered; it drains.
    Deregistered,
    /// A deregistered target finished draining.
    Drained,
}

impl Tag {
    /// Every tag a world can report, in a readable order.
    pub fn all() -> Vec<Self> {
        let statuses = [
            DeploymentStatus::InProgress,
            DeploymentStatus::Ready,
            DeploymentStatus::Succeeded,
            DeploymentStatus::Failed,
            DeploymentStatus::Stopped,
        ];
        let mut all = vec![Self::Created];
        all.extend(statuses.into_iter().map(Self::Status));
        all.extend([
            Self::Continued,
            Self::HookFailed,
            Self::RollbackCreated,
            Self::TerminationWait,
            Self::Terminating,
            Self::GroupUpdated,
            Self::RevisionRegistered,
        ]);
        all.extend(Hook::ALL.into_iter().map(Self::Hook));
        all.extend([
            Self::AsgCreated,
            Self::AsgDeleted,
            Self::Launched,
            Self::InService,
            Self::Terminated,
            Self::Attached,
            Self::Detached,
            Self::Registered,
            Self::Healthy,
            Self::Unhealthy,
            Self::Deregistered,
            Self::Drained,
        ]);
        all
    }

    /// The tag's name, as stories and `[expect]` tables write it.
    pub fn word(&self) -> &str {
        match self {
            Self::Created => "created",
            Self::Status(status) => status.as_str(),
            Self::Continued => "continued",
            Self::HookFailed => "hook-failed",
            Self::RollbackCreated => "rollback-created",
            Self::TerminationWait => "termination-wait",
            Self::Terminating => "terminating",
            Self::GroupUpdated => "group-updated",
            Self::RevisionRegistered => "revision-registered",
            Self::Hook(hook) => hook.as_str(),
            Self::AsgCreated => "asg-created",
            Self::AsgDeleted => "asg-deleted",
            Self::Launched => "launched",
            Self::InService => "in-service",
            Self::Terminated => "terminated",
            Self::Attached => "attached",
            Self::Detached => "detached",
            Self::Registered => "registered",
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
            Self::Deregistered => "deregistered",
            Self::Drained => "drained",
        }
    }

    /// The tag named `word`, if a world can report it.
    pub fn parse(word: &str) -> Option<Self> {
        Self::all().into_iter().find(|t| t.word() == word)
    }

    /// Every tag's name, for hints.
    pub fn words() -> String {
        Self::all().iter().map(Self::word).collect::<Vec<_>>().join(", ")
    }
}

/// Read from a scenario's `[expect]` table by name.
impl<'de> serde::Deserialize<'de> for Tag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        Self::parse(&word).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "no such event '{}' (hint: one of {})",
                crate::domain::clean(&word, 40),
                Self::words()
            ))
        })
    }
}

/// Written by name (recordings).
impl serde::Serialize for Tag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.word())
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

#[cfg(test)]
mod tests {
    use super::Tag;

    #[test]
    fn every_tag_reads_back_from_its_word_and_no_word_is_taken_twice() {
        let all = Tag::all();
        for tag in &all {
            assert_eq!(Tag::parse(tag.word()).as_ref(), Some(tag));
        }
        let mut words: Vec<&str> = all.iter().map(Tag::word).collect();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), all.len());
        assert_eq!(Tag::parse("Dance"), None);
    }
}
