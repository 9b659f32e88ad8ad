//! When to look next: every few seconds while a deployment moves, every
//! 15–30 s when nothing does, with jitter so that several consoles do not
//! look in step; after throttling the interval doubles (up to five minutes)
//! until a look succeeds again. Pure: the caller brings the randomness.

use std::time::Duration;

/// Base intervals and the cap.
pub const MOVING: Duration = Duration::from_secs(3);
pub const STILL: Duration = Duration::from_secs(20);
pub const CAP: Duration = Duration::from_secs(300);

/// How the last look went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// It worked; a deployment is (or is not) moving.
    Seen { moving: bool },
    /// AWS refused it for its rate.
    Throttled,
    /// It failed otherwise (no answer, a network error).
    Failed,
}

/// The state of the cadence between looks.
#[derive(Debug, Clone, Default)]
pub struct Cadence {
    /// Throttled looks in a row.
    throttled: u32,
    /// Failed looks in a row.
    failed: u32,
    moving: bool,
}

impl Cadence {
    /// Records how a look went and gives the wait before the next one;
    /// `jitter` in `0.0..1.0` spreads it by ±20%.
    pub fn next(&mut self, look: Look, jitter: f64) -> Duration {
        match look {
            Look::Seen { moving } => {
                self.throttled = 0;
                self.failed = 0;
                self.moving = moving;
            }
            Look::Throttled => self.throttled += 1,
            Look::Failed => self.failed += 1,
        }
        let base = if self.moving { MOVING } else { STILL };
        let backoff = self.throttled + self.failed.saturating_sub(1).min(2);
        let wait = base.saturating_mul(1 << backoff.min(10)).min(CAP);
        wait.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0)).min(CAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_looks_often_still_looks_seldom() {
        let mut c = Cadence::default();
        assert_eq!(c.next(Look::Seen { moving: true }, 0.5), MOVING);
        assert_eq!(c.next(Look::Seen { moving: false }, 0.5), STILL);
        let low = c.next(Look::Seen { moving: false }, 0.0);
        let high = c.next(Look::Seen { moving: false }, 1.0);
        assert_eq!((low, high), (STILL.mul_f64(0.8), STILL.mul_f64(1.2)), "±20% jitter");
    }

    #[test]
    fn throttling_doubles_until_a_look_succeeds() {
        let mut c = Cadence::default();
        c.next(Look::Seen { moving: true }, 0.5);
        assert_eq!(c.next(Look::Throttled, 0.5), MOVING * 2);
        assert_eq!(c.next(Look::Throttled, 0.5), MOVING * 4);
        for _ in 0..20 {
            c.next(Look::Throttled, 0.5);
        }
        assert_eq!(c.next(Look::Throttled, 1.0), CAP, "never beyond the cap");
        assert_eq!(c.next(Look::Seen { moving: true }, 0.5), MOVING, "back at once after a success");
    }

    #[test]
    fn failures_back_off_gently() {
        let mut c = Cadence::default();
        c.next(Look::Seen { moving: false }, 0.5);
        assert_eq!(c.next(Look::Failed, 0.5), STILL, "one failure: the usual wait");
        assert_eq!(c.next(Look::Failed, 0.5), STILL * 2);
        assert_eq!(c.next(Look::Failed, 0.5), STILL * 4);
        assert_eq!(c.next(Look::Failed, 0.5), STILL * 4, "at most four times");
    }
}
