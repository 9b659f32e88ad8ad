//! What the load balancer actually serves, from the prober: the share of
//! each version (and of failed requests) over the last seconds, one cell per recent request (its
//! version's digit, or ✗ for a failure), request rate, failures, latency.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::cut;
use super::theme::Theme;
use crate::app::App;
use crate::probe::Outcome;

/// Seconds the version shares are taken over.
const SHARE_SECONDS: usize = 5;
/// Seconds failures are counted over.
const FAIL_SECONDS: usize = 60;

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let url = cut(&app.url, area.width.saturating_sub(14) as usize);
    let block = Block::bordered().title(Span::styled(format!(" Traffic  {url} "), theme.title()));
    let inner = block.inner(area);
    let t = &app.traffic;
    let recent: Vec<_> = t.seconds.iter().rev().take(SHARE_SECONDS).collect();
    let mut versions: BTreeMap<String, u32> = BTreeMap::new();
    for s in &recent {
        for (v, n) in &s.versions {
            *versions.entry(v.clone()).or_default() += n;
        }
    }
    let known: Vec<String> = versions.keys().cloned().collect();
    let failures: u32 = recent.iter().map(|s| s.failures).sum();
    let total: u32 = versions.values().sum::<u32>() + failures;
    let mut lines = Vec::new();
    if recent.is_empty() {
        lines.push(Line::styled("waiting for the first requests…", theme.dim()));
    }
    // Shares of all requests, failures included, so a version never reads
    // 100% while requests fail.
    let bar_room = inner.width.saturating_sub(12) as usize;
    let pct = |n: u32| (n * 100 + total / 2) / total.max(1);
    let bar = |n: u32| "█".repeat((bar_room * pct(n) as usize / 100).max(1));
    for (i, (v, n)) in versions.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("{v:<4}"), theme.version(i).patch(theme.title())),
            Span::styled(bar(*n), theme.version(i)),
            Span::raw(format!(" {}%", pct(*n))),
        ]));
    }
    if failures > 0 {
        lines.push(Line::from(vec![
            Span::styled("✗   ", theme.bad()),
            Span::styled(bar(failures), theme.bad()),
            Span::styled(format!(" {}% failed", pct(failures)), theme.bad()),
        ]));
    }
    lines.push(strip(app, &known, inner.width as usize, theme));
    let last = t.seconds.back();
    let rate = last.map_or(0, |s| s.requests);
    let failed: u32 = t.seconds.iter().rev().take(FAIL_SECONDS).map(|s| s.failures).sum();
    let ms = |d: Option<std::time::Duration>| d.map_or("—".to_string(), |d| format!("{}ms", d.as_millis()));
    let fail_style = if failed > 0 { theme.bad() } else { theme.good() };
    lines.push(Line::from(vec![
        Span::raw(format!("{rate} req/s  ")),
        Span::styled(format!("{failed} failed"), fail_style),
        Span::raw(format!(" (last {FAIL_SECONDS}s)  p50 {}  p99 {}", ms(t.latency(50)), ms(t.latency(99)))),
    ]));
    let gap = t.longest_gap().unwrap_or_default();
    let gap_style = if gap > std::time::Duration::from_secs(1) { theme.bad() } else { theme.plain() };
    lines.push(Line::styled(
        format!("longest gap {:.1}s in the last {} requests", gap.as_secs_f64(), t.recent.len()),
        gap_style,
    ));
    lines.push(Line::styled(format!("total {} requests, {} failed", t.total_requests, t.total_failures), theme.dim()));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// One cell per recent request, newest on the right.
fn strip(app: &App, known: &[String], width: usize, theme: Theme) -> Line<'static> {
    let samples: Vec<_> = app.traffic.recent.iter().rev().take(width).collect();
    let cells = samples.into_iter().rev().map(|s| match &s.outcome {
        Outcome::Served { version, .. } => {
            let v = version.clone().unwrap_or_else(|| "?".into());
            let index = known.iter().position(|k| *k == v).unwrap_or(0);
            let digit = v.chars().last().unwrap_or('?').to_string();
            Span::styled(digit, theme.version(index))
        }
        _ => Span::styled("✗", theme.bad()),
    });
    Line::from(cells.collect::<Vec<_>>())
}
