//! The `bluegreen` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use bluegreen::cli::{Cli, Command};
use bluegreen::cloud::sim::Scenario;
use bluegreen::cloud::sim::scenario::BUILTIN;
use bluegreen::demo::plain;
use clap::Parser;

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        eprintln!("bluegreen: {e}");
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scenarios => {
            list_scenarios();
            Ok(())
        }
        Command::Demo(args) => {
            let plain_mode = args.plain || !bluegreen::console::has_terminal();
            let opts = plain::Options {
                scenario: args.scenario,
                speed: args.speed,
                seed: args.seed,
                port: args.port,
                script: args.script,
                hold: args.hold,
                rate: args.rate,
            };
            demo(opts, plain_mode)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bluegreen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn list_scenarios() {
    for (name, _) in BUILTIN {
        let description = Scenario::load(name).map(|s| s.description).unwrap_or_default();
        println!("{name:<15} {description}");
    }
}

fn demo(opts: plain::Options, plain_mode: bool) -> Result<(), String> {
    plain::prepare(&opts)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        if plain_mode {
            let mut out = std::io::stdout();
            plain::run(opts, &mut out).await.map(|_| ())
        } else {
            bluegreen::console::run_demo(opts).await
        }
    })
}
