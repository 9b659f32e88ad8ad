//! `bluegreen probe URL`: the prober alone, on any URL. On a terminal, a
//! small full-screen view (the traffic panel: mix, the strip of recent
//! requests, latency, the cutover under way, verdicts); with `--plain` or
//! when stdout is not a terminal, one line per second and one per verdict;
//! with `--json`, the same as one JSON object per line (see the README's
//! "Probe any URL" section for the fields).

use std::io::Write;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Second, Settings, Traffic, Verdict};
use crate::domain::{At, millis};
use crate::exit::{Failure, SIGINT, SIGPIPE, SIGTERM};

/// The version of the `--json` lines' layout.
pub const SCHEMA_VERSION: u32 = 1;

/// How the results are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Screen,
    Plain,
    Json,
}

/// What `bluegreen probe` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub settings: Settings,
    pub output: Output,
    /// Stop after this long (else at Ctrl-C).
    pub duration: Option<Duration>,
    /// Exit non-zero when a cutover counted a failed request.
    pub fail_on_errors: bool,
    pub monochrome: bool,
}

/// Checks a URL the prober can use: `http://host[:port][/path]`.
pub fn check_url(url: &str) -> Result<(), Failure> {
    let bad = |why: &str| {
        Failure::Usage(format!(
            "'{}' {why} (hint: bluegreen probe http://my-alb-123.us-east-1.elb.amazonaws.com/)",
            crate::domain::clean(url, 80)
        ))
    };
    if url.starts_with("https://") {
        return Err(bad("uses https, which the prober does not speak yet; probe the http listener"));
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(bad("is not an http:// URL"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.parse::<hyper::Uri>().is_err() {
        return Err(bad("is not a valid URL"));
    }
    Ok(())
}

/// What a run measured, for the exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub requests: u64,
    pub failures: u64,
    pub verdicts: u64,
    /// Failed requests counted by verdicts (and by a cutover still under way
    /// at the end).
    pub cutover_failures: u64,
}

impl Summary {
    /// The run's result under `--fail-on-errors`.
    pub fn judge(&self, fail_on_errors: bool) -> Result<(), Failure> {
        if fail_on_errors && self.cutover_failures > 0 {
            return Err(Failure::Failed(format!(
                "{} request(s) failed while versions changed or the URL failed (hint: the verdict and summary lines say when and how)",
                self.cutover_failures
            )));
        }
        Ok(())
    }
}

/// Runs the prober until `--duration` has passed or a signal ends it.
pub async fn run(opts: Options) -> Result<(), Failure> {
    let (tx, samples) = mpsc::channel(4096);
    let settings = Settings { stop_after: opts.duration, ..opts.settings.clone() };
    let clock = Clock::now();
    let prober = super::start_at(settings, clock.start, tx);
    let result = match opts.output {
        Output::Screen => super::screen::run(&opts, clock.start, samples).await,
        Output::Plain | Output::Json => lines(&opts, clock, samples, std::io::stdout()).await,
    };
    prober.abort();
    let summary = result?;
    summary.judge(opts.fail_on_errors)
}

/// Wall-clock times for the prober's seconds.
#[derive(Debug, Clone, Copy)]
struct Clock {
    start: Instant,
    wall: SystemTime,
}

impl Clock {
    fn now() -> Self {
        Self { start: Instant::now(), wall: SystemTime::now() }
    }

    fn wall(&self, second: u64) -> SystemTime {
        self.wall + Duration::from_secs(second)
    }

    fn at(&self, second: u64) -> At {
        At::from(self.wall(second))
    }
}

fn rfc3339(t: SystemTime) -> String {
    aws_smithy_types::DateTime::from(t).fmt(aws_smithy_types::date_time::Format::DateTime).unwrap_or_default()
}

/// One `--plain` line for a second.
fn second_line(clock: &Clock, s: &Second) -> String {
    format!("{} traffic  {s}  worst {}", clock.at(s.index), millis(s.worst))
}

/// One `--json` object for a second.
fn second_json(clock: &Clock, s: &Second) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "type": "second",
        "time": rfc3339(clock.wall(s.index)),
        "second": s.index,
        "requests": s.requests,
        "failed": s.failures,
        "versions": s.versions,
        "errors": errors(s.errors.iter().map(|(k, n)| (k, u64::from(*n)))),
        "worst_ms": ms(s.worst),
    })
}

fn verdict_line(clock: &Clock, v: &Verdict) -> String {
    format!("{} verdict  {v}", clock.at(v.reached))
}

fn verdict_json(clock: &Clock, v: &Verdict) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "type": "verdict",
        "time": rfc3339(clock.wall(v.reached)),
        "from": v.from,
        "to": v.to,
        "since_second": v.since,
        "took_s": v.took.as_secs_f64(),
        "mixed_s": v.mixed.as_secs_f64(),
        "requests": v.requests,
        "failed": v.failures(),
        "errors": errors(v.failed.iter().map(|(k, n)| (k, *n))),
        "longest_gap_ms": ms(v.longest_gap),
        "worst_latency_ms": ms(v.worst_latency),
    })
}

fn summary_json(clock: &Clock, s: &Summary, t: &Traffic) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "type": "summary",
        "time": rfc3339(SystemTime::now()),
        "started": rfc3339(clock.wall),
        "requests": s.requests,
        "failed": s.failures,
        "errors": errors(t.errors.iter().map(|(k, n)| (k, *n))),
        "verdicts": s.verdicts,
        "cutover_failed": s.cutover_failures,
        "cutover_under_way": t.cutover().is_some(),
        "longest_gap_ms": ms(t.longest_gap(Instant::now())),
    })
}

/// Failed requests by kind, keyed by the kind's word (`5xx`, `refused`, …).
fn errors<'a>(kinds: impl Iterator<Item = (&'a super::ErrorKind, u64)>) -> Value {
    json!(super::by_word(kinds))
}

#[expect(clippy::cast_precision_loss, reason = "milliseconds with a fraction, for reading")]
fn ms(d: Duration) -> f64 {
    (d.as_micros() as f64 / 10.0).round() / 100.0
}

fn write_failed(e: &std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Failure::Signal(SIGPIPE);
    }
    Failure::Failed(format!("cannot write the output: {e} (hint: is the disk full?)"))
}

/// `--plain` and `--json`: a line per closed second and per verdict, then a
/// summary.
async fn lines(
    opts: &Options,
    clock: Clock,
    mut samples: mpsc::Receiver<super::Sample>,
    mut out: impl Write,
) -> Result<Summary, Failure> {
    let mut int = signal(SignalKind::interrupt()).map_err(|e| Failure::Failed(e.to_string()))?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| Failure::Failed(e.to_string()))?;
    let mut traffic = Traffic::with_timeout(clock.start, opts.settings.timeout);
    let json = opts.output == Output::Json;
    if !json {
        let line = format!(
            "{} probe    {} at {}/s, timeout {}{}",
            clock.at(0),
            opts.settings.url,
            opts.settings.rate,
            millis(opts.settings.timeout),
            if opts.settings.keep_alive { "" } else { ", a new connection per request" }
        );
        writeln!(out, "{line}").map_err(|e| write_failed(&e))?;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut summary = Summary::default();
    let stopped = loop {
        tokio::select! {
            sample = samples.recv() => match sample {
                Some(s) => { traffic.record(s); continue; }
                // After --duration: every request has answered.
                None => break Ok(()),
            },
            _ = tick.tick() => {}
            _ = int.recv() => break Err(Failure::Signal(SIGINT)),
            _ = term.recv() => break Err(Failure::Signal(SIGTERM)),
        }
        print(&clock, &mut traffic, Instant::now(), json, &mut summary, &mut out)?;
    };
    if stopped.is_ok() {
        // Nothing is in flight: every second may close.
        let all = Instant::now() + traffic.grace() + Duration::from_secs(2);
        print(&clock, &mut traffic, all, json, &mut summary, &mut out)?;
    }
    summary.requests = traffic.total_requests;
    summary.failures = traffic.total_failures;
    if let Some(run) = traffic.cutover() {
        summary.cutover_failures += run.failures();
    }
    let text = if json {
        summary_json(&clock, &summary, &traffic).to_string()
    } else {
        let under_way = traffic.cutover().map_or(String::new(), |r| match &r.from {
            Some(from) => format!("; a cutover from {from} still under way, {} failed in it", r.failures()),
            None => format!("; failing or mixed since the first second, {} failed", r.failures()),
        });
        format!(
            "{} summary  {} requests, {} failed, {} verdict(s){under_way}",
            At::from(SystemTime::now()),
            summary.requests,
            summary.failures,
            summary.verdicts
        )
    };
    writeln!(out, "{text}").and_then(|()| out.flush()).map_err(|e| write_failed(&e))?;
    stopped.map(|()| summary)
}

fn print(
    clock: &Clock,
    traffic: &mut Traffic,
    until: Instant,
    json: bool,
    summary: &mut Summary,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let seconds = traffic.close(until);
    let verdicts = traffic.take_verdicts();
    // Each verdict comes right after the second that settled it.
    let mut lines = Vec::new();
    for s in &seconds {
        lines.push(if json { second_json(clock, s).to_string() } else { second_line(clock, s) });
        for v in verdicts.iter().filter(|v| v.reached == s.index + 1) {
            summary.verdicts += 1;
            summary.cutover_failures += v.failures();
            lines.push(if json { verdict_json(clock, v).to_string() } else { verdict_line(clock, v) });
        }
    }
    for line in lines {
        writeln!(out, "{line}").map_err(|e| write_failed(&e))?;
    }
    out.flush().map_err(|e| write_failed(&e))
}

/// Parses `500ms`, `2s`, `1.5s`, `10m`, `1h` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("'{}' is not a duration (like 500ms, 2s, 10m)", crate::domain::clean(text, 40))),
    };
    let n: f64 = number
        .parse()
        .map_err(|_| format!("'{}' is not a duration (like 500ms, 2s, 10m)", crate::domain::clean(text, 40)))?;
    Duration::try_from_secs_f64(n * scale).map_err(|_| format!("'{}' is out of range", crate::domain::clean(text, 40)))
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn urls() {
        assert!(check_url("http://127.0.0.1:8080/").is_ok());
        assert!(check_url("http://my-alb-1.us-east-1.elb.amazonaws.com").is_ok());
        for bad in ["https://example.com/", "example.com", "http://", "http:///x", "ftp://x/"] {
            let e = check_url(bad).unwrap_err();
            assert_eq!(e.code(), 2, "{bad}");
            assert!(e.line().is_some_and(|l| l.contains("hint")), "{bad}");
        }
    }

    #[test]
    fn fail_on_errors_counts_only_cutover_failures() {
        let quiet = Summary { requests: 100, failures: 3, verdicts: 1, cutover_failures: 0 };
        assert!(quiet.judge(true).is_ok(), "only what the verdicts counted decides");
        let bad = Summary { cutover_failures: 2, ..quiet.clone() };
        assert!(bad.judge(false).is_ok());
        assert_eq!(bad.judge(true).unwrap_err().code(), 1);
    }
}
