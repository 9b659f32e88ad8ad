//! One room per way of running. Each command goes the same way: its
//! options are checked (bad input is one line with a hint, before anything
//! starts), it builds its cloud and its session, and picks its output
//! (screen, lines or JSON) in one place, [`Output::choose`].
//!
//! - [`console`]: `bluegreen` on AWS.
//! - [`demo`]: `bluegreen demo`, the console on a simulated world.
//! - [`fleet`]: `bluegreen fleet`, every deployment group of a region; `Enter` opens one.
//! - [`probe`]: `bluegreen probe URL`, the prober alone.
//! - [`push`]: `bluegreen push DIR`, a revision bundled, uploaded and registered.
//! - [`tutorial`]: `bluegreen tutorial up|down|template|app`, the tutorial's kit on AWS.
//! - [`status`] and [`wait`]: the deployment group for scripts.
//! - [`screen`]: a console session on the terminal, for the console and the demo.

pub mod console;
pub mod demo;
pub mod fleet;
pub mod probe;
pub mod push;
pub mod replay;
mod screen;
pub mod status;
pub mod tutorial;
pub mod wait;

use crate::exit::Failure;

/// Where a session is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// In the state directory's `sessions/` (the oldest pruned).
    Sessions,
    /// At this path (never over a file that is there).
    At(std::path::PathBuf),
    Off,
}

/// The hint for a recording path where a file is already.
const NEVER_OVER: &str = "a recording is never written over another file; pick a new PATH";

/// Refuses, before anything starts, a recording path that would write over
/// a file.
pub(crate) fn check_record(record: &Record) -> Result<(), Failure> {
    match record {
        Record::At(path) if path.exists() => Err(Failure::Usage(format!(
            "--record {} is there already (hint: {NEVER_OVER})",
            crate::domain::clean(&path.display().to_string(), 120)
        ))),
        _ => Ok(()),
    }
}

/// Creates the recording `record` asks for, with `header`; a file that
/// cannot be made is one line before anything starts.
pub(crate) fn recorder(
    record: &Record,
    header: &crate::record::Header,
) -> Result<Option<crate::record::Recorder>, Failure> {
    let path = match record {
        Record::Off => return Ok(None),
        Record::At(path) => path.clone(),
        Record::Sessions => crate::record::default_path(std::time::SystemTime::now()).ok_or_else(|| {
            Failure::Usage("no place for the recording (hint: --record PATH, --no-record, or set HOME)".into())
        })?,
    };
    let recorder = crate::record::Recorder::create(&path, header).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AlreadyExists {
            NEVER_OVER
        } else {
            "--record PATH elsewhere, or --no-record"
        };
        Failure::Usage(format!(
            "cannot record to {}: {e} (hint: {hint})",
            crate::domain::clean(&path.display().to_string(), 120)
        ))
    })?;
    if *record == Record::Sessions
        && let Some(dir) = path.parent()
    {
        crate::record::prune(dir, &path, crate::record::KEEP_FILES, crate::record::KEEP_BYTES);
    }
    Ok(Some(recorder))
}

/// A recording's header for a session of `mode` set up as `setup`, on the
/// terminal (its size is recorded) or not.
pub(crate) fn header(mode: &str, setup: &crate::app::Setup, names_events: bool, screen: bool) -> crate::record::Header {
    crate::record::Header {
        schema_version: crate::record::SCHEMA_VERSION,
        bluegreen: env!("CARGO_PKG_VERSION").to_string(),
        commit: env!("BLUEGREEN_COMMIT").to_string(),
        mode: mode.to_string(),
        source: setup.source.clone(),
        region: None,
        application: None,
        group: None,
        caller: None,
        size: if screen { crate::term::size() } else { None },
        start: crate::domain::At::from(std::time::SystemTime::now()).rfc3339(),
        url: setup.url.clone(),
        unverified: setup.unverified,
        read_only: setup.read_only.clone(),
        stale_after_secs: setup.stale_after.map(|d| d.as_secs()),
        tour: setup.tour,
        names_events,
        first: Vec::new(),
    }
}

/// What to run, with its options, as the command line asked.
#[derive(Debug)]
pub enum Command {
    Console(console::Options),
    Fleet(console::Options),
    Demo(demo::Options),
    /// List the built-in scenarios.
    Scenarios,
    Probe(probe::Options),
    Push(push::Options),
    Status(status::Options),
    Tutorial(tutorial::Options),
    Wait(wait::Options),
    Replay(replay::Options),
}

/// Runs a command to its end.
pub fn run(command: &Command) -> Result<(), Failure> {
    match command {
        Command::Console(opts) => console::watch(opts),
        Command::Fleet(opts) => fleet::run(opts),
        Command::Demo(opts) => demo::play(opts),
        Command::Scenarios => demo::list_scenarios(),
        Command::Probe(opts) => probe::probe(opts),
        Command::Push(opts) => push::push(opts),
        Command::Status(opts) => status::print(opts),
        Command::Tutorial(opts) => tutorial::run(opts),
        Command::Wait(opts) => wait::follow(opts),
        Command::Replay(opts) => replay::run(opts),
    }
}

/// Where a run shows what it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The full screen, on a terminal.
    Screen,
    /// A line per thing that happened (`--plain`, or no terminal).
    Lines,
    /// A JSON object per line (`--json`).
    Json,
}

impl Output {
    /// JSON when asked; lines when asked or when there is no terminal to
    /// draw on; else the screen.
    pub fn choose(plain: bool, json: bool) -> Self {
        if json {
            Self::Json
        } else if plain || !crate::term::has_terminal() {
            Self::Lines
        } else {
            Self::Screen
        }
    }
}

/// The runtime every command runs on.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Failed(format!("cannot start: {e}")))
}
