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
