//! Looking at a cloud on a cadence, in the background: each observation
//! (or its failure, with when the next look comes) goes to the feed. A
//! look that takes too long counts as failed; the next one waits as the
//! cadence says. `hurry` (a plan is running) makes it look as often as
//! during a deployment, and wakes it at once.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::cadence::{Cadence, Look};
use super::{ApiError, Cloud, Feed};

/// The longest one observation may take before it counts as failed.
pub const LOOK_LIMIT: Duration = Duration::from_secs(30);

/// Starts looking; ends when the feed's receiver is gone.
pub fn watch<C: Cloud>(
    cloud: C,
    feed: mpsc::Sender<Feed>,
    mut hurry: watch::Receiver<bool>,
    limit: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut cadence = Cadence::default();
        let mut rng = Jitter::new();
        loop {
            let (message, look) = match tokio::time::timeout(limit, cloud.observe()).await {
                Ok(Ok(obs)) => {
                    let moving = obs.active.is_some() || *hurry.borrow();
                    (Ok(obs), Look::Seen { moving })
                }
                Ok(Err(error)) => {
                    let look = if error.throttled() { Look::Throttled } else { Look::Failed };
                    (Err(error), look)
                }
                Err(_) => {
                    let error = ApiError::uncertain("Timeout", format!("no observation within {}s", limit.as_secs()));
                    (Err(error), Look::Failed)
                }
            };
            let mut wait = cadence.next(look, rng.next());
            if *hurry.borrow() {
                wait = wait.min(super::cadence::MOVING);
            }
            let message = match message {
                Ok(obs) => Feed::Observed { observation: Box::new(obs), events: Vec::new() },
                Err(error) => Feed::ObserveFailed { error, retry_in: wait },
            };
            if feed.send(message).await.is_err() {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                changed = hurry.changed() => {
                    if changed.is_err() {
                        // The session is gone; keep the cadence until the feed closes.
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
    })
}

/// A small generator for jitter (xorshift), seeded from the clock.
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new() -> Self {
        let seed =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64);
        Self(seed | 1)
    }

    /// A number in `0.0..1.0`.
    pub(crate) fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
