//! Drawing the fleet: a pure function of `&FleetView`.
//!
//! ```text
//!  bluegreen fleet  us-east-1 · aws · 12 groups in 5 applications · 3 need attention · read 4s ago
//!  APPLICATION  GROUP  STYLE  AUTO SCALING  LOAD BALANCER  DEPLOYMENT  STATUS▲  AGE  WAITS FOR  LEFTOVERS  ATTENTION
//!  rows, the selected one reversed
//!  ↑ 3 above · ↓ 40 more
//!  the filter being typed, a notice, or what failed
//!  keys from the fleet's keymap
//! ```
//!
//! Columns give way by priority when the screen is narrow (leftovers
//! first, then the Auto Scaling groups, the load balancer, the style, the
//! deployment's id, its age); what is left shrinks, and a cell that does
//! not fit ends in `…`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme::Theme;
use super::{cut, fit};
use crate::app::fleet::{Column, FLEET_KEYMAP, FleetView};
use crate::domain::DeploymentStatus;
use crate::domain::fleet::{Attention, Row};
use crate::text::width;

/// The columns in the order they give way when the screen is narrow.
const GIVE_WAY: [Column; 8] = [
    Column::Leftovers,
    Column::Asgs,
    Column::Balancer,
    Column::Style,
    Column::Deployment,
    Column::Age,
    Column::Waits,
    Column::Application,
];

/// The widest a column grows, and the narrowest it shrinks to.
fn bounds(c: Column) -> (usize, usize) {
    match c {
        Column::Application | Column::Group => (28, 8),
        Column::Style | Column::Deployment => (12, 8),
        Column::Asgs | Column::Balancer | Column::Leftovers => (30, 8),
        Column::Status => (10, 6),
        Column::Age => (4, 3),
        Column::Waits | Column::Attention => (26, 8),
    }
}

const GAP: usize = 2;

/// Which columns are drawn, and how wide, in `width` columns.
pub fn layout(view: &FleetView, total: usize) -> Vec<(Column, usize)> {
    let mut cols: Vec<(Column, usize)> = Column::ALL
        .iter()
        .map(|&c| {
            let (max, _) = bounds(c);
            (c, view.widest(c).min(max).max(width(c.title()) + 1))
        })
        .collect();
    let sum = |cols: &[(Column, usize)]| cols.iter().map(|(_, w)| w + GAP).sum::<usize>();
    let total = total.saturating_sub(1);
    for drop in GIVE_WAY {
        if sum(&cols) <= total {
            break;
        }
        cols.retain(|(c, _)| *c != drop);
    }
    // Still too wide: the widest shrink, one column at a time, to their least.
    while sum(&cols) > total {
        let Some(widest) = cols.iter_mut().filter(|(c, w)| *w > bounds(*c).1).max_by_key(|(_, w)| *w) else {
            break;
        };
        widest.1 -= 1;
    }
    cols
}

fn status_style(status: Option<&DeploymentStatus>, theme: Theme) -> Style {
    match status {
        Some(DeploymentStatus::Failed | DeploymentStatus::Stopped) => theme.bad(),
        Some(DeploymentStatus::Succeeded) => theme.good(),
        Some(DeploymentStatus::Ready) => theme.warn(),
        Some(s) if !s.is_final() => theme.action(),
        _ => theme.dim(),
    }
}

fn row_line(view: &FleetView, row: &Row, cols: &[(Column, usize)], theme: Theme) -> Line<'static> {
    let now = view.now();
    let mut spans = vec![Span::raw(" ")];
    for (c, w) in cols {
        let text = cut(&c.cell(row, now), *w);
        let pad = w.saturating_sub(width(&text)) + GAP;
        let style = match c {
            Column::Status => status_style(row.latest.as_ref().map(|l| &l.status), theme),
            Column::Attention if row.attention.iter().any(|a| matches!(a, Attention::Failed | Attention::Stopped)) => {
                theme.bad()
            }
            Column::Attention | Column::Waits => theme.warn(),
            Column::Style if !row.style.is_blue_green() => theme.dim(),
            _ => theme.plain(),
        };
        spans.push(Span::styled(text, style));
        spans.push(Span::raw(" ".repeat(pad)));
    }
    Line::from(spans)
}

/// Draws the whole fleet screen.
pub fn render(view: &FleetView, theme: Theme, frame: &mut Frame) {
    let area = frame.area();
    let w = usize::from(area.width);
    let [head, titles, table, hidden, note, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    // The source is said when it is more than "aws" (a profile).
    let mut said = vec![view.region().to_string()];
    said.extend(view.source().strip_prefix("aws · ").map(|p| format!("profile {p}")));
    if view.read_only() {
        said.push("read-only".into());
    }
    said.push(view.summary());
    let head_line = Line::from(vec![Span::styled(" bluegreen fleet  ", theme.title()), Span::raw(said.join(" · "))]);
    frame.render_widget(Paragraph::new(fit(head_line, w)), head);

    let cols = layout(view, w);
    let (sorted, reversed) = view.sort();
    let mut spans = vec![Span::raw(" ")];
    for (c, cw) in &cols {
        let mark = if *c == sorted { if reversed { "▼" } else { "▲" } } else { "" };
        let title = cut(&format!("{}{mark}", c.title()), *cw);
        let pad = cw.saturating_sub(width(&title)) + GAP;
        spans.push(Span::styled(title, theme.title()));
        spans.push(Span::raw(" ".repeat(pad)));
    }
    frame.render_widget(Paragraph::new(fit(Line::from(spans), w)), titles);

    let visible = usize::from(table.height);
    let selected = view.selected_index();
    let lines: Vec<Line> = view
        .shown()
        .enumerate()
        .skip(view.scroll())
        .take(visible)
        .map(|(i, row)| {
            let line = fit(row_line(view, row, &cols, theme), w);
            if Some(i) == selected { line.style(theme.selected()) } else { line }
        })
        .collect();
    let empty = lines.is_empty();
    frame.render_widget(Paragraph::new(lines), table);
    if empty {
        let words = if !view.loaded() {
            "reading the deployment groups…".to_string()
        } else if view.rows().is_empty() {
            format!("no deployment group in {} (hint: check --region)", view.region())
        } else {
            "no group matches (hint: Esc clears the filter and the attention view)".to_string()
        };
        frame.render_widget(Paragraph::new(Line::styled(format!(" {words}"), theme.dim())), table);
    }

    let above = view.scroll();
    let below = view.shown_len().saturating_sub(view.scroll() + visible);
    let mut parts = Vec::new();
    if above > 0 {
        parts.push(format!("↑ {above} above"));
    }
    if below > 0 {
        parts.push(format!("↓ {below} more"));
    }
    frame.render_widget(Paragraph::new(Line::styled(format!(" {}", parts.join(" · ")), theme.warn())), hidden);

    let note_line = if let Some((text, wrong)) = view.editing() {
        let mut spans =
            vec![Span::styled(" /", theme.key()), Span::raw(text.to_string()), Span::styled("▏", theme.key())];
        if let Some(wrong) = wrong {
            spans.push(Span::styled(format!("  {wrong}"), theme.bad()));
        } else {
            spans.push(Span::styled("  Enter apply · Esc cancel", theme.dim()));
        }
        Line::from(spans)
    } else if let Some(notice) = view.notice() {
        Line::styled(format!(" {notice}"), theme.warn())
    } else if let Some(failed) = view.failures().first() {
        Line::styled(format!(" {failed} (retrying; the rows show the last good read)"), theme.bad())
    } else {
        let mut said = Vec::new();
        if !view.filter().is_empty() {
            said.push(format!("filter: {}", view.filter()));
        }
        if view.attention_only() {
            said.push("attention only".to_string());
        }
        Line::styled(format!(" {}", said.join(" · ")), theme.dim())
    };
    frame.render_widget(Paragraph::new(fit(note_line, w)), note);

    let mut keys = vec![Span::raw(" ")];
    for b in FLEET_KEYMAP {
        let Some(hint) = b.hint else { continue };
        keys.push(Span::styled(b.label, theme.key()));
        keys.push(Span::styled(format!(" {hint}  "), theme.plain()));
    }
    frame.render_widget(Paragraph::new(fit(Line::from(keys), w)), foot);

    if view.help() {
        help(frame, area, theme);
    }
}

/// Every key of the fleet, from its keymap; each description wrapped to
/// the box.
fn help(frame: &mut Frame, area: Rect, theme: Theme) {
    let label_width = FLEET_KEYMAP.iter().map(|b| width(b.label)).max().unwrap_or(0);
    let natural = FLEET_KEYMAP.iter().map(|b| width(b.help)).max().unwrap_or(0) + label_width + 5;
    let box_width = natural.min(usize::from(area.width));
    let inner = box_width.saturating_sub(2);
    let mut lines: Vec<Line> = Vec::new();
    for b in FLEET_KEYMAP {
        let prefix = format!(" {:<label_width$}  ", b.label);
        for (lead, row) in crate::text::wrap(&prefix, b.help, inner) {
            lines.push(Line::from(vec![Span::styled(lead, theme.key()), Span::raw(row)]));
        }
    }
    let room = usize::from(area.height.saturating_sub(2));
    let note = "The fleet only reads; a group's console keeps its keys, --read-only and the audit log.";
    let note: Vec<Line> = crate::text::wrap(" ", note, inner)
        .into_iter()
        .map(|(lead, row)| Line::styled(format!("{lead}{row}"), theme.dim()))
        .collect();
    // The blank line before the note is the first thing a short terminal
    // gives up; what still does not fit is counted at the bottom.
    if lines.len() + 1 + note.len() <= room {
        lines.push(Line::from(""));
    }
    lines.extend(note);
    let hidden = lines.len().saturating_sub(room);
    let rect_h = (lines.len() as u16 + 2).min(area.height);
    let rect_w = box_width as u16;
    let rect = Rect {
        x: area.x + (area.width - rect_w) / 2,
        y: area.y + (area.height - rect_h) / 2,
        width: rect_w,
        height: rect_h,
    };
    frame.render_widget(Clear, rect);
    let mut block = Block::bordered().title(Span::styled(" Fleet keys (Esc closes) ", theme.title()));
    if hidden > 0 {
        block = block.title_bottom(Span::styled(format!(" ↓ {hidden} more in a taller terminal "), theme.warn()));
    }
    let body = block.inner(rect);
    frame.render_widget(block, rect);
    let lines: Vec<Line> = lines.into_iter().map(|l| fit(l, usize::from(body.width))).collect();
    frame.render_widget(Paragraph::new(lines), body);
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::app::fleet::{FleetMsg, fixture};

    fn screen(view: &mut FleetView, width: u16, height: u16) -> Vec<String> {
        view.update(FleetMsg::Resize(width, height));
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| render(view, Theme { monochrome: true }, f)).unwrap();
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect::<String>().trim_end().to_string())
            .collect()
    }

    fn key(view: &mut FleetView, code: KeyCode) {
        view.update(FleetMsg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    #[test]
    fn a_wide_screen_shows_every_column_and_the_sorted_one_marked() {
        let mut view = fixture();
        let lines = screen(&mut view, 160, 12);
        assert_eq!(lines[0], " bluegreen fleet  us-east-1 · 4 groups · 3 apps · 1 need attention · read 0s ago");
        assert_eq!(
            lines[1],
            " APPLICATION▲  GROUP       STYLE     AUTO SCALING    LOAD BALANCER     DEPLOYMENT    STATUS      AGE   WAITS FOR   LEFTOVERS   ATTENTION"
        );
        assert_eq!(
            lines[2],
            " api           api-dg      b/g copy  api-dg-asg      tg/api-dg-tg      d-api-dg      InProgress  2h"
        );
        assert!(lines[4].contains("in-place") && lines[4].ends_with("failed"), "{}", lines[4]);
        assert_eq!(lines[11], " Enter open  / filter  s sort  a attention  ? help  q quit");
        key(&mut view, KeyCode::Char('S'));
        assert!(screen(&mut view, 160, 12)[1].starts_with(" APPLICATION▼"), "reversed");
    }

    #[test]
    fn a_narrow_screen_drops_columns_by_priority_and_cuts_with_an_ellipsis() {
        let mut view = fixture();
        let lines = screen(&mut view, 80, 12);
        assert_eq!(lines[1], " APPLICATION▲  GROUP       STATUS      AGE   WAITS FOR   ATTENTION");
        let lines = screen(&mut view, 40, 12);
        assert_eq!(lines[1], " GROUP       STATUS      ATTENTION");
        let lines = screen(&mut view, 30, 12);
        assert_eq!(lines[1], " GROUP     STATUS   ATTENTI…");
        assert!(lines[2..6].iter().any(|l| l.contains("InProg…")), "{lines:#?}");
        assert!(lines.iter().all(|l| crate::text::width(l) <= 30));
    }

    #[test]
    fn hidden_rows_are_counted_and_the_prompt_and_notices_are_said() {
        let mut view = fixture();
        let lines = screen(&mut view, 80, 7);
        assert_eq!(lines[4], " ↓ 2 more");
        key(&mut view, KeyCode::End);
        assert_eq!(screen(&mut view, 80, 7)[4], " ↑ 2 above");
        key(&mut view, KeyCode::Char('/'));
        key(&mut view, KeyCode::Char('x'));
        assert!(screen(&mut view, 80, 7)[5].starts_with(" /x▏  Enter apply · Esc cancel"));
        key(&mut view, KeyCode::Enter);
        let lines = screen(&mut view, 80, 7);
        assert_eq!(lines[2], " no group matches (hint: Esc clears the filter and the attention view)");
        assert_eq!(lines[5], " filter: x");
        key(&mut view, KeyCode::Esc);
        key(&mut view, KeyCode::Char('a'));
        assert_eq!(screen(&mut view, 80, 7)[5], " attention only");
        view.update(FleetMsg::Active(
            Err(crate::cloud::ApiError::new("ThrottlingException", "Rate exceeded")),
            view.now(),
        ));
        assert!(screen(&mut view, 80, 7)[5].starts_with(" reading the active deployments failed: ThrottlingException"));
    }

    #[test]
    fn before_the_first_read_and_in_an_empty_region() {
        let mut view = FleetView::new("eu-west-1", "aws · prod", true, "", crate::domain::At(0));
        let lines = screen(&mut view, 80, 8);
        assert!(
            lines[0].starts_with(" bluegreen fleet  eu-west-1 · profile prod · read-only · 0 groups"),
            "{}",
            lines[0]
        );
        assert_eq!(lines[2], " reading the deployment groups…");
        view.update(FleetMsg::Groups(Ok(Vec::new()), crate::domain::At(0)));
        assert_eq!(screen(&mut view, 80, 8)[2], " no deployment group in eu-west-1 (hint: check --region)");
        key(&mut view, KeyCode::Char('?'));
        let help = screen(&mut view, 80, 30);
        assert!(help.iter().any(|l| l.contains("Fleet keys (Esc closes)")));
        assert!(help.iter().any(|l| l.contains("only the groups that need attention")));
    }

    #[test]
    fn help_in_a_short_terminal_gives_up_its_blank_line_then_counts_what_it_hides() {
        let mut view = fixture();
        key(&mut view, KeyCode::Char('?'));
        let tall = screen(&mut view, 60, 40);
        let blank_before_note = tall.iter().position(|l| l.contains("The fleet only reads")).unwrap() - 1;
        assert!(tall[blank_before_note].trim_matches(|c: char| c == '│' || c == ' ').is_empty());
        assert!(tall.iter().any(|l| l.contains("audit log.")));
        assert!(!tall.iter().any(|l| l.contains("more in a taller terminal")));
        let rows = tall.iter().filter(|l| l.contains('│')).count();

        // One row short of the box: the blank line goes, the note stays whole.
        let snug = screen(&mut view, 60, rows as u16 + 1);
        assert!(snug.iter().any(|l| l.contains("audit log.")), "{snug:#?}");
        assert!(!snug.iter().any(|l| l.contains("more in a taller terminal")), "{snug:#?}");
        let note = snug.iter().position(|l| l.contains("The fleet only reads")).unwrap();
        assert!(!snug[note - 1].trim_matches(|c: char| c == '│' || c == ' ').is_empty(), "{snug:#?}");

        // Five rows shorter still: four lines hidden, and said.
        let short = screen(&mut view, 60, rows as u16 - 3);
        assert!(short.iter().any(|l| l.contains("↓ 4 more in a taller terminal")), "{short:#?}");
        assert!(!short.iter().any(|l| l.contains("audit log.")));
    }

    /// The style of the first cell that starts `word` on row `y`.
    fn style_of(view: &mut FleetView, y: u16, word: &str) -> ratatui::style::Style {
        view.update(FleetMsg::Resize(160, 12));
        let mut terminal = Terminal::new(TestBackend::new(160, 12)).unwrap();
        terminal.draw(|f| render(view, Theme { monochrome: false }, f)).unwrap();
        let buffer = terminal.backend().buffer();
        let line: String = (0..160).map(|x| buffer[(x, y)].symbol()).collect();
        let at = line.find(word).unwrap_or_else(|| panic!("{word} on row {y}: {line}"));
        let x = line[..at].chars().count() as u16;
        buffer[(x, y)].style()
    }

    #[test]
    fn statuses_and_what_needs_attention_stand_out() {
        use ratatui::style::{Color, Modifier};
        let theme = Theme { monochrome: false };
        let mut view = fixture();
        // Rows by application: api (InProgress), batch (none), web inplace-dg (Failed), web-dg (Succeeded).
        assert_eq!(style_of(&mut view, 2, "InProgress").fg, Some(Color::Cyan));
        assert_eq!(style_of(&mut view, 3, "none").fg, theme.dim().fg);
        assert_eq!(style_of(&mut view, 4, "Failed").fg, Some(Color::Red));
        assert_eq!(style_of(&mut view, 4, "failed").fg, Some(Color::Red), "a failure is red in ATTENTION too");
        assert!(style_of(&mut view, 4, "in-place").add_modifier.contains(Modifier::DIM), "no console: dimmed");
        assert!(!style_of(&mut view, 5, "b/g copy").add_modifier.contains(Modifier::DIM));
        assert_eq!(style_of(&mut view, 5, "Succeeded").fg, Some(Color::Green));
        assert_eq!(style_of(&mut view, 2, "api-dg").fg, Some(Color::Reset), "the rest plain");
        assert_eq!(status_style(Some(&crate::domain::DeploymentStatus::Ready), theme).fg, Some(Color::Yellow));
        assert_eq!(status_style(Some(&crate::domain::DeploymentStatus::Stopped), theme).fg, Some(Color::Red));
    }

    #[test]
    fn the_selected_row_is_reversed_and_the_help_is_centred_whole() {
        use ratatui::style::Modifier;
        let mut view = fixture();
        assert!(style_of(&mut view, 2, "api-dg").add_modifier.contains(Modifier::REVERSED));
        assert!(!style_of(&mut view, 3, "batch-dg").add_modifier.contains(Modifier::REVERSED));
        key(&mut view, KeyCode::Char('?'));
        let lines = screen(&mut view, 120, 40);
        let top = lines.iter().position(|l| l.contains("┌ Fleet keys")).unwrap();
        let bottom = lines.iter().rposition(|l| l.contains('┘')).unwrap();
        let left = lines[top].chars().position(|c| c == '┌').unwrap();
        let right = lines[top].chars().count() - 1;
        assert!(top.abs_diff(39 - bottom) <= 1, "centred from top to bottom: {top}..{bottom}");
        assert!(left.abs_diff(119 - right) <= 1, "centred from side to side: {left}..{right}");
        assert!(lines.iter().any(|l| {
            l.contains("a      only the groups that need attention (failed, stopped, ready, terminating, leftovers)")
        }));
        assert!(lines[bottom - 1].contains("--read-only and the audit log."), "the note, whole: {}", lines[bottom - 1]);
        assert_eq!(lines[top + 1].chars().nth(left + 1), Some(' '), "{}", lines[top + 1]);
    }
}
