//! Reading a recording back: the header, then every line, each checked
//! (JSON, the layout, no control characters in any string, times that never
//! go back). A bad file is one sentence with a hint; a last line cut short
//! (a session killed mid-write) is read up to, with a note.

use std::path::Path;

use serde_json::Value;

use super::{Header, Line, SCHEMA_VERSION};

/// The longest line read; bluegreen writes none longer (a whole
/// observation of 500 instances is about 1 MB).
pub const MAX_LINE: usize = 4 * 1024 * 1024;

/// A recording, read.
#[derive(Debug, Clone)]
pub struct Tape {
    pub header: Header,
    pub lines: Vec<Line>,
    /// Said when the last line was cut short.
    pub note: Option<String>,
    /// Every outcome of the prober's answers, numbered as the recording
    /// numbers them.
    pub outcomes: Vec<crate::probe::Outcome>,
}

impl Tape {
    /// The last line's time (µs after the start).
    pub fn end(&self) -> u64 {
        self.lines.last().map_or(0, |l| l.t)
    }
}

/// Reads the recording at `path`.
pub fn read(path: &Path) -> Result<Tape, String> {
    let shown = crate::domain::clean(&path.display().to_string(), 120);
    let bytes = std::fs::read(path).map_err(|e| {
        format!("cannot read the recording {shown}: {e} (hint: recordings are in {})", where_they_are())
    })?;
    parse(&bytes).map_err(|e| format!("{shown}: {e}"))
}

fn where_they_are() -> String {
    super::sessions_dir().map_or_else(|| "$XDG_STATE_HOME/bluegreen/sessions".into(), |d| d.display().to_string())
}

/// Reads a recording's bytes.
pub fn parse(bytes: &[u8]) -> Result<Tape, String> {
    const HINT: &str = "hint: bluegreen reads the recordings it writes; was this one edited?";
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(
            "the file is empty (hint: a recording starts with a header line; pass one that bluegreen wrote)".into()
        );
    }
    let ends_whole = bytes.ends_with(b"\n");
    let raw: Vec<&[u8]> = bytes.strip_suffix(b"\n").unwrap_or(bytes).split(|b| *b == b'\n').collect();
    let count = raw.len();
    let mut header = None;
    let mut lines = Vec::with_capacity(count);
    let mut note = None;
    let mut numbered = 0;
    for (i, text) in raw.into_iter().enumerate() {
        let number = i + 1;
        let last = number == count;
        if text.len() > MAX_LINE {
            return Err(format!(
                "line {number} is {:.1} MB long, and bluegreen writes none over {} MB ({HINT})",
                text.len() as f64 / 1_048_576.0,
                MAX_LINE / 1_048_576
            ));
        }
        let value = match std::str::from_utf8(text).ok().and_then(|t| serde_json::from_str::<Value>(t).ok()) {
            Some(v) => v,
            None if last && !ends_whole && number > 1 => {
                note = Some(format!("the last line ({number}) is cut short: read up to line {}", number - 1));
                break;
            }
            None => return Err(format!("line {number} is not JSON ({HINT})")),
        };
        if let Some(bad) = control(&value) {
            return Err(format!("line {number} holds a control character in {bad} ({HINT})"));
        }
        if number == 1 {
            let version = value.get("schema_version").and_then(Value::as_u64);
            match version {
                Some(v) if v == u64::from(SCHEMA_VERSION) => {}
                Some(v) => {
                    let by = value.get("bluegreen").and_then(Value::as_str).unwrap_or("another bluegreen");
                    return Err(format!(
                        "its schema_version is {v}, and this bluegreen reads {SCHEMA_VERSION} (hint: replay it with the bluegreen that wrote it, {})",
                        crate::domain::clean(by, 40)
                    ));
                }
                None => {
                    return Err(format!(
                        "line 1 is not a recording's header (no schema_version) (hint: pass a file from {})",
                        where_they_are()
                    ));
                }
            }
            header = Some(
                serde_json::from_value::<Header>(value)
                    .map_err(|e| format!("line 1 is not a recording's header: {} ({HINT})", short(&e)))?,
            );
            continue;
        }
        let line = serde_json::from_value::<Line>(value)
            .map_err(|e| format!("line {number} is not a recording's line: {} ({HINT})", short(&e)))?;
        if lines.last().is_some_and(|l: &Line| l.t > line.t) {
            return Err(format!("line {number} goes back in time ({HINT})"));
        }
        if let super::What::Samples { new, answers } = &line.what {
            numbered += new.len();
            if answers.iter().any(|a| a.2 >= numbered) {
                return Err(format!("line {number} names an outcome no line gave ({HINT})"));
            }
        }
        lines.push(line);
    }
    let header = header
        .ok_or_else(|| "the file holds no whole header line (hint: it was cut short at its start)".to_string())?;
    let outcomes = lines
        .iter()
        .flat_map(|l| match &l.what {
            super::What::Samples { new, .. } => new.clone(),
            _ => Vec::new(),
        })
        .collect();
    Ok(Tape { header, lines, note, outcomes })
}

/// serde's words, cleaned and kept short.
fn short(e: &serde_json::Error) -> String {
    crate::domain::clean(&e.to_string(), 120)
}

/// Where a string holds a control character: its field's name, or `a value`.
fn control(v: &Value) -> Option<String> {
    fn bad(s: &str) -> bool {
        s.chars().any(char::is_control)
    }
    match v {
        Value::String(s) if bad(s) => Some("a value".into()),
        Value::Array(list) => list.iter().find_map(control),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            if bad(k) {
                return Some("a field's name".into());
            }
            match v {
                Value::String(s) if bad(s) => Some(format!("'{}'", crate::domain::clean(k, 40))),
                _ => control(v),
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"{"schema_version":1,"bluegreen":"0.1.0","commit":"x","mode":"aws","source":"aws","start":"2026-11-27T09:00:00Z"}"#;
    const TICK: &str = r#"{"t":10,"tick":{"world":1795683600000,"pace":1.0,"real":10}}"#;

    fn err(text: &str) -> String {
        parse(text.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_whole_recording_reads_with_its_outcomes_numbered_across_lines() {
        let samples = |t: u64, new: &str, idx: usize| {
            format!(r#"{{"t":{t},"samples":{{"new":[{new}],"answers":[[5,2300,{idx},0]]}}}}"#)
        };
        let a = samples(20, r#"{"Served":{"version":"v1","instance":null}}"#, 0);
        let b = samples(30, r#"{"Failed":"Timeout"}"#, 1);
        let c = samples(40, "", 0);
        let tape = parse(format!("{HEADER}\n{TICK}\n{a}\n{b}\n{c}\n").as_bytes()).unwrap();
        assert_eq!((tape.lines.len(), tape.end(), tape.note.as_deref()), (4, 40, None));
        assert_eq!(tape.header.source, "aws");
        assert_eq!(tape.outcomes.len(), 2);
        assert_eq!(tape.outcomes[1], crate::probe::Outcome::Failed(crate::probe::ErrorKind::Timeout));
        let ahead = samples(50, "", 2);
        assert!(err(&format!("{HEADER}\n{a}\n{ahead}\n")).contains("line 3 names an outcome no line gave"));
    }

    #[test]
    fn each_kind_of_bad_file_says_which_line_and_why() {
        assert!(err("").contains("the file is empty"));
        assert!(err(" \n\n").contains("the file is empty"));
        assert!(err(&HEADER.replace(":1,", ":2,")).contains("its schema_version is 2, and this bluegreen reads 1"));
        assert!(err(TICK).contains("line 1 is not a recording's header (no schema_version)"));
        assert!(err(r#"{"schema_version":1}"#).contains("line 1 is not a recording's header: missing field"));
        assert!(err(&format!("{HEADER}\n{{\"t\":1,\"dance\":2}}\n")).contains("line 2 is not a recording's line"));
        assert!(err(&format!("{HEADER}\nnot json\n{TICK}\n")).contains("line 2 is not JSON"));
        // Lines at the same time read; an earlier one after a later does not.
        assert_eq!(parse(format!("{HEADER}\n{TICK}\n{TICK}\n").as_bytes()).unwrap().lines.len(), 2);
        let late = TICK.replace("\"t\":10", "\"t\":11");
        assert!(err(&format!("{HEADER}\n{late}\n{TICK}\n")).contains("line 3 goes back in time"));
        let bell = TICK.replace("\"pace\"", "\"note\":\"a\\u0007b\",\"pace\"");
        assert!(err(&format!("{HEADER}\n{bell}\n")).contains("line 2 holds a control character in 'note'"));
        let key = TICK.replace("\"pace\"", "\"\\u001b\":1,\"pace\"");
        assert!(err(&format!("{HEADER}\n{key}\n")).contains("in a field's name"));
        let listed = TICK.replace("\"pace\"", "\"l\":[\"\\n\"],\"pace\"");
        assert!(err(&format!("{HEADER}\n{listed}\n")).contains("in a value"));
        // The longest line reads; a byte more does not.
        let longest = format!("{{\"t\":1,\"notice\":\"{}\"}}", "x".repeat(MAX_LINE - 19));
        assert_eq!(longest.len(), MAX_LINE);
        assert_eq!(parse(format!("{HEADER}\n{longest}\n").as_bytes()).unwrap().lines.len(), 1);
        let long = format!("{HEADER}\n{{\"t\":1,\"notice\":\"{}\"}}\n", "x".repeat(MAX_LINE));
        assert!(err(&long).contains("line 2 is 4.0 MB long, and bluegreen writes none over 4 MB"));
    }

    #[test]
    fn a_file_that_cannot_be_read_says_where_recordings_are() {
        let e = read(Path::new("/nonexistent/session.jsonl")).unwrap_err();
        assert!(e.starts_with("cannot read the recording /nonexistent/session.jsonl: "), "{e}");
        let sessions = crate::record::sessions_dir().unwrap();
        assert!(e.ends_with(&format!("(hint: recordings are in {})", sessions.display())), "{e}");
    }

    #[test]
    fn a_last_line_cut_short_is_read_up_to_with_a_note_and_only_the_last() {
        let tape = parse(format!("{HEADER}\n{TICK}\n{{\"t\":20,\"noti").as_bytes()).unwrap();
        assert_eq!(tape.lines.len(), 1);
        assert_eq!(tape.note.as_deref(), Some("the last line (3) is cut short: read up to line 2"));
        // A whole last line without its newline reads whole.
        let tape = parse(format!("{HEADER}\n{TICK}").as_bytes()).unwrap();
        assert_eq!((tape.lines.len(), tape.note), (1, None));
        // Cut short in the middle, or a header cut short, is no recording.
        assert!(err(&format!("{HEADER}\n{{\"t\":20,\"noti\n{TICK}\n")).contains("line 2 is not JSON"));
        assert!(err(&HEADER[..40]).contains("line 1 is not JSON"));
    }
}
