//! The status line and the footer of key hints, generated from the keymap;
//! a key that does nothing now is dimmed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::App;
use crate::app::keymap::KEYMAP;

pub fn status(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let line = match app.status() {
        Some(s) => Line::styled(format!(" {}", s.text), theme.tone(s.tone)),
        None => match app.back() {
            Some(back) => Line::styled(format!(" Tab focus  ↑/↓ select  Enter details  Esc {back}"), theme.dim()),
            None => Line::styled(" Tab focus  ↑/↓ select  Enter details", theme.dim()),
        },
    };
    frame.render_widget(Paragraph::new(super::fit(line, usize::from(area.width))), area);
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let mut spans = vec![Span::raw(" ")];
    if app.read_only().is_some() {
        spans.push(Span::styled("read-only  ", theme.warn()));
    }
    for b in KEYMAP {
        let Some(hint) = b.hint else { continue };
        let live = b.action.intent().is_none_or(|i| app.offers(i));
        let (key, word) = if live { (theme.key(), theme.plain()) } else { (theme.dim(), theme.dim()) };
        spans.push(Span::styled(b.label, key));
        spans.push(Span::styled(format!(" {hint}  "), word));
    }
    frame.render_widget(Paragraph::new(super::fit(Line::from(spans), usize::from(area.width))), area);
}
