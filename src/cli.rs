//! The command line: `bluegreen [OPTIONS]` opens the console on AWS;
//! `bluegreen demo` on a simulated world.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// What `--version` says: the version, the commit and the target built for.
pub const VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("BLUEGREEN_COMMIT"), ", ", env!("BLUEGREEN_TARGET"), ")");

/// A terminal console for AWS CodeDeploy blue/green deployments on EC2 Auto Scaling groups.
///
/// Without a command it watches a deployment group on AWS; region and
/// credentials come from the standard chain (environment, profile, SSO, the
/// instance profile), AWS_ENDPOINT_URL points it at an emulator.
#[derive(Debug, Parser)]
#[command(name = "bluegreen", version = VERSION, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Which deployment group, where, as whom.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// The CodeDeploy application (picked when there is only one).
    #[arg(long, env = "BLUEGREEN_APP")]
    pub app: Option<String>,
    /// The deployment group (picked when the application has only one).
    #[arg(long, env = "BLUEGREEN_GROUP")]
    pub group: Option<String>,
    /// The AWS region [default: from AWS_REGION, the profile, or the instance].
    #[arg(long)]
    pub region: Option<String>,
    /// A named profile from ~/.aws/config.
    #[arg(long)]
    pub profile: Option<String>,
}

/// The console on AWS.
#[derive(Debug, Args)]
pub struct AwsArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Where to probe what is served [default: the load balancer's DNS name].
    #[arg(long, env = "BLUEGREEN_URL")]
    pub url: Option<String>,
    /// No screen: one line per event and per second of traffic.
    #[arg(long)]
    pub plain: bool,
    /// Probe requests per second against the load balancer.
    #[arg(long, default_value_t = 10)]
    pub rate: u32,
    /// Watch only: the keys that change anything are refused, and no
    /// mutating call leaves the process.
    #[arg(long, env = "BLUEGREEN_READ_ONLY", value_parser = clap::builder::FalseyValueParser::new())]
    pub read_only: bool,
    /// Where to record every mutation [default: $XDG_STATE_HOME/bluegreen/audit.jsonl,
    /// or ~/.local/state/bluegreen/audit.jsonl].
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
    #[command(flatten)]
    pub page: PageArgs,
    /// Where to write the log [default: $XDG_STATE_HOME/bluegreen/bluegreen.log,
    /// or ~/.local/state/bluegreen/bluegreen.log]; RUST_LOG sets the level.
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play a blue/green deployment on a built-in simulated world: real HTTP
    /// instances and a real load balancer on 127.0.0.1, no AWS account.
    Demo(DemoArgs),
    /// List the built-in scenarios.
    Scenarios,
    /// Probe any URL at a fixed rate and judge each cutover: did moving
    /// traffic between versions drop a request?
    Probe(ProbeArgs),
    /// Print the deployment group once (groups, instances, the latest
    /// deployment) and exit 0 (succeeded, or none), 1 (failed or stopped) or
    /// 3 (in progress).
    Status(StatusArgs),
    /// Wait until the deployment in progress ends, a line per change; exit
    /// as `status` does, or 124 when --timeout runs out.
    Wait(WaitArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// One JSON object (schema_version 1; see the README).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Give up after this long (30s, 20m, 1h) with exit 124 [default: no limit].
    #[arg(long, value_parser = parse_positive)]
    pub timeout: Option<std::time::Duration>,
    /// How often to look (default 5s).
    #[arg(long, default_value = "5s", value_parser = parse_positive)]
    pub every: std::time::Duration,
}

/// How to read which version (and instance) answered.
#[derive(Debug, Args, Clone, Default)]
pub struct PageArgs {
    /// A pattern whose first group is the version [default: the tutorial's
    /// page, `application version: N`].
    #[arg(long, value_name = "REGEX")]
    pub version_regex: Option<String>,
    /// A pattern whose first group is the instance [default: `instance-id: …`].
    #[arg(long, value_name = "REGEX")]
    pub instance_regex: Option<String>,
    /// Read the version from this response header instead of the page.
    #[arg(long, value_name = "NAME")]
    pub version_header: Option<String>,
}

#[derive(Debug, Args)]
#[expect(clippy::struct_excessive_bools, reason = "each is a command-line switch")]
pub struct ProbeArgs {
    /// The URL to probe (http://).
    pub url: String,
    /// Requests per second, sent on schedule whatever the answers' latency.
    #[arg(long, default_value_t = 10)]
    pub rate: u32,
    /// Longest a request may take from when it was due (500ms, 2s, …).
    #[arg(long, default_value = "2s", value_parser = parse_timeout)]
    pub timeout: std::time::Duration,
    /// Open a new connection for every request (default: keep-alive, as browsers do).
    #[arg(long)]
    pub new_connection: bool,
    /// Stop after this long (30s, 10m, …) [default: until Ctrl-C].
    #[arg(long, value_parser = parse_positive)]
    pub duration: Option<std::time::Duration>,
    /// Exit 1 when a cutover's verdict counted a failed request.
    #[arg(long)]
    pub fail_on_errors: bool,
    /// No screen: one line per second and one per verdict.
    #[arg(long)]
    pub plain: bool,
    /// No screen: one JSON object per line (see the README for the fields).
    #[arg(long, conflicts_with = "plain")]
    pub json: bool,
    #[command(flatten)]
    pub page: PageArgs,
}

fn parse_positive(text: &str) -> Result<std::time::Duration, String> {
    match crate::probe::run::parse_duration(text)? {
        d if d.is_zero() => Err("must be longer than zero".into()),
        d => Ok(d),
    }
}

fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let d = crate::probe::run::parse_duration(text)?;
    if d < std::time::Duration::from_millis(50) || d > std::time::Duration::from_secs(60) {
        return Err("must be between 50ms and 60s".into());
    }
    Ok(d)
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
    /// Open with the tour: the tutorial's five steps, ticked as they happen (`t` toggles it).
    #[arg(long)]
    pub tour: bool,
    /// The longest a story's `wait` may take, in world seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    pub wait_limit: u64,
}
