//! The command line.

use clap::{Args, Parser, Subcommand};

/// A terminal console for AWS CodeDeploy blue/green deployments on EC2 Auto Scaling groups.
#[derive(Debug, Parser)]
#[command(name = "bluegreen", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play a blue/green deployment on a built-in simulated world: real HTTP
    /// instances and a real load balancer on 127.0.0.1, no AWS account.
    Demo(DemoArgs),
    /// List the built-in scenarios.
    Scenarios,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// A built-in scenario (see `bluegreen scenarios`) or a path to a .toml file.
    #[arg(long, default_value = "manual-reroute")]
    pub scenario: String,
    /// Play faster (2) or slower (0.5) than the scenario's pace.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Repeatable ids, addresses and timings (default: the scenario's seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The load balancer's port on 127.0.0.1; 0 for any free port [default:
    /// 8080, or a free port when 8080 is taken].
    #[arg(long)]
    pub port: Option<u16>,
    /// No screen: one line per world event, per console action and per second of traffic.
    #[arg(long)]
    pub plain: bool,
    /// Actions to play unattended, e.g. "deploy; wait Ready; promote; wait Succeeded"
    /// (with --plain, the scenario's own story when left out).
    #[arg(long)]
    pub script: Option<String>,
    /// With --plain: keep running after the story ends (until Ctrl-C).
    #[arg(long)]
    pub hold: bool,
    /// Probe requests per second against the load balancer.
    #[arg(long, default_value_t = 10)]
    pub rate: u32,
    /// The longest a story's `wait` may take, in world seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    pub wait_limit: u64,
}
