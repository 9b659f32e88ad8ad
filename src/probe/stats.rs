//! Traffic statistics in bounded memory. A request belongs to the second it
//! was due in, and a second is closed only once every request due in it has
//! answered or timed out, so no second appears twice and a late answer
//! lands where it belongs. Closed seconds carry the mix (each version's
//! share of all requests, failed requests as a share of their own: the one
//! definition the panel, the event log and `--plain` use), errors by kind
//! and the worst latency; latency percentiles come from HDR histograms over
//! the last half minute to minute; gaps without a successful answer and
//! cutover verdicts are computed as seconds close.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::time::Instant;

use super::cutover::{Cutover, Underway, Verdict};
use super::second::Second;
use super::{ErrorKind, Outcome, Sample};

/// Closed seconds kept.
pub const KEEP_SECONDS: usize = 300;
/// Recent requests kept (for the strip).
pub const KEEP_SAMPLES: usize = 256;
/// Verdicts kept.
pub const KEEP_VERDICTS: usize = 50;
/// Each latency window's length, in seconds; two are kept.
const WINDOW: u64 = 30;

/// A second still taking answers, with each answer's due time, success
/// and latency (for gaps and verdicts, in order).
#[derive(Debug, Clone, Default)]
struct Open {
    second: Second,
    answers: Vec<(Instant, bool, Duration)>,
}

/// Latency over the last half minute to minute: two histograms in turn.
#[derive(Debug, Clone)]
struct Latency {
    windows: [Histogram<u64>; 2],
    /// The window (by second index / `WINDOW`) the newer histogram covers.
    current: u64,
}

fn histogram() -> Histogram<u64> {
    // Microseconds from 1 µs to 10 minutes, 2 significant figures.
    Histogram::new_with_bounds(1, 600_000_000, 2).expect("valid bounds")
}

impl Latency {
    fn new() -> Self {
        Self { windows: [histogram(), histogram()], current: 0 }
    }

    fn record(&mut self, second: u64, latency: Duration) {
        let window = second / WINDOW;
        if window > self.current {
            let newer = if window == self.current + 1 { self.windows[1].clone() } else { histogram() };
            self.windows = [newer, histogram()];
            self.current = window;
        }
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).clamp(1, 600_000_000);
        if window + 1 >= self.current {
            let slot = usize::from(window == self.current);
            let _ = self.windows[slot].record(us);
        }
    }

    /// Several quantiles from one merge of the two windows.
    fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [Option<Duration>; N] {
        let mut all = self.windows[0].clone();
        if all.add(&self.windows[1]).is_err() || all.is_empty() {
            return [None; N];
        }
        qs.map(|q| Some(Duration::from_micros(all.value_at_quantile(q))))
    }

    fn max(&self) -> Option<Duration> {
        let m = self.windows[0].max().max(self.windows[1].max());
        (m > 0).then(|| Duration::from_micros(m))
    }
}

/// Samples gathered into seconds, plus the most recent requests.
#[derive(Debug, Clone)]
pub struct Traffic {
    start: Instant,
    /// How long after its due time a request has surely ended.
    grace: Duration,
    open: BTreeMap<u64, Open>,
    /// Closed seconds, oldest first (at most [`KEEP_SECONDS`]).
    pub seconds: VecDeque<Second>,
    /// The latest samples, oldest first (at most [`KEEP_SAMPLES`]).
    pub recent: VecDeque<Sample>,
    pub total_requests: u64,
    pub total_failures: u64,
    /// TLS handshakes (new connections over HTTPS).
    pub total_handshakes: u64,
    /// Failed requests by kind, since probing began.
    pub errors: BTreeMap<ErrorKind, u64>,
    latency: Latency,
    /// The last successful answer's due time, and the longest gap so far.
    last_ok: Option<Instant>,
    longest_gap: Duration,
    cutover: Cutover,
    /// Verdicts, oldest first (at most [`KEEP_VERDICTS`]).
    pub verdicts: VecDeque<Verdict>,
    /// Verdicts not yet taken by [`Traffic::take_verdicts`].
    fresh: usize,
}

impl Traffic {
    /// Statistics for requests that end within the prober's default timeout.
    pub fn new(start: Instant) -> Self {
        Self::with_timeout(start, super::Settings::new(String::new(), 1).timeout)
    }

    /// Statistics for requests that end within `timeout` of their due time.
    pub fn with_timeout(start: Instant, timeout: Duration) -> Self {
        Self {
            start,
            grace: timeout + Duration::from_millis(200),
            open: BTreeMap::new(),
            seconds: VecDeque::new(),
            recent: VecDeque::new(),
            total_requests: 0,
            total_failures: 0,
            total_handshakes: 0,
            errors: BTreeMap::new(),
            latency: Latency::new(),
            last_ok: None,
            longest_gap: Duration::ZERO,
            cutover: Cutover::default(),
            verdicts: VecDeque::new(),
            fresh: 0,
        }
    }

    /// How long after its due time a request has surely ended.
    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// When probing started: second 0 begins here.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Adds a sample to the second it was due in.
    pub fn record(&mut self, sample: Sample) {
        let index = sample.scheduled.saturating_duration_since(self.start).as_secs();
        let open = self.open.entry(index).or_default();
        let second = &mut open.second;
        second.index = index;
        second.requests += 1;
        second.worst = second.worst.max(sample.latency);
        if let Some(took) = sample.handshake {
            second.handshakes += 1;
            second.worst_handshake = second.worst_handshake.max(took);
            self.total_handshakes += 1;
        }
        self.total_requests += 1;
        let into = sample.scheduled.saturating_duration_since(self.start + Duration::from_secs(index));
        let class = match &sample.outcome {
            Outcome::Served { version, .. } => version.as_str(),
            Outcome::Failed(_) => super::second::FAILED,
        };
        let first = second.firsts.entry(class.to_string()).or_insert(into);
        *first = (*first).min(into);
        let last = second.lasts.entry(class.to_string()).or_insert(into);
        *last = (*last).max(into);
        match &sample.outcome {
            Outcome::Served { version, .. } => *second.versions.entry(version.clone()).or_default() += 1,
            Outcome::Failed(kind) => {
                second.failures += 1;
                *second.errors.entry(kind.clone()).or_default() += 1;
                *self.errors.entry(kind.clone()).or_default() += 1;
                self.total_failures += 1;
            }
        }
        open.answers.push((sample.scheduled, !sample.outcome.failed(), sample.latency));
        self.latency.record(index, sample.latency);
        self.recent.push_back(sample);
        while self.recent.len() > KEEP_SAMPLES {
            self.recent.pop_front();
        }
    }

    /// Closes every second whose requests have all ended by `now` and
    /// gives them, oldest first; gaps and cutovers move on with them.
    pub fn close(&mut self, now: Instant) -> Vec<Second> {
        let limit = now.saturating_duration_since(self.start + self.grace).as_secs();
        let mut done = Vec::new();
        while let Some((&index, _)) = self.open.first_key_value() {
            if index >= limit {
                break;
            }
            let mut open = self.open.remove(&index).expect("first key exists");
            open.answers.sort_by_key(|(due, ..)| *due);
            for (due, ok, _) in &open.answers {
                if *ok {
                    if let Some(last) = self.last_ok {
                        self.longest_gap = self.longest_gap.max(due.saturating_duration_since(last));
                    }
                    self.last_ok = Some(*due);
                }
            }
            if let Some(v) = self.cutover.feed(&open.second, &open.answers) {
                self.verdicts.push_back(v);
                self.fresh += 1;
                while self.verdicts.len() > KEEP_VERDICTS {
                    self.verdicts.pop_front();
                }
            }
            done.push(open.second);
        }
        for s in &done {
            self.seconds.push_back(s.clone());
        }
        while self.seconds.len() > KEEP_SECONDS {
            self.seconds.pop_front();
        }
        done
    }

    /// The verdicts reached since the last call.
    pub fn take_verdicts(&mut self) -> Vec<Verdict> {
        let n = std::mem::take(&mut self.fresh).min(self.verdicts.len());
        self.verdicts.iter().skip(self.verdicts.len() - n).cloned().collect()
    }

    /// The console is about to move traffic: a cutover starts at `now`
    /// (seconds before it that are still closing are not part of it).
    pub fn expect_cutover(&mut self, now: Instant) {
        self.cutover.expect(now.saturating_duration_since(self.start).as_secs());
    }

    /// The cutover under way, if any.
    pub fn cutover(&self) -> Option<&Underway> {
        self.cutover.running()
    }

    /// A latency quantile (0.0–1.0) over the last half minute to minute.
    pub fn latency(&self, q: f64) -> Option<Duration> {
        let [v] = self.latency.quantiles([q]);
        v
    }

    /// Several latency quantiles at once (cheaper than one call each).
    pub fn latencies<const N: usize>(&self, qs: [f64; N]) -> [Option<Duration>; N] {
        self.latency.quantiles(qs)
    }

    /// The slowest request over the last half minute to minute.
    pub fn worst_latency(&self) -> Option<Duration> {
        self.latency.max()
    }

    /// The longest stretch without a successful answer since probing began
    /// (between due times: one request period when all is well), counting
    /// a gap still open at `now`.
    pub fn longest_gap(&self, now: Instant) -> Duration {
        let open = self.last_ok.map_or(Duration::ZERO, |last| {
            now.saturating_duration_since(last).saturating_sub(self.grace + Duration::from_secs(1))
        });
        self.longest_gap.max(open)
    }

    /// Memory this holds, as counts: open seconds, closed seconds, recent
    /// samples, verdicts (all bounded).
    pub fn sizes(&self) -> (usize, usize, usize, usize) {
        (self.open.len(), self.seconds.len(), self.recent.len(), self.verdicts.len())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::Traffic;
    use crate::probe::{ErrorKind, Outcome, Sample};

    fn sample(start: Instant, ms: u64, version: Option<&str>, latency_ms: u64) -> Sample {
        let outcome = match version {
            Some(v) => Outcome::Served { version: v.into(), instance: None },
            None => Outcome::Failed(ErrorKind::Server(503)),
        };
        Sample {
            scheduled: start + Duration::from_millis(ms),
            latency: Duration::from_millis(latency_ms),
            outcome,
            handshake: None,
        }
    }

    #[test]
    fn seconds_mix_and_gaps() {
        let start = Instant::now();
        let mut t = Traffic::with_timeout(start, Duration::from_millis(300));
        for ms in [0, 100, 200, 300, 400, 500, 600, 700, 800, 900] {
            t.record(sample(start, ms, (!(300..=600).contains(&ms)).then_some("v1"), 2));
        }
        t.record(sample(start, 1_100, Some("v1"), 2));
        let closed = t.close(start + Duration::from_millis(2_600));
        assert_eq!(closed.len(), 2);
        assert_eq!((closed[0].requests, closed[0].failures), (10, 4));
        assert_eq!(closed[0].mix(), vec![("v1".to_string(), 60), ("failed".to_string(), 40)]);
        assert_eq!(closed[0].mix_words(), "v1 60% failed 40%");
        assert_eq!(closed[0].to_string(), "10 req  4 failed  v1 60%  (4 5xx)");
        assert_eq!(t.longest_gap(start + Duration::from_millis(2_600)), Duration::from_millis(500), "200 ms to 700 ms");
        assert_eq!(t.total_failures, 4);
        assert_eq!(t.errors.get(&ErrorKind::Server(503)), Some(&4));
    }

    #[test]
    fn a_second_knows_when_each_kind_of_answer_first_came() {
        let start = Instant::now();
        let mut t = Traffic::with_timeout(start, Duration::ZERO);
        // Out of order, as answers arrive: the earliest due time counts.
        for (ms, v) in
            [(1_700, Some("v2")), (1_100, Some("v1")), (1_400, Some("v2")), (1_900, None), (1_000, Some("v1"))]
        {
            t.record(sample(start, ms, v, 1));
        }
        let s = &t.close(start + Duration::from_secs(3))[0];
        let ms = |d: Duration| d.as_millis();
        assert_eq!(
            s.firsts.iter().map(|(c, d)| (c.as_str(), ms(*d))).collect::<Vec<_>>(),
            [("failed", 900), ("v1", 0), ("v2", 400)]
        );
        assert_eq!(s.first_new(&["v1".into()]), Some(Duration::from_millis(400)), "v2 came at 400 ms");
        assert_eq!(s.first_new(&["v1".into(), "v2".into()]), Some(Duration::from_millis(900)), "then failures");
        assert_eq!(s.first_new(&s.classes()), None, "nothing new");
        assert_eq!(s.last_of(&["v1".into()]), Some(Duration::from_millis(100)), "v1 last at 100 ms");
        assert_eq!(s.last_of(&["v1".into(), "v2".into()]), Some(Duration::from_millis(700)));
        assert_eq!(s.last_of(&["v3".into()]), None);
    }

    #[test]
    fn shares_round_to_the_nearest_percent() {
        let start = Instant::now();
        let mut t = Traffic::with_timeout(start, Duration::ZERO);
        t.record(sample(start, 0, Some("v1"), 1));
        for ms in 1..6 {
            t.record(sample(start, ms * 100, Some("v2"), 1));
        }
        let closed = t.close(start + Duration::from_secs(2));
        assert_eq!(closed[0].mix(), vec![("v1".to_string(), 17), ("v2".to_string(), 83)], "1/6 is 16.7%, shown 17%");
        assert_eq!(closed[0].classes(), ["v1", "v2"]);
    }

    #[test]
    fn a_second_closes_only_when_its_requests_have_ended_and_late_answers_land_in_it() {
        let start = Instant::now();
        let mut t = Traffic::with_timeout(start, Duration::from_secs(1));
        t.record(sample(start, 1_200, Some("v1"), 1));
        // Due at 1.9 s, answered 0.9 s later: it belongs to second 1.
        assert!(t.close(start + Duration::from_millis(2_500)).is_empty(), "second 1 may still get answers");
        t.record(sample(start, 1_900, Some("v2"), 900));
        t.record(sample(start, 2_100, Some("v1"), 1));
        let closed = t.close(start + Duration::from_millis(3_300));
        assert_eq!(closed.iter().map(|s| s.index).collect::<Vec<_>>(), [1], "second 2 is still open");
        assert_eq!(closed[0].requests, 2, "the late answer landed in its own second");
        assert_eq!(closed[0].worst, Duration::from_millis(900));
        let closed = t.close(start + Duration::from_millis(4_300));
        assert_eq!(closed.iter().map(|s| s.index).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn hours_of_samples_stay_in_bounded_memory() {
        let start = Instant::now();
        let mut t = Traffic::with_timeout(start, Duration::from_millis(200));
        // Three hours at 20 requests a second on a compressed clock, with a
        // cutover every ten minutes.
        for s in 0..(3 * 3600u64) {
            let version = if (s / 600) % 2 == 0 { "v1" } else { "v2" };
            for n in 0..20 {
                t.record(sample(start, s * 1000 + n * 50, Some(version), 1 + n));
            }
            t.close(start + Duration::from_secs(s + 1));
        }
        let (open, seconds, recent, verdicts) = t.sizes();
        assert!(open <= 2, "{open} open seconds");
        assert_eq!((seconds, recent), (super::KEEP_SECONDS, super::KEEP_SAMPLES));
        assert_eq!(verdicts, 17, "one verdict per switch, all kept while under the bound");
        assert_eq!(t.total_requests, 3 * 3600 * 20);
        assert_eq!(t.latency(0.5).map(|d| d.as_millis()), Some(10), "p50 of 1..20 ms, to two figures");
        assert_eq!(t.latency(1.0).map(|d| d.as_millis()), Some(20));
    }

    #[test]
    fn latency_percentiles() {
        let start = Instant::now();
        let mut t = Traffic::new(start);
        assert_eq!(t.latency(0.5), None);
        for n in (1..=100u64).rev() {
            t.record(sample(start, n, Some("v1"), n));
        }
        let ms = |q| t.latency(q).unwrap().as_millis();
        assert_eq!((ms(0.0), ms(0.5), ms(0.99), ms(1.0)), (1, 50, 99, 100));
    }

    #[test]
    fn closed_seconds_are_kept_up_to_their_bound() {
        let start = Instant::now();
        let mut t = Traffic::with_timeout(start, Duration::ZERO);
        for s in 0..400u64 {
            t.record(sample(start, s * 1000, Some("v1"), 1));
            // Second s has surely ended 200 ms (the grace) after its end.
            t.close(start + Duration::from_millis(s * 1000 + 1_300));
        }
        assert_eq!(t.seconds.len(), 300, "the newest 300 seconds");
        assert_eq!(t.seconds.front().map(|s| s.index), Some(100));
        assert_eq!(t.recent.len(), 256, "the newest 256 requests");
    }
}
