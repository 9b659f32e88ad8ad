//! Text that comes from the network (page bodies, tags, error messages, log
//! tails) is cleaned here, once, where it enters the program: control
//! characters and bidirectional overrides never reach a terminal or a log.

/// Removes control characters (C0, DEL, C1) and bidi controls, folds every
/// run of whitespace into one space and keeps at most `max` characters
/// (an ellipsis marks a cut).
pub fn clean(raw: &str, max: usize) -> String {
    let mut out = String::with_capacity(raw.len().min(max + 3));
    let mut count = 0;
    let mut pending_space = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if is_hidden(c) {
            continue;
        }
        if count + usize::from(pending_space) >= max {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// The first `shown` names, comma-separated, and how many more there are
/// (`a, b, c and 4 more`), for a line that must stay one line.
pub fn some_of(names: &[String], shown: usize) -> String {
    let first: Vec<&str> = names.iter().take(shown).map(String::as_str).collect();
    let more = names.len().saturating_sub(first.len());
    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!("{}{tail}", first.join(", "))
}

/// Like [`clean`] but keeps line breaks: for multi-line text such as a hook's
/// log tail. Each line is cleaned on its own; at most `max_lines` are kept
/// (the last ones, as a tail should be).
pub fn clean_lines(raw: &str, max_line: usize, max_lines: usize) -> Vec<String> {
    let lines: Vec<String> = raw.split(['\n', '\r']).map(|l| clean(l, max_line)).filter(|l| !l.is_empty()).collect();
    let skip = lines.len().saturating_sub(max_lines);
    lines.into_iter().skip(skip).collect()
}

fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn some_of_says_how_many_more_there_are() {
        let names: Vec<String> = (1..=4).map(|n| format!("g{n}")).collect();
        assert_eq!(some_of(&names, 2), "g1, g2 and 2 more");
        assert_eq!(some_of(&names, 4), "g1, g2, g3, g4");
        assert_eq!(some_of(&[], 3), "");
    }

    #[test]
    fn strips_escapes_and_controls() {
        assert_eq!(clean("a\u{1b}[31mred\u{7}\u{9b}x", 50), "a[31mredx");
        assert_eq!(clean("ab\u{202E}cd", 50), "abcd");
    }

    #[test]
    fn folds_whitespace_and_caps_length() {
        assert_eq!(clean("  one \t two\n", 50), "one two");
        assert_eq!(clean("abcdefgh", 4), "abcd…");
    }

    #[test]
    fn keeps_the_last_lines() {
        let tail = clean_lines("l1\nl2\r\n\u{1b}l3\n", 10, 2);
        assert_eq!(tail, vec!["l2".to_string(), "l3".to_string()]);
    }
}
