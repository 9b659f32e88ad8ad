//! Points in time as whole milliseconds since the Unix epoch: the world's
//! clock in the demo, AWS's timestamps otherwise.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct At(pub u64);

impl At {
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs * 1000)
    }

    /// Time elapsed since `earlier` (zero when `earlier` is later).
    pub fn since(self, earlier: At) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// `2026-11-27T09:00:00Z` (with milliseconds when there are any).
    pub fn rfc3339(self) -> String {
        let millis = i64::try_from(self.0).unwrap_or(i64::MAX);
        aws_smithy_types::DateTime::from_millis(millis)
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default()
    }

    /// `HH:MM:SS` in UTC.
    pub fn clock(self) -> String {
        let s = (self.0 / 1000) % 86_400;
        format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    }
}

impl From<std::time::SystemTime> for At {
    fn from(t: std::time::SystemTime) -> Self {
        let since = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Self(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
    }
}

impl Add<Duration> for At {
    type Output = At;
    fn add(self, d: Duration) -> At {
        At(self.0 + d.as_millis() as u64)
    }
}

impl Sub<Duration> for At {
    type Output = At;
    fn sub(self, d: Duration) -> At {
        At(self.0.saturating_sub(d.as_millis() as u64))
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.clock())
    }
}

/// `3m12s`, `45s`, `1h02m`: short elapsed times for the screen.
pub fn short(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s / 60) % 60),
    }
}

/// `0.4ms`, `12ms`, `1520ms`: a latency, with a decimal below 10 ms.
pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.1}ms") } else { format!("{}ms", d.as_millis()) }
}
