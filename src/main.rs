//! The `bluegreen` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use bluegreen::cli::{AwsArgs, Cli, Command, DemoArgs, ProbeArgs, TargetArgs};
use bluegreen::cloud::Cloud;
use bluegreen::cloud::sim::Scenario;
use bluegreen::cloud::sim::scenario::BUILTIN;
use bluegreen::exit::{self, Failure};
use bluegreen::{console, demo, live, plain};
use clap::Parser;

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        eprintln!("bluegreen: {e}");
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Scenarios) => {
            list_scenarios();
            Ok(())
        }
        Some(Command::Demo(args)) => run_demo(args),
        Some(Command::Probe(args)) => run_probe(args),
        Some(Command::Status(args)) => {
            let target = read_only(args.target);
            runtime().and_then(|rt| rt.block_on(bluegreen::headless::status(&target, args.json, std::io::stdout())))
        }
        Some(Command::Wait(args)) => {
            let target = read_only(args.target);
            runtime().and_then(|rt| {
                rt.block_on(bluegreen::headless::wait(&target, args.timeout, args.every, std::io::stdout()))
            })
        }
        None => run_aws(cli.aws),
    };
    exit::report(result)
}

fn list_scenarios() {
    for (name, _) in BUILTIN {
        let description = Scenario::load(name).map(|s| s.description).unwrap_or_default();
        println!("{name:<15} {description}");
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Failed(format!("cannot start: {e}")))
}

/// A target for the headless commands, which never change anything.
fn read_only(t: TargetArgs) -> bluegreen::cloud::aws::Target {
    bluegreen::cloud::aws::Target {
        application: t.app,
        group: t.group,
        region: t.region,
        profile: t.profile,
        url: None,
        read_only: true,
        audit_log: None,
    }
}

fn run_aws(args: AwsArgs) -> Result<(), Failure> {
    let opts = live::Options {
        target: bluegreen::cloud::aws::Target {
            application: args.target.app,
            group: args.target.group,
            region: args.target.region,
            profile: args.target.profile,
            url: args.url,
            read_only: args.read_only,
            audit_log: args.audit_log,
        },
        rate: args.rate,
        plain: args.plain || !console::has_terminal(),
        log_file: args.log_file,
        page: args.page,
    };
    live::check(&opts)?;
    runtime()?.block_on(live::run(opts))
}

fn run_probe(args: ProbeArgs) -> Result<(), Failure> {
    use bluegreen::probe::{self, run};
    run::check_url(&args.url)?;
    probe::check_rate(args.rate)?;
    let p = &args.page;
    let reader =
        probe::Reader::new(p.version_regex.as_deref(), p.instance_regex.as_deref(), p.version_header.as_deref())
            .map_err(Failure::Usage)?;
    let settings = probe::Settings {
        timeout: args.timeout,
        keep_alive: !args.new_connection,
        reader,
        ..probe::Settings::new(args.url, args.rate)
    };
    let output = if args.json {
        run::Output::Json
    } else if args.plain || !console::has_terminal() {
        run::Output::Plain
    } else {
        run::Output::Screen
    };
    let monochrome = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let opts =
        run::Options { settings, output, duration: args.duration, fail_on_errors: args.fail_on_errors, monochrome };
    runtime()?.block_on(run::run(opts))
}

fn run_demo(args: DemoArgs) -> Result<(), Failure> {
    let opts = demo::Options {
        scenario: args.scenario,
        speed: args.speed,
        seed: args.seed,
        port: args.port,
        script: args.script,
        hold: args.hold,
        rate: args.rate,
        wait_limit: args.wait_limit,
        tour: args.tour,
        plain: args.plain || !console::has_terminal(),
    };
    let prepared = demo::prepare(&opts)?;
    runtime()?.block_on(async {
        let description = format!("scenario {}: {}", prepared.scenario.name, prepared.scenario.description);
        let (session, running) = demo::start(&opts, prepared).await?;
        let result = if opts.plain {
            let now = session.cloud().now();
            let taken = running.taken.map(|p| format!(" (port {p} is taken)")).unwrap_or_default();
            let first = [(now, "lb", format!("load balancer: {}{taken}", running.url)), (now, "demo", description)];
            plain::run(session, std::io::stdout(), &first, opts.hold).await.map(|_| ())
        } else {
            console::run(session).await
        };
        running.stop().await;
        result
    })
}
