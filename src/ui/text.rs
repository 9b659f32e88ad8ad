//! [`crate::text`]'s fitting for ratatui's lines: a line cut to its row
//! ends in `…`, wrapped text keeps its style on every row.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub use crate::text::{cut, width};

/// A line in at most `max` columns: the spans that fit, and `…` where the
/// rest was cut.
pub fn fit(line: Line<'static>, max: usize) -> Line<'static> {
    if line.width() <= max {
        return line;
    }
    let style = line.style;
    let pieces = line.spans.into_iter().map(|s| (s.content.into_owned(), s.style)).collect();
    let spans: Vec<Span> = crate::text::fit(pieces, max, Style::new())
        .into_iter()
        .map(|(text, style)| Span::styled(text, style))
        .collect();
    Line::from(spans).style(style)
}

/// Wraps `text` to `max` columns in `style` (see [`crate::text::wrap`]).
pub fn wrap(prefix: &str, text: &str, style: Style, max: usize) -> Vec<Line<'static>> {
    crate::text::wrap(prefix, text, max)
        .into_iter()
        .map(|(lead, row)| Line::from(vec![Span::styled(lead, style), Span::styled(row, style)]))
        .collect()
}
