//! Points in time as whole milliseconds since the Unix epoch: the world's
//! clock in the demo, AWS's timestamps otherwise.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
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

    /// Reads `2026-11-27T09:00:00Z` (as [`At::rfc3339`] writes it).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let t = aws_smithy_types::DateTime::from_str(text, aws_smithy_types::date_time::Format::DateTime).ok()?;
        u64::try_from(t.to_millis().ok()?).ok().map(Self)
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

/// Parses `500ms`, `2s`, `1.5s`, `10m`, `1h` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let not_one = || format!("'{}' is not a duration (like 500ms, 2s, 10m)", super::clean(text, 40));
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(not_one()),
    };
    let n: f64 = number.parse().map_err(|_| not_one())?;
    Duration::try_from_secs_f64(n * scale).map_err(|_| format!("'{}' is out of range", super::clean(text, 40)))
}

/// `0.4ms`, `12ms`, `1520ms`: a latency, with a decimal below 10 ms.
pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.1}ms") } else { format!("{}ms", d.as_millis()) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_time_written_in_rfc3339_reads_back() {
        let at = super::At(1_795_683_600_250);
        assert_eq!(super::At::parse_rfc3339(&at.rfc3339()), Some(at));
        assert_eq!(super::At::parse_rfc3339("2026-11-26T09:00:00Z"), Some(super::At::from_secs(1_795_683_600)));
        assert_eq!(super::At::parse_rfc3339("yesterday"), None);
    }

    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }
}
