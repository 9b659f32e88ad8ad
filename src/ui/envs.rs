//! The BLUE and GREEN panels side by side (every panel says BLUE or GREEN
//! and original or replacement in words), and the line of other groups.
//!
//! A panel's state word says what its group does now: `serving`,
//! `installing`, `installed` (waiting for the reroute),
//! `registering` or `draining` at the load balancer, `idle` (nothing uses
//! it: clean up may delete it), `not serving`, `gone`. Instance ids are
//! shown whole whenever the panel is wide enough to match them with the
//! ids the page shows.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use super::{cut, fit};
use crate::app::{App, Focus};
use crate::domain::{Environment, Instance, Observation, Stage, TargetState};

pub fn render(app: &App, frame: &mut Frame, areas: [Rect; 2], theme: Theme) {
    let sides = app.obs().map(Observation::sides);
    for (index, area) in areas.into_iter().enumerate() {
        let (word, role, colour) =
            if index == 0 { ("BLUE", "original", theme.blue()) } else { ("GREEN", "replacement", theme.green()) };
        let side = sides.as_ref().and_then(|s| if index == 0 { s.blue } else { s.green });
        let env = side.and_then(|(_, e)| e);
        let state = match (side, env, app.obs()) {
            (None, _, _) => "none yet",
            (Some(_), None, _) => "gone",
            (Some(_), Some(e), Some(obs)) => state(obs, e),
            (Some(_), Some(_), None) => "",
        };
        let focused = app.focus() == if index == 0 { Focus::Blue } else { Focus::Green };
        let marker = if focused { "▶ " } else { "" };
        let title = format!(" {marker}{word} · {role} · {state} ");
        let title = Line::from(Span::styled(
            cut(&title, usize::from(area.width.saturating_sub(2))),
            colour.patch(theme.title()),
        ));
        let block = Block::bordered().title(title).border_style(colour);
        let inner = block.inner(area);
        let width = usize::from(inner.width);
        let mut lines = Vec::new();
        match (side, env) {
            (None, _) if index == 1 => lines.push(Line::styled("no deployment yet: press d to deploy", theme.dim())),
            (None, _) => lines.push(Line::styled("no Auto Scaling group", theme.dim())),
            (Some((name, _)), None) => {
                lines.push(Line::raw(name.to_string()));
                lines.push(Line::styled("deleted: its instances were terminated", theme.dim()));
            }
            (Some(_), Some(env)) => {
                lines.push(summary(app, env, width, theme));
                let rows = usize::from(inner.height.saturating_sub(1));
                let selected = app.selected()[index];
                let window = Window::of(selected, rows, env.instances.len());
                let columns = Columns::for_env(env, width);
                for (n, inst) in env.instances.iter().enumerate().skip(window.first).take(window.shown) {
                    let row = instance_row(inst, &columns, theme);
                    let row = if focused && n == selected { row.patch_style(theme.selected()) } else { row };
                    lines.push(row);
                }
                if let Some(marker) = window.marker() {
                    lines.push(Line::styled(marker, theme.dim()));
                }
                if env.instances.is_empty() {
                    lines.push(Line::styled("no instances", theme.dim()));
                }
            }
        }
        let lines: Vec<Line> = lines.into_iter().map(|l| fit(l, width)).collect();
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}

/// Which rows of a list show, around the selected one: when not all fit,
/// the last row says how many are hidden above and below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first: usize,
    pub shown: usize,
    pub total: usize,
}

impl Window {
    pub fn of(selected: usize, rows: usize, total: usize) -> Self {
        if total <= rows {
            return Self { first: 0, shown: total, total };
        }
        let shown = rows.saturating_sub(1);
        let first = selected.saturating_sub(shown.saturating_sub(1)).min(total - shown);
        Self { first, shown, total }
    }

    /// `↓ 31 more`, `↑ 9 above · ↓ 22 more`, `↑ 31 above`; none when all show.
    pub fn marker(&self) -> Option<String> {
        let (above, below) = (self.first, self.total - self.first - self.shown);
        match (above, below) {
            (0, 0) => None,
            (0, b) => Some(format!("↓ {b} more")),
            (a, 0) => Some(format!("↑ {a} above")),
            (a, b) => Some(format!("↑ {a} above · ↓ {b} more")),
        }
    }
}

/// What a group does now, in one word or two.
pub fn state(obs: &Observation, env: &Environment) -> &'static str {
    if env.serving() {
        return "serving";
    }
    let target = |s: &TargetState| env.instances.iter().any(|i| i.target.as_ref().is_some_and(|t| t.state == *s));
    if target(&TargetState::Initial) {
        return "registering";
    }
    if target(&TargetState::Draining) {
        return "draining";
    }
    if let Some(d) = &obs.active {
        let green = d.replacement_asg.as_deref() == Some(env.asg.as_str());
        let blue = d.original_asg.as_deref() == Some(env.asg.as_str());
        match d.stage() {
            Stage::Installing if green => return "installing",
            Stage::Ready if green => return "installed",
            Stage::TerminationWait if blue => return "to be terminated",
            _ => {}
        }
    }
    if obs.idle_groups().iter().any(|e| e.asg == env.asg) { "idle" } else { "not serving" }
}

fn summary(app: &App, env: &Environment, width: usize, theme: Theme) -> Line<'static> {
    let attached = app.obs().is_some_and(|o| env.attached_to(&o.load_balancer));
    let what = match app.obs().map(|o| &o.load_balancer.kind) {
        Some(crate::domain::LoadBalancerKind::Classic) => "ELB",
        _ => "TG",
    };
    let tail = format!("  {}  {what} {}", env.capacity(), if attached { "attached" } else { "detached" });
    let name = cut(&env.asg, width.saturating_sub(super::text::width(&tail)).max(8));
    Line::from(vec![
        Span::styled(name, theme.title()),
        Span::styled(tail, if attached { theme.plain() } else { theme.dim() }),
    ])
}

/// Column widths of the instance rows for one panel.
struct Columns {
    id: usize,
    /// `None`: no room for the address.
    ip: Option<usize>,
    lifecycle: usize,
    target: usize,
}

impl Columns {
    /// Whole ids and every column when they fit; else the address goes,
    /// then ids are cut (with `…`).
    fn for_env(env: &Environment, width: usize) -> Self {
        let longest = |f: &dyn Fn(&Instance) -> usize| env.instances.iter().map(f).max().unwrap_or(0);
        let id = longest(&|i| i.id.chars().count()).max(2);
        let ip = longest(&|i| i.private_ip.as_ref().map_or(0, String::len)).max(2);
        let lifecycle = longest(&|i| i.lifecycle.as_str().chars().count()).max(9);
        let target = longest(&|i| i.target.as_ref().map_or(1, |t| t.state.as_str().len())).max(7);
        let version = longest(&|i| i.version.as_ref().map_or(1, String::len));
        let rest = lifecycle + 1 + target + 1 + version;
        if id + 1 + ip + 1 + rest <= width {
            Self { id, ip: Some(ip), lifecycle, target }
        } else if id + 1 + rest <= width {
            Self { id, ip: None, lifecycle, target }
        } else {
            Self { id: width.saturating_sub(rest + 1).clamp(6, id), ip: None, lifecycle, target }
        }
    }
}

/// `i-0758fddf09af7d8c8 10.200.2.29 InService healthy v1`.
fn instance_row(i: &Instance, c: &Columns, theme: Theme) -> Line<'static> {
    let target = i.target.as_ref().map_or("—".to_string(), |t| t.state.to_string());
    let target_style = match i.target.as_ref().map(|t| &t.state) {
        Some(TargetState::Healthy) => theme.good(),
        Some(TargetState::Unhealthy | TargetState::UnhealthyDraining) => theme.bad(),
        Some(TargetState::Initial | TargetState::Draining) => theme.warn(),
        _ => theme.dim(),
    };
    let version = i.version.clone().unwrap_or_else(|| "—".into());
    let mut spans = vec![Span::raw(format!("{:<w$} ", cut(&i.id, c.id), w = c.id))];
    if let Some(w) = c.ip {
        spans.push(Span::raw(format!("{:<w$} ", i.private_ip.clone().unwrap_or_default())));
    }
    spans.push(Span::raw(format!("{:<w$} ", i.lifecycle.as_str(), w = c.lifecycle)));
    spans.push(Span::styled(format!("{target:<w$} ", w = c.target), target_style));
    spans.push(Span::styled(version, theme.title()));
    Line::from(spans)
}

pub fn leftovers(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let Some(obs) = app.obs() else { return };
    let left = obs.sides().leftovers;
    let line = if left.is_empty() {
        Line::styled(" no other groups", theme.dim())
    } else {
        let names: Vec<String> =
            left.iter().map(|e| format!("{} ({} instances, {})", e.asg, e.instances.len(), state(obs, e))).collect();
        Line::from(vec![Span::styled(" other groups: ", theme.dim()), Span::raw(names.join("  "))])
    };
    frame.render_widget(Paragraph::new(fit(line, usize::from(area.width))), area);
}

#[cfg(test)]
mod tests {
    use super::Window;

    #[test]
    fn a_list_that_does_not_fit_says_how_much_it_hides_and_follows_the_selection() {
        assert_eq!(Window::of(0, 9, 9).marker(), None, "all fit");
        let top = Window::of(0, 9, 40);
        assert_eq!((top.first, top.shown, top.marker().as_deref()), (0, 8, Some("↓ 32 more")));
        let middle = Window::of(20, 9, 40);
        assert_eq!((middle.first, middle.marker().as_deref()), (13, Some("↑ 13 above · ↓ 19 more")));
        assert!((middle.first..middle.first + middle.shown).contains(&20), "the selected row shows");
        let end = Window::of(39, 9, 40);
        assert_eq!((end.first, end.marker().as_deref()), (32, Some("↑ 32 above")));
        // A selection left past the end (the group shrank) shows the end.
        let past = Window::of(45, 9, 40);
        assert_eq!((past.first, past.marker().as_deref()), (32, Some("↑ 32 above")));
    }
}
