//! Drawing the console: a pure function of `&App` (no clocks, no I/O). One
//! file per screen region.
//!
//! ```text
//!  header: app / group / source / world time / observation age
//! ┌ BLUE · original · serving ─┐┌ GREEN · replacement · idle ─┐
//! │ asg  capacity  attached     ││ asg  capacity  attached      │
//! │ instances …                 ││ instances …                  │
//! └─────────────────────────────┘└──────────────────────────────┘
//!  leftovers: idle groups
//! ┌ Deployment d-…  status  elapsed  what it waits for ─────────┐
//! │ counters / error; lifecycle progress per instance           │
//! ├ Events ──────────────────────┬ Traffic  URL ─────────────────┤
//! │ newest first                 │ shares, one cell per request  │
//! └──────────────────────────────┴───────────────────────────────┘
//!  status line
//!  footer: key hints from the keymap (dimmed when they do nothing now)
//! ```

pub mod bytes;
mod deployment;
mod envs;
mod events;
pub mod fleet;
mod footer;
mod header;
mod overlay;
mod text;
pub mod theme;
mod tour;
mod traffic;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::app::App;
pub(crate) use text::{cut, fit};
use theme::Theme;
pub use traffic::View as TrafficView;

/// The smallest screen the console draws on.
pub const MIN: (u16, u16) = crate::app::MIN_SIZE;

/// Draws the whole screen.
pub fn render(app: &App, theme: Theme, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN.0 || area.height < MIN.1 {
        return too_small(frame, area, theme);
    }
    let env_rows = rows_for(app.side(0), app.side(1), area.height);
    let dep_rows = deployment::rows(app, area.height);
    let [head, envs, leftovers, dep, bottom, status, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(env_rows + 3),
        Constraint::Length(1),
        Constraint::Length(dep_rows + 3),
        Constraint::Min(5),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(app, frame, head, theme);
    let [blue, green] = Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(envs);
    envs::render(app, frame, [blue, green], theme);
    envs::leftovers(app, frame, leftovers, theme);
    deployment::render(app, frame, dep, theme);
    let [log, traffic_area] =
        Layout::horizontal([Constraint::Percentage(52), Constraint::Percentage(48)]).areas(bottom);
    if app.show_tour() {
        tour::render(app, frame, log, theme);
    } else {
        events::render(app, frame, log, theme);
    }
    traffic::render(&TrafficView::of(app), frame, traffic_area, theme);
    footer::status(app, frame, status, theme);
    footer::render(app, frame, foot, theme);
    overlay::render(app, frame, area, theme);
}

/// Instance rows of the environment panels: as many as the larger group
/// has, within a share of the screen.
fn rows_for(blue: Option<&crate::domain::Environment>, green: Option<&crate::domain::Environment>, height: u16) -> u16 {
    let n = [blue, green].iter().map(|e| e.map_or(1, |e| e.instances.len().max(1))).max().unwrap_or(1);
    let budget = (height.saturating_sub(16) / 3).max(2);
    (n as u16).min(budget)
}

/// `bluegreen probe`'s screen: a title line, the traffic panel, the keys.
pub fn render_probe(view: &TrafficView, title: &str, theme: Theme, frame: &mut Frame) {
    let area = frame.area();
    let [head, body, foot] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let width = usize::from(area.width);
    let head_line = Line::from(vec![
        ratatui::text::Span::styled(" bluegreen probe  ", theme.title()),
        ratatui::text::Span::raw(title.to_string()),
    ]);
    frame.render_widget(Paragraph::new(fit(head_line, width)), head);
    traffic::render(view, frame, body, theme);
    let keys = Line::styled(" q quit  Ctrl-Z suspend", theme.dim());
    frame.render_widget(Paragraph::new(fit(keys, width)), foot);
}

fn too_small(frame: &mut Frame, area: Rect, theme: Theme) {
    let text = vec![
        Line::styled("terminal too small", theme.bad()),
        Line::from(format!("{}×{}: bluegreen needs at least {}×{}", area.width, area.height, MIN.0, MIN.1)),
        Line::from("enlarge the window, or press q to quit"),
    ];
    let y = area.height.saturating_sub(3) / 2;
    let rect = Rect { x: area.x, y: area.y + y, width: area.width, height: area.height.min(3) };
    frame.render_widget(Paragraph::new(text).centered(), rect);
}
