//! The cutover verdict: did moving traffic drop anything? A cutover starts
//! when the served mix changes (a new version appears, or requests fail),
//! or when the console moves traffic itself; it ends when one version has
//! served every request for a settle period. Its verdict is one line: from
//! → to, how long versions were mixed, the requests in that time, the
//! failed ones by kind, the longest gap without a successful answer, the
//! worst latency. Fed whole seconds in order; pure.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use super::ErrorKind;
use super::second::Second;
use crate::domain::At;

/// Whole seconds of one version alone that end a cutover…
pub const SETTLE: u32 = 2;
/// …and requests in them: at the default 10 requests a second two seconds
/// do; at 1 a second it takes twenty. Twenty answers in a row from one
/// version leave little room for a load balancer still sending some
/// requests to the other (it takes turns between targets).
pub const SETTLE_REQUESTS: u64 = 20;
/// How long a cutover the console expects may wait for the mix to move.
pub const EXPECT_FOR: u64 = 120;

/// The outcome of one cutover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The version served before (none when probing began mid-way).
    pub from: Option<String>,
    pub to: String,
    /// From its start (the console's action, or the first changed second)
    /// to the first of the settled ones.
    pub took: Duration,
    /// From the first second that served anything else to the first of the
    /// settled ones.
    pub mixed: Duration,
    pub requests: u64,
    pub failed: BTreeMap<ErrorKind, u64>,
    pub longest_gap: Duration,
    pub worst_latency: Duration,
    /// TLS handshakes in it (a cutover that drops connections shows up as
    /// a burst of them).
    pub handshakes: u64,
    /// The second (of probing) the cutover began.
    pub since: u64,
    /// The second (of probing) whose end settled it: when it was reached.
    pub reached: u64,
}

impl Verdict {
    pub fn failures(&self) -> u64 {
        self.failed.values().sum()
    }

    /// `2 5xx, 1 refused`.
    pub fn failed_words(&self) -> String {
        super::error_words(self.failed.iter().map(|(k, n)| (k, *n)))
    }
}

impl Verdict {
    /// The verdict as one line, naming when its cutover took place: from
    /// its start to the first of the settled seconds (`09:02:21–09:02:42`).
    pub fn describe(&self, span: (At, At)) -> String {
        format!("{}", Line { verdict: self, span: Some(span) })
    }
}

/// A verdict's line, with or without its span.
struct Line<'a> {
    verdict: &'a Verdict,
    span: Option<(At, At)>,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line { verdict: self, span: None }.fmt(f)
    }
}

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.verdict;
        let from = v.from.as_deref().unwrap_or("—");
        let same = v.from.as_deref() == Some(v.to.as_str());
        let span = self.span.map(|(start, end)| format!("{start}–{end} ")).unwrap_or_default();
        // The failures first: a cut line keeps what matters most.
        write!(f, "cutover {span}{from} → {}{}: ", v.to, if same { " (version unchanged)" } else { "" })?;
        match v.failures() {
            0 => write!(f, "0 failed")?,
            n => write!(f, "{n} failed ({})", v.failed_words())?,
        }
        write!(f, " of {} requests, {:.1}s", v.requests, v.took.as_secs_f64())?;
        if v.mixed != v.took {
            write!(f, " (mixed or failing {:.1}s)", v.mixed.as_secs_f64())?;
        }
        write!(
            f,
            ", longest gap {:.1}s, worst latency {}",
            v.longest_gap.as_secs_f64(),
            crate::domain::millis(v.worst_latency)
        )?;
        if v.handshakes > 0 {
            write!(f, ", {} TLS handshake{}", v.handshakes, if v.handshakes == 1 { "" } else { "s" })?;
        }
        Ok(())
    }
}

/// A cutover under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Underway {
    pub from: Option<String>,
    pub since: u64,
    pub requests: u64,
    pub failed: BTreeMap<ErrorKind, u64>,
    pub longest_gap: Duration,
    pub worst_latency: Duration,
    pub handshakes: u64,
    /// Started by the console before the mix moved.
    expected: bool,
    /// The first second that served anything but `from` (another version,
    /// a failure).
    moved: Option<u64>,
    /// The run of seconds served by one version alone (counted into the
    /// cutover if it breaks).
    streak: Option<Streak>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Streak {
    version: String,
    first: u64,
    seconds: u32,
    requests: u64,
    worst: Duration,
    handshakes: u64,
}

impl Underway {
    fn new(from: Option<String>, since: u64, expected: bool) -> Self {
        Self {
            from,
            since,
            requests: 0,
            failed: BTreeMap::new(),
            longest_gap: Duration::ZERO,
            worst_latency: Duration::ZERO,
            handshakes: 0,
            expected,
            moved: None,
            streak: None,
        }
    }

    pub fn failures(&self) -> u64 {
        self.failed.values().sum()
    }

    /// Requests so far, counting the seconds of one version that may yet
    /// end it (the verdict leaves those out once they do).
    pub fn requests_so_far(&self) -> u64 {
        self.requests + self.streak.as_ref().map_or(0, |s| s.requests)
    }

    /// Seconds of one version that turned out not to end the cutover.
    fn fold(&mut self, s: &Streak) {
        self.requests += s.requests;
        self.handshakes += s.handshakes;
        self.worst_latency = self.worst_latency.max(s.worst);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Nothing closed yet.
    Unknown,
    Steady(String),
    Moving(Underway),
}

/// Follows the served mix second by second.
#[derive(Debug, Clone)]
pub struct Cutover {
    state: State,
    settle: u32,
    /// The second (of probing) from which the console expects traffic to
    /// move: seconds before it, still closing when it acted, are not
    /// counted into the cutover.
    expected: Option<u64>,
    /// The last successful answer's due time, for gaps.
    last_ok: Option<Instant>,
}

impl Default for Cutover {
    fn default() -> Self {
        Self { state: State::Unknown, settle: SETTLE, expected: None, last_ok: None }
    }
}

/// The one version a second served alone, without failures.
fn pure(s: &Second) -> Option<&str> {
    match (s.failures, s.versions.len()) {
        (0, 1) => s.versions.keys().next().map(String::as_str),
        _ => None,
    }
}

impl Cutover {
    /// The console is about to move traffic: watch from second `from` on.
    pub fn expect(&mut self, from: u64) {
        self.expected = Some(from);
    }

    /// The cutover under way, if any.
    pub fn running(&self) -> Option<&Underway> {
        match &self.state {
            State::Moving(r) => Some(r),
            _ => None,
        }
    }

    /// One closed second and its answers (due time, success, latency), in
    /// order of due time; gives a verdict when a cutover ends.
    pub fn feed(&mut self, s: &Second, answers: &[(Instant, bool, Duration)]) -> Option<Verdict> {
        if s.requests == 0 {
            return None;
        }
        let expected = self.expected.is_some_and(|from| s.index >= from);
        let classes_changed = match &self.state {
            State::Unknown => pure(s).is_none(),
            State::Steady(v) => pure(s) != Some(v.as_str()),
            State::Moving(_) => false,
        };
        match &self.state {
            State::Unknown if !classes_changed => {
                self.state = State::Steady(pure(s).unwrap_or_default().to_string());
                self.track_gaps(answers, None);
                return None;
            }
            State::Unknown => self.state = State::Moving(Underway::new(None, s.index, false)),
            State::Steady(v) if classes_changed || expected => {
                // An expected cutover whose first second already moved is
                // told apart by `moved`, set just below.
                self.state = State::Moving(Underway::new(Some(v.clone()), s.index, expected));
            }
            State::Steady(_) => {
                self.track_gaps(answers, None);
                return None;
            }
            State::Moving(_) => {}
        }
        if expected {
            self.expected = None;
        }
        let State::Moving(mut run) = std::mem::replace(&mut self.state, State::Unknown) else { unreachable!() };
        self.track_gaps(answers, Some(&mut run));
        if run.moved.is_none() && pure(s) != run.from.as_deref() {
            run.moved = Some(s.index);
        }
        if let Some(v) = pure(s) {
            let mut streak = match run.streak.take() {
                Some(st) if st.version == v => st,
                other => {
                    if let Some(broken) = other {
                        run.fold(&broken);
                    }
                    let worst = Duration::ZERO;
                    Streak { version: v.to_string(), first: s.index, seconds: 0, requests: 0, worst, handshakes: 0 }
                }
            };
            streak.seconds += 1;
            streak.requests += u64::from(s.requests);
            streak.worst = streak.worst.max(s.worst);
            streak.handshakes += u64::from(s.handshakes);
            let settled = streak.seconds >= self.settle && streak.requests >= SETTLE_REQUESTS;
            let back_too_soon = run.expected && run.moved.is_none();
            if settled && !back_too_soon {
                let verdict = Verdict {
                    from: run.from.clone(),
                    to: streak.version.clone(),
                    took: Duration::from_secs(streak.first.saturating_sub(run.since)),
                    mixed: Duration::from_secs(streak.first.saturating_sub(run.moved.unwrap_or(streak.first))),
                    requests: run.requests,
                    failed: run.failed.clone(),
                    longest_gap: run.longest_gap,
                    worst_latency: run.worst_latency,
                    handshakes: run.handshakes,
                    since: run.since,
                    reached: s.index + 1,
                };
                self.state = State::Steady(streak.version);
                return Some(verdict);
            }
            if back_too_soon && s.index.saturating_sub(run.since) > EXPECT_FOR {
                // Expected, but the mix never moved: nothing to judge.
                self.state = State::Steady(streak.version);
                return None;
            }
            run.streak = Some(streak);
        } else {
            if let Some(broken) = run.streak.take() {
                run.fold(&broken);
            }
            run.requests += u64::from(s.requests);
            run.handshakes += u64::from(s.handshakes);
            run.worst_latency = run.worst_latency.max(s.worst);
            for (k, n) in &s.errors {
                *run.failed.entry(k.clone()).or_default() += u64::from(*n);
            }
        }
        self.state = State::Moving(run);
        None
    }

    /// Gaps between successful answers; those ending in a cutover count in it.
    fn track_gaps(&mut self, answers: &[(Instant, bool, Duration)], mut run: Option<&mut Underway>) {
        for (due, ok, _) in answers {
            if !ok {
                continue;
            }
            if let (Some(last), Some(run)) = (self.last_ok, run.as_deref_mut()) {
                run.longest_gap = run.longest_gap.max(due.saturating_duration_since(last));
            }
            self.last_ok = Some(*due);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second of 10 requests: `versions` served (in turn), `failed` of them failed.
    fn second(index: u64, versions: &[&str], failed: u32) -> Second {
        let mut s = Second { index, requests: 10, failures: failed, ..Second::default() };
        for n in 0..(10 - failed) {
            *s.versions.entry(versions[n as usize % versions.len()].to_string()).or_default() += 1;
        }
        if failed > 0 {
            s.errors.insert(ErrorKind::Server(503), failed);
        }
        s.worst = Duration::from_millis(5 + index);
        s
    }

    fn answers(start: Instant, s: &Second) -> Vec<(Instant, bool, Duration)> {
        (0..10)
            .map(|n| {
                (
                    start + Duration::from_millis(s.index * 1000 + n * 100),
                    n >= u64::from(s.failures),
                    Duration::from_millis(3),
                )
            })
            .collect()
    }

    fn play(c: &mut Cutover, seconds: &[Second]) -> Vec<Verdict> {
        let start = Instant::now();
        seconds.iter().filter_map(|s| c.feed(s, &answers(start, s))).collect()
    }

    #[test]
    fn a_clean_switch_is_judged_0_failed() {
        let mut c = Cutover::default();
        let mut seconds: Vec<Second> = (0..3).map(|i| second(i, &["v1"], 0)).collect();
        seconds.extend((3..6).map(|i| second(i, &["v1", "v2"], 0)));
        seconds.extend((6..12).map(|i| second(i, &["v2"], 0)));
        let verdicts = play(&mut c, &seconds);
        assert_eq!(verdicts.len(), 1, "{verdicts:#?}");
        let v = &verdicts[0];
        assert_eq!((v.from.as_deref(), v.to.as_str()), (Some("v1"), "v2"));
        assert_eq!((v.took, v.mixed), (Duration::from_secs(3), Duration::from_secs(3)));
        assert_eq!((v.requests, v.failures()), (30, 0));
        assert_eq!(v.worst_latency, Duration::from_millis(10), "the worst second of the mixed ones");
        assert_eq!(v.longest_gap, Duration::from_millis(100));
        assert_eq!(
            v.to_string(),
            "cutover v1 → v2: 0 failed of 30 requests, 3.0s, longest gap 0.1s, worst latency 10ms"
        );
        assert!(c.running().is_none());
    }

    #[test]
    fn an_outage_between_versions_is_counted_and_its_gap_measured() {
        let mut c = Cutover::default();
        let mut seconds = vec![second(0, &["v1"], 0), second(1, &["v1"], 0)];
        seconds.push(second(2, &["v1"], 10)); // every request failed
        seconds.push(second(3, &["v2"], 4));
        seconds.extend((4..9).map(|i| second(i, &["v2"], 0)));
        let v = play(&mut c, &seconds).pop().expect("a verdict");
        assert_eq!(v.failures(), 14);
        assert_eq!(v.failed_words(), "14 5xx");
        assert_eq!(v.requests, 20);
        // Last success at 1.9 s, next at 3.4 s.
        assert_eq!(v.longest_gap, Duration::from_millis(1500));
        assert!(v.to_string().contains("14 failed (14 5xx)"), "{v}");
    }

    #[test]
    fn a_cutover_that_keeps_failing_does_not_end() {
        let mut c = Cutover::default();
        let mut seconds = vec![second(0, &["v1"], 0)];
        seconds.extend((1..30).map(|i| second(i, &["v2"], 1)));
        assert!(play(&mut c, &seconds).is_empty(), "never 100% of one version");
        assert_eq!(c.running().map(Underway::failures), Some(29));
    }

    #[test]
    fn probing_that_begins_mid_cutover_judges_it_from_nowhere() {
        let mut c = Cutover::default();
        let mut seconds = vec![second(0, &["v1", "v2"], 0)];
        seconds.extend((1..4).map(|i| second(i, &["v2"], 0)));
        let v = play(&mut c, &seconds).pop().expect("a verdict");
        assert_eq!((v.from.as_deref(), v.to.as_str(), v.requests), (None, "v2", 10));
        assert_eq!(v.reached, 3, "settled at the end of second 2");
        assert!(v.to_string().starts_with("cutover — → v2: 0 failed of 10 requests"), "{v}");
    }

    #[test]
    fn a_running_cutover_counts_the_seconds_that_may_end_it() {
        let mut c = Cutover::default();
        play(&mut c, &[second(0, &["v1"], 0), second(1, &["v1", "v2"], 0), second(2, &["v2"], 0)]);
        let run = c.running().expect("not settled after one second");
        assert_eq!((run.requests, run.requests_so_far()), (10, 20));
    }

    #[test]
    fn at_a_low_rate_settling_takes_twenty_requests() {
        let one = |index: u64, v: &str| {
            let mut s = Second { index, requests: 1, ..Second::default() };
            s.versions.insert(v.to_string(), 1);
            s
        };
        let mut c = Cutover::default();
        let start = Instant::now();
        let mut verdicts = Vec::new();
        for (i, v) in (0..3).map(|i| (i, "v1")).chain((3..40).map(|i| (i, "v2"))) {
            let s = one(i, v);
            let answers = [(start + Duration::from_secs(i), true, Duration::from_millis(3))];
            verdicts.extend(c.feed(&s, &answers).map(|v| v.reached));
        }
        assert_eq!(verdicts, [23], "20 one-request seconds of v2, from second 3");
    }

    #[test]
    fn an_expected_cutover_that_never_moves_is_dropped_after_two_minutes() {
        let mut c = Cutover::default();
        let start = Instant::now();
        let feed = |c: &mut Cutover, i: u64| {
            let s = second(i, &["v1"], 0);
            c.feed(&s, &answers(start, &s))
        };
        feed(&mut c, 0);
        c.expect(1);
        for i in 1..=(1 + EXPECT_FOR) {
            assert!(feed(&mut c, i).is_none());
        }
        assert!(c.running().is_some(), "still waiting {EXPECT_FOR} s after the key");
        assert!(feed(&mut c, 2 + EXPECT_FOR).is_none());
        assert!(c.running().is_none(), "given up after {EXPECT_FOR} s: nothing to judge");
    }

    #[test]
    fn an_expected_cutover_starts_at_the_second_of_the_action_not_at_the_next_one_closed() {
        // Seconds close late (each waits for its slowest request): the
        // console acts in second 5 while seconds 1 to 4 are still open.
        let mut c = Cutover::default();
        let start = Instant::now();
        let feed = |c: &mut Cutover, i: u64, v: &str| {
            let s = second(i, &[v], 0);
            c.feed(&s, &answers(start, &s))
        };
        feed(&mut c, 0, "v1");
        c.expect(5);
        for i in 1..5 {
            assert!(feed(&mut c, i, "v1").is_none());
            assert!(c.running().is_none(), "second {i} came before the action");
        }
        assert!(feed(&mut c, 5, "v1").is_none());
        assert_eq!(c.running().map(|r| r.since), Some(5), "judged from the action's second");
        let verdict = (6..9).find_map(|i| feed(&mut c, i, "v2")).expect("v2 settles it");
        assert_eq!((verdict.since, verdict.took), (5, Duration::from_secs(1)));
    }

    #[test]
    fn an_expected_cutover_waits_for_the_mix_to_move() {
        let mut c = Cutover::default();
        let start = Instant::now();
        assert!(c.feed(&second(0, &["v1"], 0), &answers(start, &second(0, &["v1"], 0))).is_none());
        c.expect(1);
        let mut seconds: Vec<Second> = (1..10).map(|i| second(i, &["v1"], 0)).collect();
        assert!(seconds.iter().all(|s| c.feed(s, &answers(start, s)).is_none()), "v1 alone does not end it");
        assert!(c.running().is_some());
        seconds = (10..20).map(|i| second(i, &["v2"], 0)).collect();
        let verdicts: Vec<Verdict> = seconds.iter().filter_map(|s| c.feed(s, &answers(start, s))).collect();
        assert_eq!(verdicts.len(), 1);
        assert_eq!(verdicts[0].since, 1, "it began when the console acted");
        assert_eq!(verdicts[0].took, Duration::from_secs(9));
        assert_eq!(verdicts[0].mixed, Duration::ZERO, "v1 to v2 from one second to the next");
        assert!(
            verdicts[0].to_string().contains("0 failed of 90 requests, 9.0s (mixed or failing 0.0s)"),
            "{}",
            verdicts[0]
        );
    }
}
