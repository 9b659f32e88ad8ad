//! The simulated world's side of the cloud port, for a world that runs in
//! real time on its own task (the demo's runtime owns it): calls and looks
//! go to that task as [`Request`]s, the answers come back, and the world's
//! time is read from its [`WorldClock`].

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::clock::WorldClock;
use crate::cloud::{ApiError, Call, CallOutput, Cloud};
use crate::domain::{At, Observation};

/// What the world's task is asked.
#[derive(Debug)]
pub enum Request {
    /// Make one call; the answer AWS would give.
    Apply(Call, oneshot::Sender<Result<CallOutput, ApiError>>),
    /// Look at the world now.
    Observe(oneshot::Sender<Observation>),
}

/// A cheap handle to a running world: the cloud the demo's console watches.
#[derive(Debug, Clone)]
pub struct SimCloud {
    requests: mpsc::Sender<Request>,
    clock: WorldClock,
}

fn gone() -> ApiError {
    ApiError::new("ServiceUnavailable", "the simulated world has stopped")
}

impl SimCloud {
    /// A handle that sends its requests to `requests`.
    pub fn new(requests: mpsc::Sender<Request>, clock: WorldClock) -> Self {
        Self { requests, clock }
    }
}

impl Cloud for SimCloud {
    async fn observe(&self) -> Result<Observation, ApiError> {
        let (tx, rx) = oneshot::channel();
        self.requests.send(Request::Observe(tx)).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }

    async fn apply(&self, call: Call) -> Result<CallOutput, ApiError> {
        let (tx, rx) = oneshot::channel();
        self.requests.send(Request::Apply(call, tx)).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    fn world_at(&self, real: Instant) -> At {
        self.clock.at(real)
    }

    fn pace(&self) -> f64 {
        self.clock.pace()
    }

    fn names_events(&self) -> bool {
        true
    }
}
