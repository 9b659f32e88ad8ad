//! Overlays over the main screen: a plan before it runs, the help generated
//! from the keymap, an instance's lifecycle events with the log tail, and
//! one event log entry whole. Their text is wrapped here, exactly, so the
//! app knows how many rows an overlay has and whether all of them have been
//! on screen; what does not fit scrolls, and the border says "↓ more".

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::centered;
use super::text::{cut, wrap};
use super::theme::Theme;
use crate::app::keymap::KEYMAP;
use crate::app::{App, Overlay, PlanView};
use crate::cloud::plan::{Confirm, Step};
use crate::domain::{Deployment, EventStatus, Target};

/// How many rows an overlay's text has, and how many of them show at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    pub total: usize,
    pub visible: usize,
}

/// An overlay's text, wrapped to its width.
struct Doc {
    title: String,
    body: Vec<Line<'static>>,
    /// Always shown under the body (a plan's prompt).
    footer: Vec<Line<'static>>,
}

/// The widest an overlay gets, in columns.
const MAX_WIDTH: u16 = 110;

/// Narrow screens give an overlay their whole width (no slivers of the
/// panels beneath at its sides); wide ones a comfortable reading width.
fn box_width(area: Rect) -> u16 {
    if area.width < MAX_WIDTH { area.width.max(10) } else { area.width.saturating_sub(6).min(MAX_WIDTH) }
}

fn doc(app: &App, width: usize, theme: Theme) -> Option<Doc> {
    Some(match &app.overlay {
        Overlay::None => return None,
        Overlay::Help => Doc { title: " Keys ".into(), body: help(app, width, theme), footer: Vec::new() },
        Overlay::Plan(view) => plan_doc(view, width, theme),
        Overlay::Instance(id) => {
            Doc { title: format!(" Instance {id} "), body: instance(app, id, width, theme), footer: Vec::new() }
        }
        Overlay::Event(entry) => {
            let mut body = wrap(&format!("{}  ", entry.at), &entry.text, theme.tone(entry.tone), width);
            body.push(Line::raw(""));
            body.push(Line::styled("Esc or Enter closes", theme.dim()));
            Doc { title: " Event ".into(), body, footer: Vec::new() }
        }
    })
}

fn plan_doc(view: &PlanView, width: usize, theme: Theme) -> Doc {
    Doc {
        title: format!(" Plan: {} ", view.plan.title),
        body: plan(view, width, theme),
        footer: prompt(view, width, theme),
    }
}

/// Where the overlay goes and how its rows divide.
fn layout(area: Rect, doc: &Doc) -> (Rect, Rows) {
    let width = box_width(area);
    let max_height = area.height.saturating_sub(2).max(3);
    let wanted = doc.body.len() + doc.footer.len() + 2;
    let height = (wanted.min(usize::from(max_height)) as u16).max(3);
    let visible = usize::from(height - 2).saturating_sub(doc.footer.len());
    (centered(area, width, height), Rows { total: doc.body.len(), visible })
}

/// Rows of the open overlay on a screen of `area`, if one is open.
pub fn rows(app: &App, area: Rect) -> Option<Rows> {
    let width = usize::from(box_width(area) - 2);
    let doc = doc(app, width, Theme { monochrome: true })?;
    Some(layout(area, &doc).1)
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let width = usize::from(box_width(area) - 2);
    let Some(doc) = doc(app, width, theme) else { return };
    let (rect, rows) = layout(area, &doc);
    let scroll = app.overlay_scroll.min(rows.total.saturating_sub(rows.visible));
    frame.render_widget(Clear, rect);
    let mut block = Block::bordered().title(Span::styled(cut(&doc.title, usize::from(rect.width - 2)), theme.title()));
    let below = rows.total.saturating_sub(scroll + rows.visible);
    if below > 0 {
        block = block.title_bottom(Span::styled(format!(" ↓ {below} more (↓/PgDn) "), theme.warn()));
    }
    if scroll > 0 {
        block = block.title_bottom(Line::styled(format!(" ↑ {scroll} above "), theme.dim()).right_aligned());
    }
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let body: Vec<Line> = doc.body.into_iter().skip(scroll).take(rows.visible).collect();
    let body_rows = body.len() as u16;
    frame.render_widget(Paragraph::new(body), Rect { height: inner.height.min(body_rows), ..inner });
    let footer_rows = (doc.footer.len() as u16).min(inner.height);
    let bottom = Rect { y: inner.bottom() - footer_rows, height: footer_rows, ..inner };
    frame.render_widget(Paragraph::new(doc.footer), bottom);
}

fn help(app: &App, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for b in KEYMAP {
        let mut rows = wrap(&format!("{:<7}", b.label), b.help, Style::new(), width);
        if let Some(first) = rows.first_mut() {
            first.spans[0].style = theme.key();
        }
        lines.extend(rows);
    }
    lines.push(Line::raw(""));
    for text in [
        "In a plan: y/Enter runs it, n/Esc cancels, ↑/↓ picks another choice or scrolls, PgUp/PgDn scroll. A plan runs only after all of it has been on screen.",
        "Destructive plans ask for the target's name typed back. ↵ marks a word broken across rows; … marks text cut short (Enter shows an event whole).",
        "Traffic: shares of all requests in the last second, failed ones as their own share; gap is the longest time without a successful answer.",
        "Ctrl-Z suspends (fg resumes); Ctrl-C quits from anywhere; Esc, q or ? close this help.",
    ] {
        lines.extend(wrap("", text, theme.dim(), width));
    }
    if let Some(why) = &app.read_only {
        lines.extend(wrap(
            "Read-only: ",
            &format!("{why}; d, p, r and c are refused and no mutating call is sent."),
            theme.warn(),
            width,
        ));
    }
    if let Some(log) = &app.log_file {
        lines.extend(wrap("Log file: ", log, theme.dim(), width));
    }
    if let Some(audit) = &app.audit_log {
        lines.extend(wrap("Audit log: ", audit, theme.dim(), width));
    }
    lines
}

fn plan(view: &PlanView, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let p = &view.plan;
    let mut lines = Vec::new();
    if p.choices.len() > 1 {
        lines.push(Line::styled("Choose with ↑/↓:", theme.title()));
        for (n, choice) in p.choices.iter().enumerate() {
            let picked = n == p.picked;
            let style = if picked { theme.selected() } else { Style::new() };
            lines.extend(wrap(if picked { "  ▸ " } else { "    " }, choice, style, width));
        }
    }
    lines.push(Line::styled("Checked again when you confirm:", theme.title()));
    for pre in &p.preconditions {
        lines.extend(wrap("  • ", &pre.to_string(), Style::new(), width));
    }
    lines.push(Line::styled("Steps:", theme.title()));
    for (n, step) in p.steps.iter().enumerate() {
        lines.extend(wrap(&format!("  {}. ", n + 1), &step.to_string(), Style::new(), width));
        if let Step::Call(call) = step {
            lines.extend(wrap("     $ ", &call.cli(), theme.dim(), width));
        }
    }
    lines
}

/// The plan's prompt: how to run or cancel it.
fn prompt(view: &PlanView, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let p = &view.plan;
    let keys = |pairs: &[(&str, &str)]| {
        let mut spans = Vec::new();
        for (key, what) in pairs {
            spans.push(Span::styled((*key).to_string(), theme.key()));
            spans.push(Span::raw(format!(" {what}   ")));
        }
        Line::from(spans)
    };
    let line = match (&p.confirm, view.confirming, view.seen_all) {
        (_, true, _) => {
            Line::styled("checking the preconditions against a fresh observation… (Esc cancels)", theme.warn())
        }
        (_, false, false) => keys(&[("↓/PgDn", "read the rest before confirming"), ("Esc", "cancel")]),
        (Confirm::Key, false, true) => keys(&[("y/Enter", "run"), ("n/Esc", "cancel")]),
        (Confirm::Typed(want), false, true) => Line::from(vec![
            Span::raw(format!("type {want} to confirm: ")),
            Span::styled(format!("{}▏", view.typed), theme.selected()),
            Span::raw("   "),
            Span::styled("Enter", theme.key()),
            Span::raw(" run   "),
            Span::styled("Esc", theme.key()),
            Span::raw(" cancel"),
        ]),
    };
    if line.width() <= width {
        return vec![line];
    }
    // A long name to type back: wrap the words, keep the typing visible.
    wrap("", &line.to_string(), Style::new(), width)
}

fn instance(app: &App, id: &str, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let Some(obs) = &app.obs else { return vec![] };
    let mut lines = Vec::new();
    let found = obs.environments.iter().find_map(|e| e.instances.iter().find(|i| i.id == id).map(|i| (e, i)));
    match found {
        Some((env, i)) => {
            let target = i.target.as_ref().map_or("not registered".into(), |t| {
                format!("{}{}", t.state, t.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())
            });
            let zone = i.zone.clone().unwrap_or_default();
            lines.extend(wrap("", &format!("group {}  zone {zone}", env.asg), Style::new(), width));
            let text = format!(
                "{}  {}  {}  target {target}  version {}",
                i.private_ip.clone().unwrap_or_default(),
                i.lifecycle,
                i.health,
                i.version.clone().unwrap_or_else(|| "—".into())
            );
            lines.extend(wrap("", &text, Style::new(), width));
        }
        None => lines.push(Line::styled("this instance is gone", theme.dim())),
    }
    let touched: Vec<_> =
        obs.rolled_back.iter().chain(obs.latest()).filter_map(|d| d.target(id).map(|t| (d, t))).collect();
    if touched.is_empty() {
        lines.extend(wrap(
            "",
            "no lifecycle events: the latest deployment did not touch this instance",
            theme.dim(),
            width,
        ));
    }
    for (d, t) in touched {
        events(&mut lines, d, t, width, theme);
    }
    lines
}

fn events(lines: &mut Vec<Line<'static>>, d: &Deployment, t: &Target, width: usize, theme: Theme) {
    let head = format!("Lifecycle events in {} ({} · {})", d.id, t.label, t.status);
    lines.extend(wrap("", &head, theme.title(), width));
    // The failure first: it is what the user opened this for.
    if let Some(f) = t.failure()
        && let Some(diag) = &f.diagnostics
    {
        let what = format!("{} failed: {} {}", f.hook, diag.error_code, diag.script.clone().unwrap_or_default());
        lines.extend(wrap("", &what, theme.bad(), width));
        lines.extend(wrap("", &diag.message, Style::new(), width));
        lines.push(Line::styled("Log tail:", theme.title()));
        for l in &diag.log_tail {
            lines.extend(wrap("  ", l, theme.dim(), width));
        }
    }
    for e in &t.events {
        let took = match (e.started_at, e.ended_at) {
            (Some(s), Some(f)) => crate::domain::short(f.since(s)),
            (Some(_), None) => "running".into(),
            _ => String::new(),
        };
        let style = match e.status {
            EventStatus::Succeeded => theme.good(),
            EventStatus::Failed => theme.bad(),
            EventStatus::InProgress => theme.warn(),
            _ => theme.dim(),
        };
        let start = e.started_at.map(|s| s.to_string()).unwrap_or_default();
        let row = Line::from(vec![
            Span::raw(format!("  {:<20}", e.hook)),
            Span::styled(format!("{:<11}", e.status), style),
            Span::raw(format!("{start:<9} {took}")),
        ]);
        lines.push(super::text::fit(row, width));
    }
}
