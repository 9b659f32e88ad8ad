//! What the load balancer actually serves, from the prober: the mix of the
//! last whole second (each version's share of all requests, failed
//! requests as a share of their own, by kind: the same numbers the event
//! log and `--plain` print), one cell per recent request (its version's
//! last character, or ✗ for a failure), rate, failures, latency, the
//! longest gap without a successful answer, the cutover under way and the
//! verdicts of those that ended.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use std::collections::VecDeque;

use tokio::time::Instant;

use super::theme::Theme;
use super::{cut, fit};
use crate::app::App;
use crate::domain::{At, millis};
use crate::probe::second::FAILED;
use crate::probe::{Outcome, Traffic, Verdict};

/// What the traffic panel shows: the console's prober, or `bluegreen
/// probe`'s.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// What is probed (empty: nothing).
    pub url: &'a str,
    pub traffic: &'a Traffic,
    /// Verdicts with their cutover's span, oldest first.
    pub verdicts: &'a VecDeque<((At, At), Verdict)>,
    /// The real instant of the last tick (for the gap still open).
    pub now: Instant,
}

impl<'a> View<'a> {
    /// The console's.
    pub fn of(app: &'a App) -> Self {
        Self { url: app.url(), traffic: app.traffic(), verdicts: app.verdicts(), now: app.real_now() }
    }
}

/// Seconds failures are counted over.
const FAIL_SECONDS: usize = 60;

pub fn render(view: &View, frame: &mut Frame, area: Rect, theme: Theme) {
    let url = cut(view.url, area.width.saturating_sub(14) as usize);
    let block = Block::bordered().title(Span::styled(format!(" Traffic  {url} "), theme.title()));
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let t = view.traffic;
    let last = t.seconds.back();
    let mut lines = Vec::new();
    let known: Vec<String> = last.map(|s| s.versions.keys().cloned().collect()).unwrap_or_default();
    match last {
        None if view.url.is_empty() => {
            lines.push(Line::styled("nothing to probe: no load balancer (--url)", theme.dim()));
        }
        None if t.total_requests == 0 => lines.push(Line::styled("waiting for the first requests…", theme.dim())),
        None => lines.push(Line::styled("measuring the first second…", theme.dim())),
        Some(second) => {
            // One scale for every bar, leaving room for the longest words
            // after one (a failure's kinds matter more than its bar).
            let failed_words = |p: u32| format!(" {p}% failed ({})", second.error_words());
            let longest = second
                .mix()
                .iter()
                .map(|(c, p)| if c == FAILED { super::text::width(&failed_words(*p)) } else { 6 })
                .max()
                .unwrap_or(6);
            let bar_room = width.saturating_sub(4 + longest.max(12));
            let bar = |p: u32| "█".repeat((bar_room * p as usize / 100).max(1));
            for (class, p) in second.mix() {
                let line = if class == FAILED {
                    Line::from(vec![
                        Span::styled("✗   ", theme.bad()),
                        Span::styled(bar(p), theme.bad()),
                        Span::styled(failed_words(p), theme.bad()),
                    ])
                } else {
                    let i = known.iter().position(|k| *k == class).unwrap_or(0);
                    Line::from(vec![
                        Span::styled(format!("{class:<4}"), theme.version(i).patch(theme.title())),
                        Span::styled(bar(p), theme.version(i)),
                        Span::raw(format!(" {p}%")),
                    ])
                };
                lines.push(line);
            }
        }
    }
    lines.push(strip(t, &known, width, theme));
    if let Some(second) = last {
        // Rate and failures come from whole seconds only; before the first
        // one closes the total line below says what has been counted.
        let failed: u32 = t.seconds.iter().rev().take(FAIL_SECONDS).map(|s| s.failures).sum();
        let fail_style = if failed > 0 { theme.bad() } else { theme.good() };
        lines.push(Line::from(vec![
            Span::raw(format!("{} req/s  ", second.requests)),
            Span::styled(format!("{failed} failed"), fail_style),
            Span::raw(format!(" in the last {FAIL_SECONDS}s")),
        ]));
    }
    let ms = |d: Option<std::time::Duration>| d.map_or("—".to_string(), millis);
    let gap = t.longest_gap(view.now);
    let gap_style = if gap > std::time::Duration::from_secs(1) { theme.bad() } else { theme.plain() };
    let gap_text = format!("gap {:.1}s", gap.as_secs_f64());
    let [p50, p99] = t.latencies([0.5, 0.99]);
    let mut latency = format!("p50 {}  p99 {}  max {}  ", ms(p50), ms(p99), ms(t.worst_latency()));
    if latency.chars().count() + gap_text.len() > width {
        // Narrow: the gap matters more than the slowest request.
        latency = format!("p50 {}  p99 {}  ", ms(p50), ms(p99));
    }
    lines.push(Line::from(vec![Span::raw(latency), Span::styled(gap_text, gap_style)]));
    if let Some(run) = t.cutover() {
        let what = run
            .from
            .as_deref()
            .map_or_else(|| "unsettled since the start".to_string(), |f| format!("cutover from {f}"));
        let secs = last.map_or(0, |s| s.index.saturating_sub(run.since) + 1);
        let style = if run.failures() > 0 { theme.bad() } else { theme.warn() };
        lines.push(Line::styled(
            format!(
                "{what}: {secs}s, {} req, {} failed, gap {:.1}s",
                run.requests_so_far(),
                run.failures(),
                run.longest_gap.as_secs_f64()
            ),
            style,
        ));
    }
    if !view.verdicts.is_empty() {
        lines.push(Line::styled("Verdicts (newest first):", theme.title()));
        for ((start, end), v) in view.verdicts.iter().rev() {
            let style = if v.failures() == 0 { theme.good() } else { theme.bad() };
            let text = v.to_string();
            let text = text.strip_prefix("cutover ").unwrap_or(&text).to_string();
            let span = Span::styled(format!("{start}–{end} "), theme.dim());
            lines.push(Line::from(vec![span, Span::styled(text, style)]));
        }
    }
    let room = usize::from(inner.height);
    let total = Line::styled(totals(t), theme.dim());
    if lines.len() >= room && room > 0 {
        lines.truncate(room - 1);
    }
    lines.push(total);
    let lines: Vec<Line> = lines.into_iter().map(|l| fit(l, width)).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// `total 120 requests, 0 failed, 3 TLS handshakes`.
fn totals(t: &Traffic) -> String {
    let handshakes = match t.total_handshakes {
        0 => String::new(),
        1 => ", 1 TLS handshake".to_string(),
        n => format!(", {n} TLS handshakes"),
    };
    format!("total {} requests, {} failed{handshakes}", t.total_requests, t.total_failures)
}

/// One cell per recent request, newest on the right.
fn strip(traffic: &Traffic, known: &[String], width: usize, theme: Theme) -> Line<'static> {
    let samples: Vec<_> = traffic.recent.iter().rev().take(width).collect();
    let cells = samples.into_iter().rev().map(|s| match &s.outcome {
        Outcome::Served { version, .. } => {
            let index = known.iter().position(|k| k == version).unwrap_or(0);
            let digit = version.chars().last().unwrap_or('?').to_string();
            Span::styled(digit, theme.version(index))
        }
        Outcome::Failed(_) => Span::styled("✗", theme.bad()),
    });
    Line::from(cells.collect::<Vec<_>>())
}
