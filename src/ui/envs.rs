//! The BLUE and GREEN panels side by side (every panel says BLUE or GREEN
//! and original or replacement in words), and the line of idle leftovers.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::cut;
use super::theme::Theme;
use crate::app::{App, Focus};
use crate::domain::{Environment, Instance, TargetState};

pub fn render(app: &App, frame: &mut Frame, areas: [Rect; 2], theme: Theme) {
    let sides = app.obs.as_ref().map(crate::domain::Observation::sides);
    for (index, area) in areas.into_iter().enumerate() {
        let (word, role, colour) =
            if index == 0 { ("BLUE", "original", theme.blue()) } else { ("GREEN", "replacement", theme.green()) };
        let side = sides.as_ref().and_then(|s| if index == 0 { s.blue } else { s.green });
        let env = side.and_then(|(_, e)| e);
        let state = match (side, env) {
            (None, _) => "none yet",
            (Some(_), None) => "gone",
            (Some(_), Some(e)) if e.serving() => "serving",
            _ => "idle",
        };
        let focused = app.focus == if index == 0 { Focus::Blue } else { Focus::Green };
        let marker = if focused { "▶ " } else { "" };
        let title =
            Line::from(vec![Span::styled(format!(" {marker}{word} · {role} · {state} "), colour.patch(theme.title()))]);
        let block = Block::bordered().title(title).border_style(colour);
        let inner = block.inner(area);
        let mut lines = Vec::new();
        match (side, env) {
            (None, _) if index == 1 => lines.push(Line::styled("no deployment yet: press d to deploy", theme.dim())),
            (None, _) => lines.push(Line::styled("no Auto Scaling group", theme.dim())),
            (Some((name, _)), None) => {
                lines.push(Line::raw(cut(name, inner.width as usize)));
                lines.push(Line::styled("deleted: its instances were terminated", theme.dim()));
            }
            (Some(_), Some(env)) => {
                lines.push(summary(app, env, inner.width as usize, theme));
                let rows = inner.height.saturating_sub(1) as usize;
                let selected = app.selected[index];
                let first =
                    selected.saturating_sub(rows.saturating_sub(1)).min(env.instances.len().saturating_sub(rows));
                for (n, inst) in env.instances.iter().enumerate().skip(first).take(rows) {
                    let row = instance_row(inst, inner.width as usize, theme);
                    let row = if focused && n == selected { row.patch_style(theme.selected()) } else { row };
                    lines.push(row);
                }
                if env.instances.is_empty() {
                    lines.push(Line::styled("no instances", theme.dim()));
                }
            }
        }
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}

fn summary(app: &App, env: &Environment, width: usize, theme: Theme) -> Line<'static> {
    let attached = app.obs.as_ref().is_some_and(|o| env.attached_to(&o.load_balancer));
    let what = match app.obs.as_ref().map(|o| &o.load_balancer.kind) {
        Some(crate::domain::LoadBalancerKind::Classic) => "ELB",
        _ => "TG",
    };
    let tail = format!("  {}  {what} {}", env.capacity(), if attached { "attached" } else { "detached" });
    let name = cut(&env.asg, width.saturating_sub(tail.chars().count()).max(8));
    Line::from(vec![
        Span::styled(name, theme.title()),
        Span::styled(tail, if attached { theme.plain() } else { theme.dim() }),
    ])
}

/// `i-0758fdd… 10.200.11.25  InService  healthy   v1`; narrower panels drop the address.
fn instance_row(i: &Instance, width: usize, theme: Theme) -> Line<'static> {
    let target = i.target.as_ref().map_or("—".to_string(), |t| t.state.to_string());
    let target_style = match i.target.as_ref().map(|t| &t.state) {
        Some(TargetState::Healthy) => theme.good(),
        Some(TargetState::Unhealthy | TargetState::UnhealthyDraining) => theme.bad(),
        Some(TargetState::Initial | TargetState::Draining) => theme.warn(),
        _ => theme.dim(),
    };
    let ip = i.private_ip.clone().unwrap_or_default();
    let version = i.version.clone().unwrap_or_else(|| "—".into());
    let mut spans = vec![Span::raw(format!("{:<11}", cut(&i.id, 10)))];
    if width >= 56 {
        spans.push(Span::raw(format!("{ip:<14}")));
    }
    spans.push(Span::raw(format!("{:<11}", cut(i.lifecycle.as_str(), 10))));
    spans.push(Span::styled(format!("{:<10}", cut(&target, 9)), target_style));
    spans.push(Span::styled(version, theme.title()));
    Line::from(spans)
}

pub fn leftovers(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let Some(obs) = &app.obs else { return };
    let left = obs.sides().leftovers;
    let line = if left.is_empty() {
        Line::styled(" no other groups", theme.dim())
    } else {
        let names: Vec<String> = left
            .iter()
            .map(|e| {
                format!(
                    "{} ({} instances{})",
                    e.asg,
                    e.instances.len(),
                    if e.serving() { ", serving" } else { ", idle" }
                )
            })
            .collect();
        Line::from(vec![Span::styled(" other groups: ", theme.dim()), Span::raw(names.join("  "))])
    };
    frame.render_widget(Paragraph::new(line), area);
}
