//! Traffic statistics from probe samples: per-second buckets (requests,
//! failures, share of each version) and a window of recent requests for the
//! one-cell-per-request strip and latency percentiles.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use super::{Outcome, Sample};

/// One second of probing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Second {
    /// Seconds since probing started.
    pub index: u64,
    pub requests: u32,
    pub failures: u32,
    /// Successful answers by version.
    pub versions: BTreeMap<String, u32>,
}

/// The name failed requests go by in a mix.
pub const FAILED: &str = "failed";

impl Second {
    /// What was served this second, as shares of all its requests in
    /// percent: each version, then failed requests as a share of their own.
    /// The one definition the traffic panel, the event log and `--plain` use,
    /// so a version never reads 100% while requests fail.
    pub fn mix(&self) -> Vec<(String, u32)> {
        let all = self.requests.max(1);
        let pct = |n: u32| (n * 100 + all / 2) / all;
        let mut mix: Vec<(String, u32)> = self.versions.iter().map(|(v, n)| (v.clone(), pct(*n))).collect();
        if self.failures > 0 {
            mix.push((FAILED.to_string(), pct(self.failures)));
        }
        mix
    }

    /// The kinds of answer this second had: its versions, and `failed`.
    pub fn classes(&self) -> Vec<String> {
        self.mix().into_iter().map(|(class, _)| class).collect()
    }

    /// `v1 50% v2 30% failed 20%`.
    pub fn mix_words(&self) -> String {
        self.mix().iter().map(|(c, p)| format!("{c} {p}%")).collect::<Vec<_>>().join(" ")
    }
}

impl fmt::Display for Second {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} req  {} failed", self.requests, self.failures)?;
        for (v, p) in self.mix().iter().filter(|(v, _)| v != FAILED) {
            write!(f, "  {v} {p}%")?;
        }
        Ok(())
    }
}

/// Samples gathered into seconds, plus the most recent requests.
#[derive(Debug, Clone)]
pub struct Traffic {
    start: Instant,
    open: BTreeMap<u64, Second>,
    /// Closed seconds, oldest first (at most `keep_seconds`).
    pub seconds: VecDeque<Second>,
    /// The latest samples, oldest first (at most `keep_samples`).
    pub recent: VecDeque<Sample>,
    keep_seconds: usize,
    keep_samples: usize,
    pub total_requests: u64,
    pub total_failures: u64,
}

impl Traffic {
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            open: BTreeMap::new(),
            seconds: VecDeque::new(),
            recent: VecDeque::new(),
            keep_seconds: 300,
            keep_samples: 256,
            total_requests: 0,
            total_failures: 0,
        }
    }

    /// When probing started: second 0 begins here.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Adds a sample to the second its request started in.
    pub fn record(&mut self, sample: Sample) {
        let index = sample.started.saturating_duration_since(self.start).as_secs();
        let second = self.open.entry(index).or_insert_with(|| Second { index, ..Second::default() });
        second.requests += 1;
        self.total_requests += 1;
        if let Outcome::Served { version, .. } = &sample.outcome {
            *second.versions.entry(version.clone().unwrap_or_else(|| "?".into())).or_default() += 1;
        } else {
            second.failures += 1;
            self.total_failures += 1;
        }
        self.recent.push_back(sample);
        while self.recent.len() > self.keep_samples {
            self.recent.pop_front();
        }
    }

    /// Closes every second that ended more than `grace` before `now` (so
    /// requests still in flight land in the second they started) and gives them.
    pub fn close(&mut self, now: Instant, grace: Duration) -> Vec<Second> {
        let limit = now.saturating_duration_since(self.start + grace).as_secs();
        let mut done = Vec::new();
        while let Some((&index, _)) = self.open.first_key_value() {
            if index >= limit {
                break;
            }
            let second = self.open.remove(&index).expect("first key exists");
            done.push(second);
        }
        for s in &done {
            self.seconds.push_back(s.clone());
        }
        while self.seconds.len() > self.keep_seconds {
            self.seconds.pop_front();
        }
        done
    }

    /// Latency percentile (0–100) over the recent samples.
    pub fn latency(&self, pct: u32) -> Option<Duration> {
        let mut l: Vec<Duration> = self.recent.iter().map(|s| s.latency).collect();
        if l.is_empty() {
            return None;
        }
        l.sort_unstable();
        Some(l[((l.len() - 1) * pct as usize) / 100])
    }

    /// The longest stretch, among the recent samples, in which no request
    /// that started was answered successfully: downtime as users would see
    /// it, at the prober's resolution (one request period when all is well).
    pub fn longest_gap(&self) -> Option<Duration> {
        let mut starts: Vec<(Instant, bool)> = self.recent.iter().map(|s| (s.started, !s.outcome.failed())).collect();
        starts.sort_by_key(|(at, _)| *at);
        let (first, _) = *starts.first()?;
        let (end, _) = *starts.last()?;
        let mut last_ok = first;
        let mut longest = Duration::ZERO;
        for (at, ok) in starts {
            if ok {
                longest = longest.max(at.saturating_duration_since(last_ok));
                last_ok = at;
            }
        }
        Some(longest.max(end.saturating_duration_since(last_ok)))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::Traffic;
    use crate::probe::{Outcome, Sample};

    fn sample(start: Instant, ms: u64, ok: bool) -> Sample {
        let outcome =
            if ok { Outcome::Served { version: Some("v1".into()), instance: None } } else { Outcome::Status(503) };
        Sample { started: start + Duration::from_millis(ms), latency: Duration::from_millis(2), outcome }
    }

    #[test]
    fn seconds_shares_and_gaps() {
        let start = Instant::now();
        let mut t = Traffic::new(start);
        for ms in [0, 100, 200, 300, 400, 500, 600, 700, 800, 900] {
            t.record(sample(start, ms, !(300..=600).contains(&ms)));
        }
        t.record(sample(start, 1_100, true));
        let closed = t.close(start + Duration::from_millis(2_600), Duration::from_millis(500));
        assert_eq!(closed.len(), 2);
        assert_eq!((closed[0].requests, closed[0].failures), (10, 4));
        assert_eq!(closed[0].mix(), vec![("v1".to_string(), 60), ("failed".to_string(), 40)]);
        assert_eq!(closed[0].mix_words(), "v1 60% failed 40%");
        assert_eq!(closed[0].to_string(), "10 req  4 failed  v1 60%");
        assert_eq!(t.longest_gap(), Some(Duration::from_millis(500)), "from 200 ms to the next success at 700 ms");
        assert_eq!(t.total_failures, 4);
    }

    fn served(start: Instant, ms: u64, version: &str, latency_ms: u64) -> Sample {
        let outcome = Outcome::Served { version: Some(version.into()), instance: None };
        Sample { started: start + Duration::from_millis(ms), latency: Duration::from_millis(latency_ms), outcome }
    }

    #[test]
    fn shares_round_to_the_nearest_percent() {
        let start = Instant::now();
        let mut t = Traffic::new(start);
        t.record(served(start, 0, "v1", 1));
        for ms in 1..6 {
            t.record(served(start, ms * 100, "v2", 1));
        }
        let closed = t.close(start + Duration::from_secs(2), Duration::ZERO);
        assert_eq!(closed[0].mix(), vec![("v1".to_string(), 17), ("v2".to_string(), 83)], "1/6 is 16.7%, shown 17%");
        assert_eq!(closed[0].classes(), ["v1", "v2"]);
    }

    #[test]
    fn a_second_knows_which_second_it_is_and_closes_only_when_over() {
        let start = Instant::now();
        let mut t = Traffic::new(start);
        t.record(served(start, 1_200, "v1", 1));
        t.record(served(start, 2_100, "v1", 1));
        assert!(
            t.close(start + Duration::from_millis(1_900), Duration::from_millis(500)).is_empty(),
            "second 1 ends at 2.0 s, plus grace"
        );
        let closed = t.close(start + Duration::from_millis(2_600), Duration::from_millis(500));
        assert_eq!(closed.iter().map(|s| s.index).collect::<Vec<_>>(), [1], "second 2 is still open");
        let closed = t.close(start + Duration::from_millis(3_600), Duration::from_millis(500));
        assert_eq!(closed.iter().map(|s| s.index).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn closed_seconds_are_kept_up_to_their_bound() {
        let start = Instant::now();
        let mut t = Traffic::new(start);
        for s in 0..400u64 {
            t.record(served(start, s * 1000, "v1", 1));
            t.close(start + Duration::from_secs(s + 1), Duration::ZERO);
        }
        assert_eq!(t.seconds.len(), 300, "the newest 300 seconds");
        assert_eq!(t.seconds.front().map(|s| s.index), Some(100));
        assert_eq!(t.recent.len(), 256, "the newest 256 requests");
    }

    #[test]
    fn latency_percentiles() {
        let start = Instant::now();
        let mut t = Traffic::new(start);
        assert_eq!(t.latency(50), None);
        for n in (1..=100u64).rev() {
            t.record(served(start, n, "v1", n));
        }
        let ms = |p| t.latency(p).unwrap().as_millis();
        assert_eq!((ms(0), ms(50), ms(99), ms(100)), (1, 50, 99, 100));
    }
}
