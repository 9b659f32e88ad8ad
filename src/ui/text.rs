//! Fitting text to the screen without hiding that it was fitted: a line
//! too long for its row ends in `…`; wrapped text breaks between words,
//! continues indented under where its text began, and a word too long for a
//! row (an ARN, a CLI argument) is broken with `↵` at the end of each piece,
//! never silently.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// Marks a word broken across rows.
pub const BROKEN: char = '↵';

fn width_of(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Display width of a string.
pub fn width(s: &str) -> usize {
    s.chars().map(width_of).sum()
}

/// `s` in at most `max` columns; a cut ends in `…`.
pub fn cut(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = width_of(c);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// A line in at most `max` columns: the spans that fit, and `…` where the
/// rest was cut.
pub fn fit(line: Line<'static>, max: usize) -> Line<'static> {
    if line.width() <= max {
        return line;
    }
    let mut spans = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let w = width(&span.content);
        if used + w < max {
            used += w;
            spans.push(span);
            continue;
        }
        let room = max - used;
        spans.push(Span::styled(cut(&span.content, room.max(1)), span.style));
        break;
    }
    if !spans.last().is_some_and(|s| s.content.ends_with('…')) && max > 0 {
        spans.push(Span::raw("…"));
    }
    Line::from(spans).style(line.style)
}

/// Wraps `text` to `max` columns: the first row starts with `prefix`, the
/// following ones with as many spaces, so wrapped text stays under where
/// it began. Breaks between words; a word longer than a row is broken with
/// [`BROKEN`] at the end of each piece.
pub fn wrap(prefix: &str, text: &str, style: Style, max: usize) -> Vec<Line<'static>> {
    let indent = width(prefix);
    let room = max.saturating_sub(indent).max(2);
    let mut rows: Vec<String> = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let w = width(word);
        if used > 0 && used + 1 + w <= room {
            row.push(' ');
            row.push_str(word);
            used += 1 + w;
            continue;
        }
        if used > 0 {
            rows.push(std::mem::take(&mut row));
        }
        if w <= room {
            row.push_str(word);
            used = w;
            continue;
        }
        // Too long for any row: break it, after a separator where one is
        // near (`,` `/` `:` `=`), and mark each break.
        let mut rest: Vec<char> = word.chars().collect();
        loop {
            let total: usize = rest.iter().copied().map(width_of).sum();
            if total <= room {
                break;
            }
            let mut fits = 0;
            let mut w = 0;
            for &c in &rest {
                if w + width_of(c) + 1 > room {
                    break;
                }
                w += width_of(c);
                fits += 1;
            }
            let fits = fits.max(1);
            let at = rest[..fits]
                .iter()
                .rposition(|c| matches!(c, ',' | '/' | ':' | '='))
                .filter(|&i| i + 1 >= fits / 2)
                .map_or(fits, |i| i + 1);
            let mut piece: String = rest.drain(..at).collect();
            piece.push(BROKEN);
            rows.push(piece);
        }
        row = rest.iter().collect();
        used = width(&row);
    }
    if used > 0 || rows.is_empty() {
        rows.push(row);
    }
    let pad = " ".repeat(indent);
    rows.into_iter()
        .enumerate()
        .map(|(n, r)| {
            let lead = if n == 0 { prefix.to_string() } else { pad.clone() };
            Line::from(vec![Span::styled(lead, style), Span::styled(r, style)])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn cut_marks_what_it_cuts() {
        assert_eq!(cut("i-0123456789abcdef0", 19), "i-0123456789abcdef0");
        assert_eq!(cut("i-0123456789abcdef0", 10), "i-0123456…");
        assert_eq!(width(&cut("i-0123456789abcdef0", 10)), 10);
    }

    #[test]
    fn fit_ends_in_an_ellipsis() {
        let line = Line::from(vec![Span::raw("09:00:00 "), Span::raw("ASG CodeDeploy_bluegreen-dg_d-ABC deleted")]);
        let fitted = fit(line.clone(), 30);
        assert_eq!(fitted.to_string(), "09:00:00 ASG CodeDeploy_blueg…");
        assert_eq!(fitted.width(), 30);
        assert_eq!(fit(line.clone(), 200), line);
    }

    #[test]
    fn wrap_indents_under_the_text_and_marks_broken_words() {
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bluegreen-tg/7c2ba16e19bce068";
        let rows = wrap("  1. ", &format!("autoscaling Attach TargetGroupARNs={arn}"), Style::new(), 40);
        let text = texts(&rows);
        assert_eq!(text[0], "  1. autoscaling Attach");
        assert!(text[1..].iter().all(|r| r.starts_with("     ") && width(r) <= 40), "{text:#?}");
        assert!(text[1].ends_with(BROKEN), "{text:#?}");
        let joined: String =
            text[1..].iter().map(|r| r.trim_start().trim_end_matches(BROKEN)).collect::<Vec<_>>().concat();
        assert_eq!(joined, format!("TargetGroupARNs={arn}"), "nothing is lost");
        assert_eq!(texts(&wrap("- ", "short", Style::new(), 40)), ["- short"]);
    }
}
