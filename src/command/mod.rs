//! One room per way of running. Each command goes the same way: its
//! options are checked (bad input is one line with a hint, before anything
//! starts), it builds its cloud and its session, and picks its output
//! (screen, lines or JSON) in one place, [`Output::choose`].
//!
//! - [`console`]: `bluegreen` on AWS.
//! - [`demo`]: `bluegreen demo`, the console on a simulated world.
//! - [`probe`]: `bluegreen probe URL`, the prober alone.
//! - [`push`]: `bluegreen push DIR`, a revision bundled, uploaded and registered.
//! - [`tutorial`]: `bluegreen tutorial up|down|template|app`, the tutorial's kit on AWS.
//! - [`status`] and [`wait`]: the deployment group for scripts.
//! - [`screen`]: a console session on the terminal, for the console and the demo.

pub mod console;
pub mod demo;
pub mod probe;
pub mod push;
mod screen;
pub mod status;
pub mod tutorial;
pub mod wait;

use crate::exit::Failure;

/// What to run, with its options, as the command line asked.
#[derive(Debug)]
pub enum Command {
    Console(console::Options),
    Demo(demo::Options),
    /// List the built-in scenarios.
    Scenarios,
    Probe(probe::Options),
    Push(push::Options),
    Status(status::Options),
    Tutorial(tutorial::Options),
    Wait(wait::Options),
}

/// Runs a command to its end.
pub fn run(command: &Command) -> Result<(), Failure> {
    match command {
        Command::Console(opts) => console::watch(opts),
        Command::Demo(opts) => demo::play(opts),
        Command::Scenarios => demo::list_scenarios(),
        Command::Probe(opts) => probe::probe(opts),
        Command::Push(opts) => push::push(opts),
        Command::Status(opts) => status::print(opts),
        Command::Tutorial(opts) => tutorial::run(opts),
        Command::Wait(opts) => wait::follow(opts),
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
