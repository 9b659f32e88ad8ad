//! The cloud port: what the console needs from wherever the deployment
//! group lives. The demo's simulated world and AWS both implement it, and
//! they answer in domain types, so the console, `--plain` and the tests
//! never know which one they talk to.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::sim::WorldEvent;
use super::{ApiError, Call, CallOutput};
use crate::domain::{At, Observation};

/// One deployment group, somewhere: looked at and acted on.
pub trait Cloud: Clone + Send + Sync + 'static {
    /// Everything about the deployment group now.
    fn observe(&self) -> impl Future<Output = Result<Observation, ApiError>> + Send;

    /// Makes one mutating call.
    fn apply(&self, call: Call) -> impl Future<Output = Result<CallOutput, ApiError>> + Send;

    /// The time in this cloud's world at a real instant: the simulated
    /// clock, or the wall clock.
    fn world_at(&self, real: Instant) -> At;

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
    Observed { observation: Box<Observation>, events: Vec<WorldEvent> },
    /// Looking failed; the next look comes after `retry_in`.
    ObserveFailed { error: ApiError, retry_in: Duration },
    /// Something went wrong outside the cloud's answers (the demo's network face).
    Problem(String),
}
