//! The header line: application and group, where the data comes from, the
//! world's time and how old the last observation is. The right-hand part
//! always shows; the middle gives way on narrow screens.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::App;
use crate::domain::short;

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let Some(obs) = app.obs() else {
        let line = Line::from(vec![
            Span::styled(" bluegreen ", theme.title()),
            Span::styled(format!(" {}   waiting for the first observation…", app.source()), theme.dim()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    };
    let left = format!(" {} / {}", obs.group.application, obs.group.name);
    let right = match app.look_failed() {
        Some(f) => {
            let next = f.retry_in.saturating_sub(app.now().since(f.at));
            format!(
                "{}  observed {} ago, last look failed, next in {} ",
                app.now(),
                short(app.now().since(obs.at)),
                short(next)
            )
        }
        None if app.stale_after().is_some_and(|s| app.now().since(obs.at) > s) => {
            format!("{}  observed {} ago (stale) ", app.now(), short(app.now().since(obs.at)))
        }
        None => format!("{}  observed {} ago ", app.now(), short(app.now().since(obs.at))),
    };
    let stale = app.stale_after().is_some_and(|s| app.now().since(obs.at) > s);
    let right_style = if app.look_failed().is_some() || stale { theme.warn() } else { theme.plain() };
    let width = area.width as usize;
    let used = 11 + left.chars().count() + right.chars().count();
    let mut middle = format!("   {}   {}   ", obs.region, app.source());
    if used + middle.chars().count() > width {
        middle = format!("  {}  ", app.source());
    }
    if used + middle.chars().count() > width {
        middle = "  ".into();
    }
    let pad = width.saturating_sub(used + middle.chars().count());
    let line = Line::from(vec![
        Span::styled(" bluegreen ", theme.title()),
        Span::raw(left),
        Span::styled(middle, theme.action()),
        Span::raw(" ".repeat(pad)),
        Span::styled(right, right_style),
    ]);
    frame.render_widget(Paragraph::new(super::fit(line, width)), area);
}
