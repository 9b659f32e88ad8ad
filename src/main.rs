//! The `bluegreen` binary: parses the command line and hands over to the
//! library's command.

use std::process::ExitCode;

use bluegreen::cli::{self, Invocation};
use bluegreen::{command, exit};

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        eprintln!("bluegreen: {e}");
    }
    let result = match cli::parse() {
        Invocation::Run(command) => command::run(&command),
        Invocation::Completions(shell) => cli::completions(shell, std::io::stdout()),
        Invocation::Manual(command) => cli::manual(command.as_deref(), std::io::stdout()),
    };
    exit::report(result)
}
