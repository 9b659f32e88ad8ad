//! The deployment panel: id, status, elapsed time, what it waits for, the
//! counters (or the error), and lifecycle progress per instance, one
//! symbol per event: ✓ succeeded, ✗ failed, ◌ running, · pending, – skipped.
//! Failed instances come first, then green ones not installed yet; what
//! does not fit is counted on the last row (`↓ 71 more`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use super::{cut, fit};
use crate::app::App;
use crate::domain::{Deployment, DeploymentStatus, EventStatus, Stage, Target, TargetLabel, TargetStatus, short, why};

/// Rows of per-instance progress (and the rolled-back deployment's error)
/// this screen height allows.
pub fn rows(app: &App, height: u16) -> u16 {
    let obs = app.obs();
    let extra = obs.is_some_and(|o| o.rolled_back.is_some());
    let hint = obs.and_then(|o| o.rolled_back.as_ref().or(o.latest())).is_some_and(|d| d.error.is_some());
    let guards = app.green_guards().len() + usize::from(app.drift().is_some());
    let n = obs.and_then(|o| o.latest()).map_or(1, |d| d.targets.len().max(1))
        + usize::from(extra)
        + usize::from(hint)
        + guards;
    (n as u16).min((height.saturating_sub(16) / 4).max(2))
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let latest = app.obs().and_then(|o| o.latest());
    let Some(d) = latest else {
        let block = Block::bordered().title(Span::styled(" Deployment · none yet ", theme.title()));
        let hint =
            Line::styled("no deployment of this group yet: press d to deploy a registered revision", theme.dim());
        frame.render_widget(Paragraph::new(hint).block(block), area);
        return;
    };
    let block = Block::bordered().title(fit(title(app, d, theme), usize::from(area.width.saturating_sub(2))));
    let inner = block.inner(area);
    let mut lines = vec![summary(d, theme)];
    let rolled_back = app.obs().and_then(|o| o.rolled_back.as_ref());
    if let Some(e) = rolled_back.and_then(|r| r.error.as_ref().map(|e| (r, e))) {
        lines.push(Line::styled(format!("rolls back {} after {}: {}", e.0.id, e.1.code, e.1.message), theme.bad()));
    }
    if let Some(f) = why::failure(rolled_back.unwrap_or(d)) {
        lines.push(Line::styled(format!("hint: {}", f.hint), theme.action()));
    }
    for w in app.green_guards() {
        lines.push(Line::styled(format!("⚠ {w}"), theme.bad()));
    }
    if let Some(d) = app.drift() {
        lines.push(Line::styled(format!("⚠ {d}"), theme.warn()));
    }
    let mut targets: Vec<&Target> = d.targets.iter().collect();
    targets.sort_by_key(|t| (attention(t), t.label != TargetLabel::Green));
    let room = (inner.height as usize).saturating_sub(lines.len());
    let shown = if targets.len() > room { room.saturating_sub(1) } else { targets.len() };
    for t in &targets[..shown] {
        lines.push(progress(t, inner.width as usize, theme));
    }
    if shown < targets.len() && room > 0 {
        let hidden = &targets[shown..];
        let failed = hidden.iter().filter(|t| attention(t) == 0).count();
        let text = match failed {
            0 => format!("↓ {} more", hidden.len()),
            n => format!("↓ {} more ({n} failed)", hidden.len()),
        };
        lines.push(Line::styled(text, theme.dim()));
    }
    let lines: Vec<Line> = lines.into_iter().map(|l| fit(l, usize::from(inner.width))).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// How soon a target needs the eye: failed (0), green not installed yet
/// (1), the rest (2). The panel lists them in that order, green first.
fn attention(t: &Target) -> u8 {
    if t.status == TargetStatus::Failed || t.failure().is_some() {
        0
    } else if t.label == TargetLabel::Green
        && !matches!(t.status, TargetStatus::Succeeded | TargetStatus::Ready | TargetStatus::Skipped)
    {
        1
    } else {
        2
    }
}

fn title(app: &App, d: &Deployment, theme: Theme) -> Line<'static> {
    let kind = match (d.is_active(), d.is_rollback()) {
        (true, true) => "Rollback",
        (true, false) => "Deployment",
        (false, true) => "Last: rollback",
        (false, false) => "Last deployment",
    };
    let end = d.completed_at.unwrap_or(app.now());
    let status_style = match d.status {
        DeploymentStatus::Succeeded | DeploymentStatus::Ready => theme.good(),
        DeploymentStatus::Failed | DeploymentStatus::Stopped => theme.bad(),
        _ => theme.action(),
    };
    let rev = d.revision.clone().unwrap_or_default();
    let mut spans = vec![
        Span::styled(format!(" {kind} {} ", d.id), theme.title()),
        Span::raw(format!("{rev} ")),
        Span::styled(format!("{} ", d.status), status_style),
        Span::raw(format!("{} ", short(end.since(d.created_at)))),
    ];
    let waits = match (why::countdown(d, app.now()), d.stage()) {
        (Some(countdown), Stage::Ready) => format!("{countdown} (p: promote now) "),
        (Some(countdown), _) => format!("{countdown} (p: terminate now) "),
        (None, Stage::Installing) => "installing green ".to_string(),
        (None, Stage::TrafficMoving) => "moving traffic ".to_string(),
        _ => String::new(),
    };
    if !waits.is_empty() {
        spans.push(Span::styled(waits, theme.warn()));
    }
    Line::from(spans)
}

fn summary(d: &Deployment, theme: Theme) -> Line<'static> {
    if let Some(e) = &d.error {
        return Line::styled(format!("{}: {}", e.code, e.message), theme.bad());
    }
    let o = d.overview;
    let text = format!(
        "pending {}  in progress {}  ready {}  succeeded {}  failed {}  skipped {}",
        o.pending, o.in_progress, o.ready, o.succeeded, o.failed, o.skipped
    );
    Line::raw(text)
}

fn progress(t: &Target, width: usize, theme: Theme) -> Line<'static> {
    let label_style = if t.label == TargetLabel::Green { theme.green() } else { theme.blue() };
    // Whole ids when the row has room for them and the hook's words.
    let id_width = t.instance_id.chars().count();
    let id_width = if width >= 6 + id_width + 1 + t.events.len() + 36 { id_width } else { 10 };
    let mut spans = vec![
        Span::styled(format!("{:<6}", t.label.as_str().to_lowercase()), label_style),
        Span::raw(format!("{:<w$} ", cut(&t.instance_id, id_width), w = id_width)),
    ];
    for e in &t.events {
        let (mark, style) = match e.status {
            EventStatus::Succeeded => ("✓", theme.good()),
            EventStatus::Failed => ("✗", theme.bad()),
            EventStatus::InProgress => ("◌", theme.warn()),
            EventStatus::Skipped => ("–", theme.dim()),
            _ => ("·", theme.dim()),
        };
        spans.push(Span::styled(mark, style));
    }
    let done = t.events.iter().filter(|e| e.status == EventStatus::Succeeded).count();
    let now = t
        .events
        .iter()
        .find(|e| matches!(e.status, EventStatus::Failed | EventStatus::InProgress))
        .or_else(|| t.events.iter().find(|e| e.status == EventStatus::Pending));
    let text = match now {
        _ if t.status == crate::domain::TargetStatus::Ready => {
            format!(" installed, waits for the reroute ({done}/{})", t.events.len())
        }
        Some(e) if e.status == EventStatus::Failed => match why::hook(e) {
            Some(h) => format!(" {}: {} (Enter: log tail)", e.hook, h.what),
            None => format!(" {} failed (Enter: log tail)", e.hook),
        },
        Some(e) => format!(" {} {} ({done}/{})", e.hook, e.status, t.events.len()),
        None => format!(" {} ({done}/{})", t.status, t.events.len()),
    };
    let style = if t.failure().is_some() { theme.bad() } else { theme.plain() };
    spans.push(Span::styled(text, style));
    Line::from(spans)
}
