//! What an overlay says, row by row, at the width it is shown: a plan before
//! it runs, the help generated from the keymap, an instance's lifecycle
//! events with the log tail, one event log entry whole. The text is wrapped
//! here, on the state side, so the app knows how many rows an overlay has,
//! how many show at once on this screen, and whether every row of a plan
//! has been on screen; the drawing only gives each look its style.

use ratatui::layout::Rect;

use super::keymap::KEYMAP;
use super::log::Tone;
use super::{App, Overlay, PlanView};
use crate::cloud::plan::{Confirm, Step};
use crate::domain::{Deployment, EventStatus, Target};
use crate::text::{fit, width as text_width, wrap};

/// How a piece of an overlay reads; the theme gives each its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Look {
    #[default]
    Plain,
    Title,
    Dim,
    Warn,
    Bad,
    Good,
    Key,
    Selected,
    Tone(Tone),
}

/// One row of an overlay: pieces of text, each with its look, over the
/// row's own look.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    pub pieces: Vec<(String, Look)>,
    pub look: Look,
}

impl Row {
    /// One text in the row's look.
    fn styled(text: impl Into<String>, look: Look) -> Self {
        Self { pieces: vec![(text.into(), Look::Plain)], look }
    }

    fn of(pieces: Vec<(String, Look)>) -> Self {
        Self { pieces, look: Look::Plain }
    }
}

/// An overlay's text, wrapped to its width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub title: String,
    pub body: Vec<Row>,
    /// Always shown under the body (a plan's prompt).
    pub footer: Vec<Row>,
}

/// How many rows an overlay's text has, and how many of them show at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    pub total: usize,
    pub visible: usize,
}

/// An overlay as it shows on a screen: its text, where its box goes, and
/// how its rows divide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub doc: Doc,
    pub area: Rect,
    pub rows: Rows,
}

/// The widest an overlay gets, in columns.
const MAX_WIDTH: u16 = 110;

/// Narrow screens give an overlay their whole width (no slivers of the
/// panels beneath at its sides); wide ones a comfortable reading width.
fn box_width(screen: Rect) -> u16 {
    if screen.width < MAX_WIDTH { screen.width.max(10) } else { screen.width.saturating_sub(6).min(MAX_WIDTH) }
}

/// A rectangle of `width`×`height` centred in `area` (clamped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height }
}

/// The open overlay on a screen of `screen`, if one is open.
pub fn shown(app: &App, screen: Rect) -> Option<Shown> {
    let width = usize::from(box_width(screen) - 2);
    let doc = doc(app, width)?;
    let max_height = screen.height.saturating_sub(2).max(3);
    let wanted = doc.body.len() + doc.footer.len() + 2;
    let height = (wanted.min(usize::from(max_height)) as u16).max(3);
    let visible = usize::from(height - 2).saturating_sub(doc.footer.len());
    let rows = Rows { total: doc.body.len(), visible };
    Some(Shown { area: centered(screen, box_width(screen), height), rows, doc })
}

fn doc(app: &App, width: usize) -> Option<Doc> {
    Some(match &app.overlay {
        Overlay::None => return None,
        Overlay::Help => Doc { title: " Keys ".into(), body: help(app, width), footer: Vec::new() },
        Overlay::Plan(view) => {
            Doc { title: format!(" Plan: {} ", view.plan.title), body: plan(view, width), footer: prompt(view, width) }
        }
        Overlay::Instance(id) => {
            Doc { title: format!(" Instance {id} "), body: instance(app, id, width), footer: Vec::new() }
        }
        Overlay::Event(entry) => {
            let mut body = rows(&format!("{}  ", entry.at), &entry.text, Look::Tone(entry.tone), width);
            body.push(Row::default());
            body.push(Row::styled("Esc or Enter closes", Look::Dim));
            Doc { title: " Event ".into(), body, footer: Vec::new() }
        }
    })
}

/// `text` wrapped to `width` in one look, the first row led by `prefix`.
fn rows(prefix: &str, text: &str, look: Look, width: usize) -> Vec<Row> {
    wrap(prefix, text, width).into_iter().map(|(lead, row)| Row::of(vec![(lead, look), (row, look)])).collect()
}

fn help(app: &App, width: usize) -> Vec<Row> {
    let mut lines = Vec::new();
    for b in KEYMAP {
        let mut wrapped = rows(&format!("{:<7}", b.label), b.help, Look::Plain, width);
        if let Some(first) = wrapped.first_mut() {
            first.pieces[0].1 = Look::Key;
        }
        lines.extend(wrapped);
    }
    lines.push(Row::default());
    for text in [
        "In a plan: y/Enter runs it, n/Esc cancels, ↑/↓ picks another choice or scrolls, PgUp/PgDn scroll. A plan runs only after all of it has been on screen.",
        "Destructive plans ask for the target's name typed back. ↵ marks a word broken across rows; … marks text cut short (Enter shows an event whole).",
        "Traffic: shares of all requests in the last second, failed ones as their own share; gap is the longest time without a successful answer.",
        "Ctrl-Z suspends (fg resumes); Ctrl-C quits from anywhere; Esc, q or ? close this help.",
    ] {
        lines.extend(rows("", text, Look::Dim, width));
    }
    if let Some(why) = &app.read_only {
        let text = format!("{why}; d, p, r and c are refused and no mutating call is sent.");
        lines.extend(rows("Read-only: ", &text, Look::Warn, width));
    }
    if let Some(log) = &app.log_file {
        lines.extend(rows("Log file: ", log, Look::Dim, width));
    }
    if let Some(audit) = &app.audit_log {
        lines.extend(rows("Audit log: ", audit, Look::Dim, width));
    }
    if let Some(recording) = &app.recording {
        lines.extend(rows("Recording: ", recording, Look::Dim, width));
    }
    lines
}

fn plan(view: &PlanView, width: usize) -> Vec<Row> {
    let p = &view.plan;
    let mut lines = Vec::new();
    if p.choices.len() > 1 {
        lines.push(Row::styled("Choose with ↑/↓:", Look::Title));
        for (n, choice) in p.choices.iter().enumerate() {
            let picked = n == p.picked;
            let look = if picked { Look::Selected } else { Look::Plain };
            lines.extend(rows(if picked { "  ▸ " } else { "    " }, choice, look, width));
        }
    }
    if !p.warnings.is_empty() {
        lines.push(Row::styled("Know before you confirm:", Look::Title));
        for w in &p.warnings {
            lines.extend(rows("  ⚠ ", w, Look::Bad, width));
        }
    }
    lines.push(Row::styled("Checked again when you confirm:", Look::Title));
    for pre in &p.preconditions {
        lines.extend(rows("  • ", &pre.to_string(), Look::Plain, width));
    }
    lines.push(Row::styled("Steps:", Look::Title));
    for (n, step) in p.steps.iter().enumerate() {
        lines.extend(rows(&format!("  {}. ", n + 1), &step.to_string(), Look::Plain, width));
        if let Step::Call(call) = step {
            lines.extend(rows("     $ ", &call.cli(), Look::Dim, width));
        }
    }
    lines
}

/// The plan's prompt: how to run or cancel it.
fn prompt(view: &PlanView, width: usize) -> Vec<Row> {
    let p = &view.plan;
    let keys = |pairs: &[(&str, &str)]| {
        Row::of(
            pairs
                .iter()
                .flat_map(|(key, what)| [((*key).to_string(), Look::Key), (format!(" {what}   "), Look::Plain)])
                .collect(),
        )
    };
    let line = match (&p.confirm, view.confirming, view.seen_all) {
        (_, true, _) => {
            Row::styled("checking the preconditions against a fresh observation… (Esc cancels)", Look::Warn)
        }
        (_, false, false) => keys(&[("↓/PgDn", "read the rest before confirming"), ("Esc", "cancel")]),
        (Confirm::Key, false, true) => keys(&[("y/Enter", "run"), ("n/Esc", "cancel")]),
        (Confirm::Typed(want), false, true) => Row::of(vec![
            (format!("type {want} to confirm: "), Look::Plain),
            (format!("{}▏", view.typed), Look::Selected),
            ("   ".into(), Look::Plain),
            ("Enter".into(), Look::Key),
            (" run   ".into(), Look::Plain),
            ("Esc".into(), Look::Key),
            (" cancel".into(), Look::Plain),
        ]),
    };
    let text: String = line.pieces.iter().map(|(t, _)| t.as_str()).collect();
    if text_width(&text) <= width {
        return vec![line];
    }
    // A long name to type back: wrap the words, keep the typing visible.
    rows("", &text, Look::Plain, width)
}

fn instance(app: &App, id: &str, width: usize) -> Vec<Row> {
    let Some(obs) = &app.obs else { return vec![] };
    let mut lines = Vec::new();
    let found = obs.environments.iter().find_map(|e| e.instances.iter().find(|i| i.id == id).map(|i| (e, i)));
    match found {
        Some((env, i)) => {
            let target = i.target.as_ref().map_or("not registered".into(), |t| {
                format!("{}{}", t.state, t.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())
            });
            let zone = i.zone.clone().unwrap_or_default();
            lines.extend(rows("", &format!("group {}  zone {zone}", env.asg), Look::Plain, width));
            let text = format!(
                "{}  {}  {}  target {target}  version {}",
                i.private_ip.clone().unwrap_or_default(),
                i.lifecycle,
                i.health,
                i.version.clone().unwrap_or_else(|| "—".into())
            );
            lines.extend(rows("", &text, Look::Plain, width));
        }
        None => lines.push(Row::styled("this instance is gone", Look::Dim)),
    }
    let touched: Vec<_> =
        obs.rolled_back.iter().chain(obs.latest()).filter_map(|d| d.target(id).map(|t| (d, t))).collect();
    if touched.is_empty() {
        let text = "no lifecycle events: the latest deployment did not touch this instance";
        lines.extend(rows("", text, Look::Dim, width));
    }
    for (d, t) in touched {
        events(&mut lines, d, t, width);
    }
    lines
}

fn events(lines: &mut Vec<Row>, d: &Deployment, t: &Target, width: usize) {
    let head = format!("Lifecycle events in {} ({} · {})", d.id, t.label, t.status);
    lines.extend(rows("", &head, Look::Title, width));
    // The failure first: it is what the user opened this for.
    if let Some(f) = t.failure()
        && let Some(diag) = &f.diagnostics
    {
        let what = format!("{} failed: {} {}", f.hook, diag.error_code, diag.script.clone().unwrap_or_default());
        lines.extend(rows("", &what, Look::Bad, width));
        lines.extend(rows("", &diag.message, Look::Plain, width));
        lines.push(Row::styled("Log tail:", Look::Title));
        for l in &diag.log_tail {
            lines.extend(rows("  ", l, Look::Dim, width));
        }
        if let Some(hint) = crate::domain::why::hook(f).and_then(|h| h.hint) {
            lines.extend(rows("", &format!("hint: {hint}"), Look::Warn, width));
        }
    }
    for e in &t.events {
        let took = match (e.started_at, e.ended_at) {
            (Some(s), Some(f)) => crate::domain::short(f.since(s)),
            (Some(_), None) => "running".into(),
            _ => String::new(),
        };
        let look = match e.status {
            EventStatus::Succeeded => Look::Good,
            EventStatus::Failed => Look::Bad,
            EventStatus::InProgress => Look::Warn,
            _ => Look::Dim,
        };
        let start = e.started_at.map(|s| s.to_string()).unwrap_or_default();
        let row = vec![
            (format!("  {:<20}", e.hook), Look::Plain),
            (format!("{:<11}", e.status), look),
            (format!("{start:<9} {took}"), Look::Plain),
        ];
        lines.push(Row::of(fit(row, width, Look::Plain)));
    }
}
