//! The event log, newest first. Focused, it scrolls and its first row is
//! the selected entry (highlighted; Enter shows it whole). A row too long
//! for the panel ends in `…`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::fit;
use super::theme::Theme;
use crate::app::{App, Focus};

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let focused = app.focus() == Focus::Events;
    let scrolled = if app.log_scroll() > 0 { format!(" ↑{} newer", app.log_scroll()) } else { String::new() };
    let marker = if focused { "▶ " } else { "" };
    let hint = if focused { "  Enter: whole" } else { "" };
    let title = Span::styled(format!(" {marker}Events ({}){scrolled}{hint} ", app.log().len()), theme.title());
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let lines: Vec<Line> = app
        .log()
        .newest()
        .skip(app.log_scroll())
        .take(usize::from(inner.height))
        .enumerate()
        .map(|(n, e)| {
            let line = Line::from(vec![
                Span::styled(format!("{} ", e.at), theme.dim()),
                Span::styled(e.text.clone(), theme.tone(e.tone)),
            ]);
            let line = fit(line, width);
            if focused && n == 0 { line.patch_style(theme.selected()) } else { line }
        })
        .collect();
    let body = if lines.is_empty() { vec![Line::styled("nothing has changed yet", theme.dim())] } else { lines };
    frame.render_widget(Paragraph::new(body).block(block), area);
}
