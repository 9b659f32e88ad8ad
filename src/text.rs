//! Text in columns, without hiding that it was fitted: a line too long for
//! its row ends in `…`; wrapped text breaks between words and continues
//! indented under where its text began, and a word too long for a row (an
//! ARN, a CLI argument) is broken with `↵` at the end of each piece, never
//! silently. Pure string work, shared by the state side (which measures
//! overlays) and the drawing.

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

/// Pieces of text, each with its own look, in at most `max` columns: the
/// pieces that fit, and `…` (with the look `mark`) where the rest was cut.
pub fn fit<S: Clone>(pieces: Vec<(String, S)>, max: usize, mark: S) -> Vec<(String, S)> {
    if pieces.iter().map(|(t, _)| width(t)).sum::<usize>() <= max {
        return pieces;
    }
    let mut out = Vec::new();
    let mut used = 0;
    for (text, look) in pieces {
        let w = width(&text);
        if used + w < max {
            used += w;
            out.push((text, look));
            continue;
        }
        let room = max - used;
        out.push((cut(&text, room.max(1)), look));
        break;
    }
    if !out.last().is_some_and(|(t, _)| t.ends_with('…')) && max > 0 {
        out.push(("…".to_string(), mark));
    }
    out
}

/// Wraps `text` to `max` columns: each row as its lead and its text, the
/// first row's lead `prefix`, the following ones as many spaces, so wrapped
/// text stays under where it began. Breaks between words; a word longer
/// than a row is broken with [`BROKEN`] at the end of each piece.
pub fn wrap(prefix: &str, text: &str, max: usize) -> Vec<(String, String)> {
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
    rows.into_iter().enumerate().map(|(n, r)| (if n == 0 { prefix.to_string() } else { pad.clone() }, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[(String, String)]) -> Vec<String> {
        rows.iter().map(|(lead, text)| format!("{lead}{text}")).collect()
    }

    #[test]
    fn cut_marks_what_it_cuts() {
        assert_eq!(cut("i-0123456789abcdef0", 19), "i-0123456789abcdef0");
        assert_eq!(cut("i-0123456789abcdef0", 10), "i-0123456…");
        assert_eq!(width(&cut("i-0123456789abcdef0", 10)), 10);
    }

    #[test]
    fn fit_ends_in_an_ellipsis() {
        let pieces = vec![("09:00:00 ".to_string(), 1), ("ASG CodeDeploy_bluegreen-dg_d-ABC deleted".to_string(), 2)];
        let fitted = fit(pieces.clone(), 30, 0);
        let text: String = fitted.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(text, "09:00:00 ASG CodeDeploy_blueg…");
        assert_eq!(width(&text), 30);
        assert_eq!(fitted.iter().map(|(_, s)| *s).collect::<Vec<_>>(), [1, 2], "each piece keeps its look");
        assert_eq!(fit(pieces.clone(), 200, 0), pieces);
    }

    #[test]
    fn wrap_indents_under_the_text_and_marks_broken_words() {
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bluegreen-tg/7c2ba16e19bce068";
        let text = texts(&wrap("  1. ", &format!("autoscaling Attach TargetGroupARNs={arn}"), 40));
        assert_eq!(text[0], "  1. autoscaling Attach");
        assert!(text[1..].iter().all(|r| r.starts_with("     ") && width(r) <= 40), "{text:#?}");
        assert!(text[1].ends_with(BROKEN), "{text:#?}");
        let joined: String =
            text[1..].iter().map(|r| r.trim_start().trim_end_matches(BROKEN)).collect::<Vec<_>>().concat();
        assert_eq!(joined, format!("TargetGroupARNs={arn}"), "nothing is lost");
        assert_eq!(texts(&wrap("- ", "short", 40)), ["- short"]);
    }
}
