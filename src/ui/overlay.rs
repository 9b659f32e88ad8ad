//! Draws the open overlay over the main screen: its box, its rows in the
//! looks the state side gave them (see [`crate::app::overlay`], which wraps
//! and measures the text), the rows scrolled past, and "↓ more" where some
//! are hidden below.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::cut;
use super::theme::Theme;
use crate::app::App;
use crate::app::overlay::{Row, shown};

fn line(row: Row, theme: Theme) -> Line<'static> {
    let spans: Vec<Span> = row.pieces.into_iter().map(|(text, look)| Span::styled(text, theme.look(look))).collect();
    Line::from(spans).style(theme.look(row.look))
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let Some(shown) = shown(app, area) else { return };
    let (rect, rows) = (shown.area, shown.rows);
    let scroll = app.overlay_scroll().min(rows.total.saturating_sub(rows.visible));
    frame.render_widget(Clear, rect);
    let title = Span::styled(cut(&shown.doc.title, usize::from(rect.width - 2)), theme.title());
    let mut block = Block::bordered().title(title);
    let below = rows.total.saturating_sub(scroll + rows.visible);
    if below > 0 {
        block = block.title_bottom(Span::styled(format!(" ↓ {below} more (↓/PgDn) "), theme.warn()));
    }
    if scroll > 0 {
        block = block.title_bottom(Line::styled(format!(" ↑ {scroll} above "), theme.dim()).right_aligned());
    }
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let body: Vec<Line> = shown.doc.body.into_iter().skip(scroll).take(rows.visible).map(|r| line(r, theme)).collect();
    let body_rows = body.len() as u16;
    frame.render_widget(Paragraph::new(body), Rect { height: inner.height.min(body_rows), ..inner });
    let footer: Vec<Line> = shown.doc.footer.into_iter().map(|r| line(r, theme)).collect();
    let footer_rows = (footer.len() as u16).min(inner.height);
    let bottom = Rect { y: inner.bottom() - footer_rows, height: footer_rows, ..inner };
    frame.render_widget(Paragraph::new(footer), bottom);
}
