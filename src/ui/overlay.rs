//! Overlays over the main screen: a plan before it runs, the help generated
//! from the keymap, and an instance's lifecycle events with the log tail.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme::Theme;
use super::{centered, cut};
use crate::app::keymap::KEYMAP;
use crate::app::{App, Overlay, PlanView};
use crate::cloud::plan::{Confirm, Step};

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    // The footer line (a plan's prompt) always shows; the body is cut first.
    let (title, lines, footer) = match &app.overlay {
        Overlay::None => return,
        Overlay::Help => (" Keys ".to_string(), help(theme), None),
        Overlay::Plan(view) => {
            // Every step must show; the `aws` CLI lines go first when room is short.
            let full = plan(view, area.width, true, theme);
            let room = usize::from(area.height.saturating_sub(5));
            let inner = usize::from(area.width.saturating_sub(10)).max(1);
            let lines = if wrapped_height(&full, inner) > room { plan(view, area.width, false, theme) } else { full };
            (format!(" Plan: {} ", view.plan.title), lines, Some(prompt(view, theme)))
        }
        Overlay::Instance(id) => (format!(" Instance {id} "), instance(app, id, theme), None),
    };
    let width = area.width.saturating_sub(8).min(110);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let wrapped = wrapped_height(&lines, inner) + footer.as_ref().map_or(0, |l| l.width().max(1).div_ceil(inner));
    let height = (wrapped as u16 + 2).min(area.height.saturating_sub(2));
    let rect = centered(area, width, height.max(5));
    frame.render_widget(Clear, rect);
    let block = Block::bordered().title(Span::styled(cut(&title, rect.width as usize - 2), theme.title()));
    let body = block.inner(rect);
    frame.render_widget(block, rect);
    let footer_rows = footer.as_ref().map_or(0, |l| l.width().max(1).div_ceil(inner) as u16).min(body.height);
    let [text, bottom] = Layout::vertical([Constraint::Min(0), Constraint::Length(footer_rows)]).areas(body);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
    if let Some(footer) = footer {
        frame.render_widget(Paragraph::new(footer).wrap(Wrap { trim: false }), bottom);
    }
}

/// Rows `lines` take when wrapped at `width`.
fn wrapped_height(lines: &[Line<'_>], width: usize) -> usize {
    lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum()
}

fn help(theme: Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = KEYMAP
        .iter()
        .map(|b| Line::from(vec![Span::styled(format!("{:<7}", b.label), theme.key()), Span::raw(b.help)]))
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled("In a plan: y/Enter runs it, n/Esc cancels, ↑/↓ picks another choice.", theme.dim()));
    lines.push(Line::styled("Destructive plans ask for the target's name typed back.", theme.dim()));
    lines.push(Line::styled("Ctrl-C quits from anywhere; Esc, q or ? close this help.", theme.dim()));
    lines
}

fn plan(view: &PlanView, width: u16, with_cli: bool, theme: Theme) -> Vec<Line<'static>> {
    let p = &view.plan;
    let mut lines = Vec::new();
    if p.choices.len() > 1 {
        lines.push(Line::styled("Choose with ↑/↓:", theme.title()));
        for (n, choice) in p.choices.iter().enumerate() {
            let picked = n == p.picked;
            let text = format!("  {} {}", if picked { "▸" } else { " " }, cut(choice, width as usize - 16));
            lines.push(if picked { Line::styled(text, theme.selected()) } else { Line::raw(text) });
        }
    }
    lines.push(Line::styled("Checked again when you confirm:", theme.title()));
    for pre in &p.preconditions {
        lines.push(Line::raw(format!("  • {pre}")));
    }
    lines.push(Line::styled("Steps:", theme.title()));
    for (n, step) in p.steps.iter().enumerate() {
        lines.push(Line::raw(format!("  {}. {step}", n + 1)));
        if let (Step::Call(call), true) = (step, with_cli) {
            lines.push(Line::styled(format!("     $ {}", call.cli()), theme.dim()));
        }
    }
    lines
}

/// The plan's prompt: how to run or cancel it.
fn prompt(view: &PlanView, theme: Theme) -> Line<'static> {
    let p = &view.plan;
    match (&p.confirm, view.confirming) {
        (_, true) => Line::styled("checking the preconditions against a fresh observation…", theme.warn()),
        (Confirm::Key, false) => Line::from(vec![
            Span::styled("y", theme.key()),
            Span::raw("/"),
            Span::styled("Enter", theme.key()),
            Span::raw(" run   "),
            Span::styled("n", theme.key()),
            Span::raw("/"),
            Span::styled("Esc", theme.key()),
            Span::raw(" cancel"),
        ]),
        (Confirm::Typed(want), false) => Line::from(vec![
            Span::raw(format!("type {want} to confirm: ")),
            Span::styled(format!("{}▏", view.typed), theme.selected()),
            Span::raw("   "),
            Span::styled("Enter", theme.key()),
            Span::raw(" run   "),
            Span::styled("Esc", theme.key()),
            Span::raw(" cancel"),
        ]),
    }
}

fn instance(app: &App, id: &str, theme: Theme) -> Vec<Line<'static>> {
    let Some(obs) = &app.obs else { return vec![] };
    let mut lines = Vec::new();
    let found = obs.environments.iter().find_map(|e| e.instances.iter().find(|i| i.id == id).map(|i| (e, i)));
    match found {
        Some((env, i)) => {
            let target = i
                .target
                .as_ref()
                .map_or("not registered".into(), |t| format!("{} {}", t.state, t.reason.clone().unwrap_or_default()));
            lines.push(Line::raw(format!("group {}  zone {}", env.asg, i.zone.clone().unwrap_or_default())));
            lines.push(Line::raw(format!(
                "{}  {}  {}  target {target}  version {}",
                i.private_ip.clone().unwrap_or_default(),
                i.lifecycle,
                i.health,
                i.version.clone().unwrap_or_else(|| "—".into())
            )));
        }
        None => lines.push(Line::styled("this instance is gone", theme.dim())),
    }
    let touched: Vec<_> =
        obs.rolled_back.iter().chain(obs.latest()).filter_map(|d| d.target(id).map(|t| (d, t))).collect();
    if touched.is_empty() {
        lines.push(Line::styled("no lifecycle events: the latest deployment did not touch this instance", theme.dim()));
    }
    for (d, t) in touched {
        events(&mut lines, d, t, theme);
    }
    lines
}

fn events(lines: &mut Vec<Line<'static>>, d: &crate::domain::Deployment, t: &crate::domain::Target, theme: Theme) {
    lines.push(Line::styled(format!("Lifecycle events in {} ({} · {})", d.id, t.label, t.status), theme.title()));
    // The failure first: on a small screen it is what must fit.
    if let Some(f) = t.failure() {
        if let Some(diag) = &f.diagnostics {
            lines.push(Line::styled(
                format!("{} failed: {} {}", f.name, diag.error_code, diag.script.clone().unwrap_or_default()),
                theme.bad(),
            ));
            lines.push(Line::raw(diag.message.clone()));
            lines.push(Line::styled("Log tail:", theme.title()));
            for l in &diag.log_tail {
                lines.push(Line::styled(format!("  {l}"), theme.dim()));
            }
        }
    }
    for e in &t.events {
        let took = match (e.started_at, e.ended_at) {
            (Some(s), Some(f)) => crate::domain::short(f.since(s)),
            (Some(_), None) => "running".into(),
            _ => String::new(),
        };
        let style = match e.status.as_str() {
            "Succeeded" => theme.good(),
            "Failed" => theme.bad(),
            "InProgress" => theme.warn(),
            _ => theme.dim(),
        };
        let start = e.started_at.map(|s| s.to_string()).unwrap_or_default();
        lines.push(Line::from(vec![
            Span::raw(format!("  {:<20}", e.name)),
            Span::styled(format!("{:<11}", e.status), style),
            Span::raw(format!("{start:<9} {took}")),
        ]));
    }
}
