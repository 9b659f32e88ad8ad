//! The tour: the tutorial's five steps, in the event log's place (`t`
//! switches). Each step is ticked (✓), the current one (▶) says what it is
//! about and what it waits for, and one that stopped holding (✗) says why.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::fit;
use super::text::wrap;
use super::theme::Theme;
use crate::app::App;
use crate::app::tour::Mark;

pub fn render(app: &App, frame: &mut Frame, area: Rect, theme: Theme) {
    let done = app.tour().done();
    let title = Span::styled(format!(" Tour: the tutorial, {done}/5  (t: events) "), theme.title());
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let room = usize::from(inner.height);
    // Every step's title shows; what a step is about gives way first when
    // the panel is short (80×24), then what it waits for is cut with a mark.
    let mut lines = lines(app, width, true, theme);
    if lines.len() > room {
        lines = self::lines(app, width, false, theme);
    }
    if lines.len() > room && room > 0 {
        lines.truncate(room - 1);
        lines.push(Line::styled("… (taller terminal for the rest)", theme.dim()));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn lines(app: &App, width: usize, about: bool, theme: Theme) -> Vec<Line<'static>> {
    let tour = app.tour();
    let mut lines: Vec<Line<'static>> = Vec::new();
    for (step, mark) in tour.marks() {
        let (sign, style) = match mark {
            Mark::Done => ("✓", theme.good()),
            Mark::Current(_) => ("▶", theme.action()),
            Mark::Undone(_) => ("✗", theme.bad()),
            Mark::Open => (" ", theme.dim()),
        };
        lines.push(fit(
            Line::from(vec![
                Span::styled(format!("{sign} {} ", step.number()), style),
                Span::styled(step.title(), style),
            ]),
            width,
        ));
        match mark {
            Mark::Current(why) => {
                if about {
                    lines.extend(wrap("    ", step.about(), theme.plain(), width));
                }
                lines.extend(wrap("    now: ", why, theme.warn(), width));
            }
            Mark::Undone(why) => {
                lines.extend(wrap("    undone: ", why, theme.bad(), width));
            }
            Mark::Done | Mark::Open => {}
        }
    }
    if tour.current().is_none() {
        lines.extend(wrap("", "Done: the tutorial's five steps, checked live.", theme.good(), width));
        if app.source() == "aws" {
            lines.extend(wrap(
                "",
                "Then: bluegreen tutorial down removes the kit (it asks first).",
                theme.plain(),
                width,
            ));
        }
    }
    lines
}
