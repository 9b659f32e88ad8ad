//! `bluegreen probe` without a screen: with `--plain` (or when stdout is
//! not a terminal) one line per closed second and one per verdict, then a
//! summary; with `--json` the same as one JSON object per line (see the
//! README's "Probe any URL" section for the fields).

use std::io::Write;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Interrupts, Out, SCHEMA_VERSION};
use crate::domain::{At, millis};
use crate::exit::Failure;
use crate::probe::{ErrorKind, Sample, Second, Settings, Traffic, Verdict, by_word};

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
    /// What `traffic` measured, with the verdicts reached.
    pub fn of(traffic: &Traffic, verdicts: &[&Verdict]) -> Self {
        Self {
            requests: traffic.total_requests,
            failures: traffic.total_failures,
            verdicts: verdicts.len() as u64,
            cutover_failures: verdicts.iter().map(|v| v.failures()).sum::<u64>()
                + traffic.cutover().map_or(0, crate::probe::cutover::Underway::failures),
        }
    }

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

/// Wall-clock times for the prober's seconds.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub start: Instant,
    wall: SystemTime,
}

impl Clock {
    pub fn now() -> Self {
        Self { start: Instant::now(), wall: SystemTime::now() }
    }

    /// When second `n` of probing began.
    pub fn at(&self, second: u64) -> At {
        At::from(self.wall + Duration::from_secs(second))
    }

    /// When a verdict's cutover began, and its first settled second.
    pub fn span(&self, v: &Verdict) -> (At, At) {
        let began = self.wall + Duration::from_secs(v.since);
        (At::from(began), At::from(began + v.took))
    }
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
        "time": clock.at(s.index).rfc3339(),
        "second": s.index,
        "requests": s.requests,
        "failed": s.failures,
        "versions": s.versions,
        "errors": errors(s.errors.iter().map(|(k, n)| (k, u64::from(*n)))),
        "worst_ms": ms(s.worst),
        "handshakes": s.handshakes,
        "worst_handshake_ms": ms(s.worst_handshake),
    })
}

fn verdict_line(clock: &Clock, v: &Verdict, insecure: bool) -> String {
    let unverified = if insecure { " (certificates not verified)" } else { "" };
    format!("{} verdict  {}{unverified}", clock.at(v.reached), v.describe(clock.span(v)))
}

fn verdict_json(clock: &Clock, v: &Verdict, insecure: bool) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "type": "verdict",
        "time": clock.at(v.reached).rfc3339(),
        "from": v.from,
        "to": v.to,
        "started": clock.span(v).0.rfc3339(),
        "settled": clock.span(v).1.rfc3339(),
        "since_second": v.since,
        "took_s": v.took.as_secs_f64(),
        "mixed_s": v.mixed.as_secs_f64(),
        "requests": v.requests,
        "failed": v.failures(),
        "errors": errors(v.failed.iter().map(|(k, n)| (k, *n))),
        "longest_gap_ms": ms(v.longest_gap),
        "worst_latency_ms": ms(v.worst_latency),
        "handshakes": v.handshakes,
        "certificates_verified": !insecure,
    })
}

fn summary_json(clock: &Clock, s: &Summary, t: &Traffic) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "type": "summary",
        "time": At::from(SystemTime::now()).rfc3339(),
        "started": clock.at(0).rfc3339(),
        "requests": s.requests,
        "failed": s.failures,
        "errors": errors(t.errors.iter().map(|(k, n)| (k, *n))),
        "verdicts": s.verdicts,
        "handshakes": t.total_handshakes,
        "cutover_failed": s.cutover_failures,
        "cutover_under_way": t.cutover().is_some(),
        "longest_gap_ms": ms(t.longest_gap(Instant::now())),
    })
}

/// Failed requests by kind, keyed by the kind's word (`5xx`, `refused`, …).
fn errors<'a>(kinds: impl Iterator<Item = (&'a ErrorKind, u64)>) -> Value {
    json!(by_word(kinds))
}

#[expect(clippy::cast_precision_loss, reason = "milliseconds with a fraction, for reading")]
fn ms(d: Duration) -> f64 {
    (d.as_micros() as f64 / 10.0).round() / 100.0
}

/// Prints a line per closed second and per verdict until the prober stops
/// (after its `--duration`) or a signal ends the run, then a summary.
pub async fn print(
    settings: &Settings,
    json: bool,
    clock: Clock,
    mut samples: mpsc::Receiver<Sample>,
    notes: &[String],
    out: impl Write,
) -> Result<Summary, Failure> {
    let mut interrupts = Interrupts::new()?;
    let mut out = Out::new(out);
    let mut traffic = Traffic::with_timeout(clock.start, settings.timeout);
    if !json {
        out.line(&format!("{} probe    {}", clock.at(0), settings.describe()))?;
    }
    for text in notes {
        out.line(&note(clock.at(0), text, json))?;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut verdicts = Vec::new();
    let stopped = loop {
        tokio::select! {
            sample = samples.recv() => match sample {
                Some(s) => { traffic.record(s); continue; }
                // After --duration: every request has answered.
                None => break Ok(()),
            },
            _ = tick.tick() => {}
            failure = interrupts.recv() => break Err(failure),
        }
        for (at, text) in settings.certificates.take_changes() {
            let at = clock.at(0) + at.saturating_duration_since(clock.start);
            out.line(&note(at, &text, json))?;
        }
        verdicts.extend(print_closed(settings.tls.insecure, &clock, &mut traffic, Instant::now(), json, &mut out)?);
    };
    if stopped.is_ok() {
        // Nothing is in flight: every second may close.
        let all = Instant::now() + traffic.grace() + Duration::from_secs(2);
        verdicts.extend(print_closed(settings.tls.insecure, &clock, &mut traffic, all, json, &mut out)?);
    }
    let summary = Summary::of(&traffic, &verdicts.iter().collect::<Vec<_>>());
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
    out.line(&text)?;
    stopped.map(|()| summary)
}

/// A note (a redirect, a certificate that changed) as a line or an object.
fn note(at: At, text: &str, json: bool) -> String {
    if json {
        json!({"schema_version": SCHEMA_VERSION, "type": "note", "time": at.rfc3339(), "text": text}).to_string()
    } else {
        format!("{at} note     {text}")
    }
}

/// Closes the seconds whose requests have all ended by `until` and prints
/// them, each verdict right after the second that settled it; gives the
/// verdicts.
fn print_closed(
    insecure: bool,
    clock: &Clock,
    traffic: &mut Traffic,
    until: Instant,
    json: bool,
    out: &mut Out<impl Write>,
) -> Result<Vec<Verdict>, Failure> {
    let seconds = traffic.close(until);
    let verdicts = traffic.take_verdicts();
    let mut lines = Vec::new();
    for s in &seconds {
        lines.push(if json { second_json(clock, s).to_string() } else { second_line(clock, s) });
        for v in verdicts.iter().filter(|v| v.reached == s.index + 1) {
            lines.push(if json {
                verdict_json(clock, v, insecure).to_string()
            } else {
                verdict_line(clock, v, insecure)
            });
        }
    }
    out.lines(lines.iter().map(String::as_str))?;
    Ok(verdicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_errors_counts_only_cutover_failures() {
        let quiet = Summary { requests: 100, failures: 3, verdicts: 1, cutover_failures: 0 };
        assert!(quiet.judge(true).is_ok(), "only what the verdicts counted decides");
        let bad = Summary { cutover_failures: 2, ..quiet.clone() };
        assert!(bad.judge(false).is_ok());
        assert_eq!(bad.judge(true).unwrap_err().code(), 1);
    }
}
