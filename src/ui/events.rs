//! The event log, newest first, scrollable when focused.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use crate::app::{App, Focus};

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let focused = app.focus == Focus::Events;
    let scrolled = if app.log_scroll > 0 { format!(" ↑{} newer", app.log_scroll) } else { String::new() };
    let marker = if focused { "▶ " } else { "" };
    let title = Span::styled(format!(" {marker}Events ({}){scrolled} ", app.log.len()), theme.title());
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let lines: Vec<Line> = app
        .log
        .newest()
        .skip(app.log_scroll)
        .take(inner.height as usize)
        .map(|e| {
            Line::from(vec![
                Span::styled(format!("{} ", e.at), theme.dim()),
                Span::styled(e.text.clone(), theme.tone(e.tone)),
            ])
        })
        .collect();
    let body = if lines.is_empty() { vec![Line::styled("nothing has changed yet", theme.dim())] } else { lines };
    frame.render_widget(Paragraph::new(body).block(block), area);
}
