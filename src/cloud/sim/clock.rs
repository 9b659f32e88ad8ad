//! The world's clock when it runs in real time (the demo): tokio's clock,
//! scaled by the pace (world seconds per real second), starting at the
//! world's epoch.

use std::time::Duration;

use tokio::time::Instant;

use crate::domain::At;

/// Maps real (tokio) time to world time.
#[derive(Debug, Clone, Copy)]
pub struct WorldClock {
    start: Instant,
    epoch: At,
    pace: f64,
}

impl WorldClock {
    pub fn new(epoch: At, pace: f64) -> Self {
        Self { start: Instant::now(), epoch, pace }
    }

    /// The world's time now.
    pub fn now(&self) -> At {
        self.at(Instant::now())
    }

    /// The world's time at a real instant.
    pub fn at(&self, instant: Instant) -> At {
        let real = instant.saturating_duration_since(self.start);
        self.epoch + real.mul_f64(self.pace)
    }

    /// World seconds per real second.
    pub fn pace(&self) -> f64 {
        self.pace
    }

    /// How long `world` of world time takes in real time.
    pub fn real(&self, world: Duration) -> Duration {
        world.div_f64(self.pace)
    }
}
