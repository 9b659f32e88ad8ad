//! Recordings: a session written down as it happened, to replay it later
//! exactly (`bluegreen replay`, `demo --from`) or share it as a cast.
//!
//! A recording is JSON lines. The first is the [`Header`]; every other is a
//! [`Line`]: `t`, microseconds on a monotonic clock since the session
//! started, and one thing the console took in: the clock's tick, a key, a
//! resize, an observation (whole the first time, then what changed: see
//! [`patch`]), a failed look, a call's result, the prober's answers
//! (gathered a second at a time), a notice, a problem; and, for people
//! reading it, each call a confirmed plan made and the end. Replaying the
//! lines into a fresh `App` rebuilds every screen the operator saw.
//!
//! Lines are written whole and each on its own (a session killed with
//! SIGKILL leaves a file that reads up to its last line), to a file only its
//! owner may read, in a directory only its owner may list. Nothing in a
//! recording comes from credentials or request signing: the observations,
//! call results and the probe's answers are what the screen shows.

pub mod patch;
pub mod replay;
pub mod tape;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossterm::event::KeyEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use crate::app::Msg;
use crate::cloud::{ApiError, Call, CallOutput, Event};
use crate::domain::At;
use crate::probe::{Outcome, Sample};

/// The layout of a recording; a reader refuses any other.
pub const SCHEMA_VERSION: u32 = 1;

/// The first line: what was recorded, where, and how the console was set up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub schema_version: u32,
    /// The bluegreen that wrote it: version and commit.
    pub bluegreen: String,
    pub commit: String,
    /// `aws` or `demo`.
    pub mode: String,
    /// The header's words for it: `aws · my-profile`, `demo · manual-reroute`.
    pub source: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    /// The caller's ARN, when it was known at the start.
    #[serde(default)]
    pub caller: Option<String>,
    /// The terminal's size at the start (columns, rows); none without a screen.
    #[serde(default)]
    pub size: Option<(u16, u16)>,
    /// When the session started (RFC 3339, the wall clock); each line's `t`
    /// counts from here on a monotonic clock.
    pub start: String,
    /// What the prober probed (empty: nothing).
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub unverified: bool,
    #[serde(default)]
    pub read_only: Option<String>,
    #[serde(default)]
    pub stale_after_secs: Option<u64>,
    #[serde(default)]
    pub tour: bool,
    /// The world named its events (the demo): `--plain` printed them.
    #[serde(default)]
    pub names_events: bool,
    /// The lines `--plain` printed before the session's own.
    #[serde(default)]
    pub first: Vec<(At, String, String)>,
}

/// One thing that happened, `t` microseconds after the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub t: u64,
    #[serde(flatten)]
    pub what: What,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum What {
    /// The clock ticked: the world's time and pace at the tick's instant
    /// (`real`, µs after the start; the line's `t` is when it was taken in).
    Tick {
        world: At,
        pace: f64,
        real: u64,
    },
    Key(KeyEvent),
    Resize((u16, u16)),
    /// An observation ([`patch`] of the last one), and the events the world named.
    Observed {
        patch: Value,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        events: Vec<Event>,
    },
    ObserveFailed {
        error: ApiError,
        retry_in_ms: u64,
    },
    /// The fresh observation a plan asked for.
    Fresh {
        patch: Value,
    },
    FreshFailed {
        error: ApiError,
    },
    /// A plan's call ended: its output or error, and the observation after it.
    CallDone {
        #[serde(default)]
        output: Option<CallOutput>,
        #[serde(default)]
        error: Option<ApiError>,
        #[serde(default)]
        after: Option<Value>,
    },
    /// The prober's answers: the outcomes not seen before in the
    /// recording (each numbered by its place among all the recording's
    /// outcomes), then per answer: when it was due (µs after the previous
    /// answer's due time, or the start for a line's first), its latency
    /// (µs), its outcome's number, its TLS handshake (µs; 0 for none).
    Samples {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        new: Vec<Outcome>,
        answers: Vec<(i64, u64, usize, u64)>,
    },
    Problem(String),
    Notice(String),
    /// A plan `shown`, `confirmed` or `cancelled` (with its title), or
    /// how it ended, `done` or `failed` (with the console's words); for
    /// people reading the file (replays rebuild it from the keys).
    Plan {
        event: String,
        text: String,
    },
    /// A cutover's verdict, as the event log said it (for people reading
    /// the file; replays judge the answers again).
    Verdict(String),
    /// A call a plan made (for people reading the file; its result is a
    /// `call_done`).
    Call {
        operation: String,
        target: String,
    },
    /// The session ended.
    End {
        reason: String,
    },
}

/// Writes a session's recording as it happens.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    file: std::fs::File,
    origin: Instant,
    /// The last observation written, as JSON.
    last: Value,
    /// Every outcome the recording has numbered, and how many of them
    /// have been written.
    outcomes: std::collections::HashMap<Outcome, usize>,
    numbered: Vec<Outcome>,
    written: usize,
    /// Answers not yet written (they go out before the next other line).
    answers: Vec<(i64, u64, usize, u64)>,
    /// The due time of the last answer gathered in this line, µs after the start.
    last_due: u64,
    /// Writing failed once (said in the log); nothing more is written.
    broken: bool,
    /// The last line's time.
    last_t: u64,
    /// Lines written after the header.
    lines: usize,
}

impl Recorder {
    /// Creates `path` (only its owner may read it; a new directory only
    /// its owner may list; never over a file that is there) and writes the
    /// header.
    pub fn create(path: &Path, header: &Header) -> std::io::Result<Self> {
        let file = crate::logging::create_private(path)?;
        let mut r = Self {
            path: path.to_path_buf(),
            file,
            origin: Instant::now(),
            last: Value::Null,
            outcomes: std::collections::HashMap::new(),
            numbered: Vec::new(),
            written: 0,
            answers: Vec::new(),
            last_due: 0,
            broken: false,
            last_t: 0,
            lines: 0,
        };
        r.write(&serde_json::to_string(header).map_err(std::io::Error::other)?);
        if r.broken { Err(std::io::Error::other("cannot write the header")) } else { Ok(r) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines written after the header (the answers gathered so far written first).
    pub fn lines(&mut self) -> usize {
        self.flush_samples();
        self.lines
    }

    /// Lines count from `origin` (the session's start).
    pub fn begin(&mut self, origin: Instant) {
        self.origin = origin;
    }

    fn write(&mut self, line: &str) {
        if self.broken {
            return;
        }
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        if let Err(e) = self.file.write_all(&bytes) {
            tracing::error!(path = %self.path.display(), error = %e, "cannot write the recording; it stops here");
            self.broken = true;
        }
    }

    fn micros(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_micros()).unwrap_or(u64::MAX)
    }

    fn line(&mut self, what: What) {
        self.flush_samples();
        let t = self.micros(Instant::now());
        self.put(t, what);
    }

    /// Writes a line at `t` (never before the last one).
    fn put(&mut self, t: u64, what: What) {
        let t = t.max(self.last_t);
        self.last_t = t;
        self.lines += 1;
        match serde_json::to_string(&Line { t, what }) {
            Ok(text) => self.write(&text),
            Err(e) => tracing::error!(error = %e, "a recording line could not be written"),
        }
    }

    /// The patch from the last observation to `obs`.
    fn patch(&mut self, obs: &crate::domain::Observation) -> Value {
        let now = serde_json::to_value(obs).unwrap_or(Value::Null);
        let patch = patch::diff(&self.last, &now).unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        self.last = now;
        patch
    }

    /// Writes what the session is about to hand its app (and the events the
    /// world named with an observation).
    pub fn msg(&mut self, msg: &Msg, events: &[Event]) {
        let what = match msg {
            Msg::Sample(sample) => return self.sample(sample),
            Msg::Key(key) => What::Key(*key),
            Msg::Resize(w, h) => What::Resize((*w, *h)),
            Msg::Tick { world, pace, real } => {
                self.flush_samples();
                let (t, real) = (self.micros(Instant::now()), self.micros(*real));
                return self.put(t, What::Tick { world: *world, pace: *pace, real });
            }
            Msg::Observed(obs) => What::Observed { patch: self.patch(obs), events: events.to_vec() },
            Msg::ObserveFailed { error, retry_in } => {
                What::ObserveFailed { error: error.clone(), retry_in_ms: millis(*retry_in) }
            }
            Msg::Fresh(obs) => What::Fresh { patch: self.patch(obs) },
            Msg::FreshFailed(error) => What::FreshFailed { error: error.clone() },
            Msg::CallDone(result, after) => {
                let after = after.as_ref().map(|obs| self.patch(obs));
                let (output, error) = match result {
                    Ok(o) => (Some(o.clone()), None),
                    Err(e) => (None, Some(e.clone())),
                };
                What::CallDone { output, error, after }
            }
            Msg::Problem(text) => What::Problem(text.clone()),
            Msg::Notice(text) => What::Notice(text.clone()),
        };
        self.line(what);
    }

    fn sample(&mut self, s: &Sample) {
        let next = self.numbered.len();
        let index = *self.outcomes.entry(s.outcome.clone()).or_insert(next);
        if index == next {
            self.numbered.push(s.outcome.clone());
        }
        let due = self.micros(s.scheduled);
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        // Answers come in the order they ended, not the order they were due.
        let delta = i64::try_from(due).unwrap_or(i64::MAX) - i64::try_from(self.last_due).unwrap_or(i64::MAX);
        let handshake = s.handshake.map_or(0, |h| micros(h).max(1));
        self.answers.push((delta, micros(s.latency), index, handshake));
        self.last_due = due;
    }

    fn flush_samples(&mut self) {
        if self.answers.is_empty() {
            return;
        }
        let what =
            What::Samples { new: self.numbered[self.written..].to_vec(), answers: std::mem::take(&mut self.answers) };
        self.written = self.numbered.len();
        // Each line's first answer counts from the start.
        self.last_due = 0;
        let t = self.micros(Instant::now());
        self.put(t, what);
    }

    /// Writes a call a confirmed plan makes.
    pub fn call(&mut self, call: &Call) {
        self.line(What::Call {
            operation: call.operation().to_string(),
            target: crate::domain::clean(&call.target(), 500),
        });
    }

    /// Writes what became of a plan.
    pub fn plan(&mut self, event: &str, text: &str) {
        self.line(What::Plan { event: event.to_string(), text: crate::domain::clean(text, 500) });
    }

    /// Writes a verdict's words.
    pub fn verdict(&mut self, text: &str) {
        self.line(What::Verdict(crate::domain::clean(text, 500)));
    }

    /// Writes the closing line.
    pub fn end(&mut self, reason: &str) {
        self.line(What::End { reason: reason.to_string() });
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Where a session's recording goes by default: the state directory's
/// `sessions/`, named by its start (UTC) and the process.
pub fn default_path(start: std::time::SystemTime) -> Option<PathBuf> {
    let stamp = At::from(start).rfc3339().replace([':', '-'], "");
    let stamp = stamp.split('.').next().unwrap_or_default().trim_end_matches('Z').to_string();
    Some(sessions_dir()?.join(format!("{stamp}Z-{}.jsonl", std::process::id())))
}

/// The state directory's `sessions/`.
pub fn sessions_dir() -> Option<PathBuf> {
    crate::logging::state_dir().map(|d| d.join("sessions"))
}

/// How many recordings, and how many bytes of them, the sessions
/// directory keeps; the oldest go first.
pub const KEEP_FILES: usize = 100;
pub const KEEP_BYTES: u64 = 200 * 1024 * 1024;

/// Whether a file in the sessions directory is a recording bluegreen wrote
/// there: its name is `YYYYMMDDTHHMMSSZ-PID.jsonl` and its first line a header.
fn ours(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    let Some(stem) = name.strip_suffix(".jsonl") else { return false };
    let Some((stamp, pid)) = stem.split_once("Z-") else { return false };
    let named = stamp.len() == 15
        && stamp.as_bytes()[8] == b'T'
        && stamp.chars().enumerate().all(|(i, c)| i == 8 || c.is_ascii_digit())
        && !pid.is_empty()
        && pid.chars().all(|c| c.is_ascii_digit());
    if !named {
        return false;
    }
    let mut start = [0u8; 20];
    let read = std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut start)).unwrap_or(0);
    start[..read].starts_with(b"{\"schema_version\":")
}

/// Removes the oldest recordings of `dir` beyond `files` files or `bytes`
/// bytes (only files that are bluegreen's recordings; never `keep`). Gives
/// how many were removed.
pub fn prune(dir: &Path, keep: &Path, files: usize, bytes: u64) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut found: Vec<(PathBuf, u64)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p != keep && ours(p))
        .filter_map(|p| std::fs::metadata(&p).ok().map(|m| (p, m.len())))
        .collect();
    // Names start with the start time: by name is oldest first.
    found.sort();
    let keep_len = std::fs::metadata(keep).map_or(0, |m| m.len());
    let mut total: u64 = found.iter().map(|(_, n)| n).sum::<u64>() + keep_len;
    let mut count = found.len() + 1;
    let mut removed = 0;
    for (path, len) in found {
        if count <= files && total <= bytes {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            removed += 1;
            tracing::info!(path = %path.display(), "removed an old recording");
        }
        count -= 1;
        total = total.saturating_sub(len);
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_removes_the_oldest_recordings_and_nothing_that_is_not_one() {
        let dir = tempfile::tempdir().unwrap();
        let header = "{\"schema_version\":1}\n";
        let put = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let old: Vec<PathBuf> = (1..=5)
            .map(|n| put(&format!("2026120{n}T090000Z-42.jsonl"), &format!("{header}{}", "x".repeat(100))))
            .collect();
        let theirs = put("notes.jsonl", header);
        let named_but_not_ours = put("20261101T090000Z-7.jsonl", "{\"hello\":1}\n");
        let keep = put("20261210T090000Z-43.jsonl", header);
        assert_eq!(prune(dir.path(), &keep, 3, u64::MAX), 3, "down to three files, this session's among them");
        let left = |p: &PathBuf| p.exists();
        assert_eq!(old.iter().map(left).collect::<Vec<_>>(), [false, false, false, true, true], "the oldest first");
        assert!(theirs.exists() && named_but_not_ours.exists() && keep.exists(), "only bluegreen's recordings go");
        // By size: 121 bytes each and 21 this session's, so 100 bytes keep the session alone.
        assert_eq!(prune(dir.path(), &keep, 100, 100), 2);
        assert!(keep.exists() && !old[4].exists());
    }

    #[test]
    fn what_a_recorder_writes_reads_back_as_the_same_messages() {
        use crate::cloud::sim::{Scenario, World};
        use crate::probe::ErrorKind;
        use crossterm::event::{KeyCode, KeyModifiers};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let header: Header = serde_json::from_str(
            r#"{"schema_version":1,"bluegreen":"t","commit":"t","mode":"demo","source":"demo · t","start":"2026-11-27T09:00:00Z"}"#,
        )
        .unwrap();
        let mut r = Recorder::create(&path, &header).unwrap();
        let origin = Instant::now();
        r.begin(origin);
        let world = World::new(&Scenario::load("manual-reroute").unwrap());
        let obs = world.observe();
        let later = crate::domain::Observation { at: obs.at + Duration::from_secs(5), ..obs.clone() };
        let ms = Duration::from_millis;
        let served = Outcome::Served { version: "v1".into(), instance: Some("i-1".into()) };
        let sample = |at: u64, outcome: &Outcome, handshake| {
            Msg::Sample(Sample { scheduled: origin + ms(at), latency: ms(3), outcome: outcome.clone(), handshake })
        };
        let error = ApiError::new("ThrottlingException", "slow down");
        let msgs = vec![
            Msg::Tick { world: At(1_000), real: origin + ms(1_000), pace: 2.0 },
            sample(1_500, &served, Some(ms(2))),
            sample(1_400, &Outcome::Failed(ErrorKind::Timeout), None),
            sample(1_600, &served, None),
            Msg::Observed(Box::new(obs.clone())),
            Msg::Observed(Box::new(later)),
            Msg::Key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::NONE)),
            Msg::Resize(100, 30),
            Msg::Notice("n".into()),
            Msg::Problem("p".into()),
            Msg::ObserveFailed { error: error.clone(), retry_in: ms(7_000) },
            Msg::Fresh(Box::new(obs.clone())),
            Msg::FreshFailed(error.clone()),
            Msg::CallDone(Ok(CallOutput::DeploymentId("d-1".into())), Some(Box::new(obs))),
            sample(2_500, &served, None),
            Msg::CallDone(Err(error), None),
        ];
        for m in &msgs {
            r.msg(m, &[]);
        }
        assert_eq!(r.lines(), 14, "the answers of a second share a line");
        r.end("quit");
        let tape = tape::read(&path).unwrap();
        assert_eq!(tape.lines.len(), 15);
        assert!(tape.lines.windows(2).all(|w| w[0].t <= w[1].t), "times never go back");
        assert_eq!(tape.lines.last().unwrap().what, What::End { reason: "quit".into() });
        assert_eq!(tape.outcomes.len(), 2, "each outcome is written once");
        let mut replay = replay::Replay::new_at(tape.clone(), crate::app::Setup::default(), true, origin);
        let back: Vec<String> = tape.lines.iter().flat_map(|l| replay.messages(l)).map(|m| format!("{m:?}")).collect();
        let sent: Vec<String> = msgs.iter().map(|m| format!("{m:?}")).collect();
        assert_eq!(back, sent);
    }

    #[test]
    fn a_default_path_is_named_by_its_start_and_reads_as_a_recording_name() {
        let start = std::time::UNIX_EPOCH + Duration::from_secs(1_795_683_600);
        let dir = tempfile::tempdir().unwrap();
        let name = default_path(start).unwrap().file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(name, format!("20261126T090000Z-{}.jsonl", std::process::id()));
        let path = dir.path().join(&name);
        std::fs::write(&path, "{\"schema_version\":1}\n").unwrap();
        assert!(ours(&path));
    }
}
