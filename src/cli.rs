//! The command line, the one module that knows clap: `bluegreen [OPTIONS]`
//! opens the console on AWS, `bluegreen demo` on a simulated world, and so
//! on; each parses into a [`Command`] with the library's own options.
//! Shell completions and the manual page come from the same definitions.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

use crate::cloud::aws::Target;
use crate::command::{self, Command};
use crate::exit::Failure;
use crate::probe::Patterns;
use crate::report::Out;

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
    pub command: Option<Sub>,
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
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Where to write the log [default: $XDG_STATE_HOME/bluegreen/bluegreen.log,
    /// or ~/.local/state/bluegreen/bluegreen.log]; RUST_LOG sets the level.
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Record the session here [default: a new file in
    /// $XDG_STATE_HOME/bluegreen/sessions/, the oldest removed past 100 files or 200 MB].
    #[arg(long, value_name = "PATH", conflicts_with = "no_record")]
    pub record: Option<PathBuf>,
    /// Do not record the session.
    #[arg(long)]
    pub no_record: bool,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Play a blue/green deployment on a built-in simulated world: real HTTP
    /// instances and a real load balancer on 127.0.0.1, no AWS account.
    Demo(DemoArgs),
    /// List the built-in scenarios.
    Scenarios,
    /// Probe any URL at a fixed rate and judge each cutover: did moving
    /// traffic between versions drop a request?
    Probe(ProbeArgs),
    /// Bundle a directory (checked: appspec.yml, its hooks' files), upload it
    /// to S3 under a name made of its content (never replacing an object),
    /// and register it as a revision, ready for `d` in the console.
    Push(PushArgs),
    /// The tutorial's kit in your account: `up` builds it (a stack, the
    /// blue/green deployment group, version 2 pushed), `down` removes it all;
    /// `template` prints the CloudFormation template, `app` writes the sample
    /// application.
    #[command(subcommand)]
    Tutorial(TutorialSub),
    /// Every deployment group of the region in one table (style, Auto
    /// Scaling groups, load balancer, latest deployment, what it waits for,
    /// leftovers); Enter opens a group's console, Esc there comes back.
    /// Also what `bluegreen` opens when --app/--group leave several groups.
    Fleet(AwsArgs),
    /// Print the deployment group once (groups, instances, the latest
    /// deployment) and exit 0 (succeeded, or none), 1 (failed or stopped) or
    /// 3 (in progress); with --all, a line per deployment group of the region.
    Status(StatusArgs),
    /// Wait until the deployment in progress ends, a line per change; exit
    /// as `status` does, or 124 when --timeout runs out.
    Wait(WaitArgs),
    /// Replay a recorded session: the same console, nothing sent anywhere
    /// (space pauses, +/- change speed, ]/[ jump between moments); `--plain`
    /// prints its lines, `--cast` writes an asciicast v2 file to share.
    Replay(ReplayArgs),
    /// Print a shell's completions for bluegreen (bash, zsh, fish, …).
    Completions {
        /// The shell.
        shell: Shell,
    },
    /// Print the manual page (roff) of bluegreen, or of one of its commands:
    /// `bluegreen manual > bluegreen.1`, `bluegreen manual demo > bluegreen-demo.1`.
    #[command(hide = true)]
    Manual {
        /// A command's page instead of the main one.
        command: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The directory that holds appspec.yml.
    pub dir: PathBuf,
    /// The CodeDeploy application (picked when there is only one).
    #[arg(long, env = "BLUEGREEN_APP")]
    pub app: Option<String>,
    /// The S3 bucket for bundles, in the application's region.
    #[arg(long, env = "BLUEGREEN_BUCKET")]
    pub bucket: String,
    /// Folders in the bucket before the bundle's name (releases/web).
    #[arg(long)]
    pub prefix: Option<String>,
    /// The revision's description [default: pushed by bluegreen VERSION from DIR].
    #[arg(long)]
    pub description: Option<String>,
    /// Leave out files and directories whose names start with a dot (.git, .env).
    #[arg(long)]
    pub ignore_hidden_files: bool,
    /// One JSON object (schema_version 1; see the README).
    #[arg(long)]
    pub json: bool,
    /// The AWS region [default: from AWS_REGION, the profile, or the instance].
    #[arg(long)]
    pub region: Option<String>,
    /// A named profile from ~/.aws/config.
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TutorialSub {
    /// Create the kit (about five minutes), or finish what is missing of it.
    Up(TutorialUpArgs),
    /// Delete everything the kit made, after a plan you confirm.
    Down(TutorialDownArgs),
    /// Print the CloudFormation template (to use it by hand: see the README).
    Template,
    /// Write the sample application at a version into DIR, ready for `push`.
    App {
        /// Where to write it (made if missing; nothing there is overwritten).
        dir: PathBuf,
        /// The version its page says.
        #[arg(long)]
        version: String,
    },
}

/// Where the kit goes, and as whom.
#[derive(Debug, Args)]
pub struct KitArgs {
    /// The stack's name; the application is named after it, the group NAME-group.
    #[arg(long, default_value = crate::tutorial::STACK)]
    pub stack: String,
    /// The AWS region [default: from AWS_REGION, the profile, or the instance].
    #[arg(long)]
    pub region: Option<String>,
    /// A named profile from ~/.aws/config.
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct TutorialUpArgs {
    #[command(flatten)]
    pub kit: KitArgs,
    /// The load balancer: an Application Load Balancer, or a Classic one as the blog post had.
    #[arg(long, value_enum, default_value_t = LoadBalancerArg::Application)]
    pub load_balancer: LoadBalancerArg,
    /// Add a workstation instance (Session Manager) with bluegreen installed.
    #[arg(long)]
    pub workstation: bool,
    /// Whether traffic waits for p in Ready (manual), or moves when green is ready (auto).
    #[arg(long, value_enum, default_value_t = RerouteArg::Manual)]
    pub reroute: RerouteArg,
    /// A VPC to use instead of a new one (with --subnets).
    #[arg(long)]
    pub vpc: Option<String>,
    /// Public subnets of --vpc, in two or more zones, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub subnets: Vec<String>,
    /// An EC2 key pair for SSH to the workstation (with --ssh-from).
    #[arg(long)]
    pub key_name: Option<String>,
    /// The addresses SSH to the workstation is allowed from, such as 203.0.113.7/32.
    #[arg(long)]
    pub ssh_from: Option<String>,
}

#[derive(Debug, Args)]
pub struct TutorialDownArgs {
    #[command(flatten)]
    pub kit: KitArgs,
    /// Delete without asking for the stack's name.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LoadBalancerArg {
    Application,
    Classic,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RerouteArg {
    Manual,
    Auto,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Every deployment group of every application in the region: a line
    /// (or, with --json, an object) per group; exit 1 if any latest
    /// deployment failed or stopped, else 3 if any is in progress.
    #[arg(long, conflicts_with_all = ["app", "group"])]
    pub all: bool,
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

/// How the prober's HTTPS is checked, and where its connections go.
#[derive(Debug, Args, Clone, Default)]
pub struct TlsArgs {
    /// Trust the certificates in this PEM file too (a private CA).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Do not verify the server's certificate (said in the header and in every verdict).
    #[arg(long)]
    pub insecure: bool,
    /// Connect to HOST:PORT instead of the URL's host, with the URL's name
    /// for SNI and Host (reach one load balancer behind a CDN or weighted DNS).
    #[arg(long, value_name = "HOST:PORT")]
    pub connect_to: Option<String>,
}

impl From<TlsArgs> for crate::net::tls::TlsOptions {
    fn from(t: TlsArgs) -> Self {
        Self { ca_file: t.ca_file, insecure: t.insecure, connect_to: t.connect_to, trusted: Vec::new() }
    }
}

#[derive(Debug, Args)]
#[expect(clippy::struct_excessive_bools, reason = "each is a command-line switch")]
pub struct ProbeArgs {
    /// The URL to probe (http:// or https://).
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
    #[command(flatten)]
    pub tls: TlsArgs,
}

fn parse_positive(text: &str) -> Result<std::time::Duration, String> {
    match crate::domain::parse_duration(text)? {
        d if d.is_zero() => Err("must be longer than zero".into()),
        d => Ok(d),
    }
}

fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let d = crate::domain::parse_duration(text)?;
    if d < std::time::Duration::from_millis(50) || d > std::time::Duration::from_secs(60) {
        return Err("must be between 50ms and 60s".into());
    }
    Ok(d)
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recording (a .jsonl file from $XDG_STATE_HOME/bluegreen/sessions/ or --record).
    pub file: PathBuf,
    /// Play faster (10) or slower (0.5) than it happened: from 0.1 to 1000.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// No screen: print the session's lines as --plain printed them live.
    #[arg(long, conflicts_with = "cast")]
    pub plain: bool,
    /// Write an asciicast v2 file of the screen as it was (no terminal needed).
    #[arg(long, value_name = "OUT.cast")]
    pub cast: Option<PathBuf>,
    /// The cast's size [default: the recorded terminal's, or 120x40].
    #[arg(long, value_name = "COLSxROWS", requires = "cast")]
    pub size: Option<String>,
    /// In the cast, no pause lasts longer than this.
    #[arg(long, default_value = "2s", value_name = "DURATION", requires = "cast")]
    pub idle_limit: String,
}

#[derive(Debug, Args)]
#[expect(clippy::struct_excessive_bools, reason = "each is a command-line switch")]
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
    /// Serve the load balancer over HTTPS, with a certificate authority made
    /// at start that the demo's prober trusts.
    #[arg(long)]
    pub tls: bool,
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
    /// Record the session to this file.
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,
    /// Play a recording as the world: a real deployment, with its instance
    /// ids, timings and traffic (the keys that act are refused).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scenario", "script", "seed", "port", "tls", "hold", "record", "tour"])]
    pub from: Option<PathBuf>,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Invocation {
    Run(Box<Command>),
    /// A shell's completions on stdout.
    Completions(Shell),
    /// A manual page on stdout: the main one, or a command's.
    Manual(Option<String>),
}

impl From<TargetArgs> for Target {
    fn from(t: TargetArgs) -> Self {
        Self { application: t.app, group: t.group, region: t.region, profile: t.profile, ..Self::default() }
    }
}

impl From<PageArgs> for Patterns {
    fn from(p: PageArgs) -> Self {
        Self { version_regex: p.version_regex, instance_regex: p.instance_regex, version_header: p.version_header }
    }
}

/// The console on AWS, as its flags ask.
fn console(a: AwsArgs) -> Command {
    Command::Console(command::console::Options {
        target: Target { url: a.url, read_only: a.read_only, audit_log: a.audit_log, ..a.target.into() },
        rate: a.rate,
        plain: a.plain,
        log_file: a.log_file,
        page: a.page.into(),
        tls: a.tls.into(),
        record: match (a.record, a.no_record) {
            (_, true) => command::Record::Off,
            (Some(path), false) => command::Record::At(path),
            (None, false) => command::Record::Sessions,
        },
    })
}

impl Cli {
    /// The command and its options, in the library's terms.
    pub fn invocation(self) -> Invocation {
        let command = match self.command {
            None => console(self.aws),
            Some(Sub::Demo(a)) => Command::Demo(command::demo::Options {
                scenario: a.scenario,
                speed: a.speed,
                seed: a.seed,
                port: a.port,
                script: a.script,
                hold: a.hold,
                rate: a.rate,
                wait_limit: a.wait_limit,
                tour: a.tour,
                plain: a.plain,
                tls: a.tls,
                record: a.record.map_or(command::Record::Off, command::Record::At),
                from: a.from,
            }),
            Some(Sub::Replay(a)) => Command::Replay(command::replay::Options {
                file: a.file,
                speed: a.speed,
                plain: a.plain,
                cast: a.cast,
                size: a.size,
                idle_limit: a.idle_limit,
                demo: false,
            }),
            Some(Sub::Scenarios) => Command::Scenarios,
            Some(Sub::Probe(a)) => Command::Probe(command::probe::Options {
                url: a.url,
                rate: a.rate,
                timeout: a.timeout,
                new_connection: a.new_connection,
                duration: a.duration,
                fail_on_errors: a.fail_on_errors,
                plain: a.plain,
                json: a.json,
                page: a.page.into(),
                tls: a.tls.into(),
            }),
            Some(Sub::Push(a)) => Command::Push(command::push::Options {
                dir: a.dir,
                application: a.app,
                bucket: a.bucket,
                prefix: a.prefix,
                description: a.description,
                ignore_hidden: a.ignore_hidden_files,
                region: a.region,
                profile: a.profile,
                json: a.json,
            }),
            Some(Sub::Tutorial(t)) => Command::Tutorial(match t {
                TutorialSub::Up(a) => command::tutorial::Options::Up(command::tutorial::Up {
                    kit: crate::tutorial::Kit {
                        stack: a.kit.stack,
                        load_balancer: match a.load_balancer {
                            LoadBalancerArg::Application => crate::tutorial::LoadBalancer::Application,
                            LoadBalancerArg::Classic => crate::tutorial::LoadBalancer::Classic,
                        },
                        workstation: a.workstation,
                        reroute: match a.reroute {
                            RerouteArg::Manual => crate::tutorial::Reroute::Manual,
                            RerouteArg::Auto => crate::tutorial::Reroute::Auto,
                        },
                        vpc: a.vpc,
                        subnets: a.subnets,
                        key_name: a.key_name,
                        ssh_from: a.ssh_from,
                    },
                    region: a.kit.region,
                    profile: a.kit.profile,
                }),
                TutorialSub::Down(a) => command::tutorial::Options::Down(command::tutorial::Down {
                    stack: a.kit.stack,
                    yes: a.yes,
                    region: a.kit.region,
                    profile: a.kit.profile,
                }),
                TutorialSub::Template => command::tutorial::Options::Template,
                TutorialSub::App { dir, version } => command::tutorial::Options::App { dir, version },
            }),
            Some(Sub::Fleet(a)) => match console(a) {
                Command::Console(opts) => Command::Fleet(opts),
                other => other,
            },
            Some(Sub::Status(a)) => {
                let target = Target { read_only: true, ..a.target.into() };
                Command::Status(command::status::Options { target, json: a.json, all: a.all })
            }
            Some(Sub::Wait(a)) => {
                let target = Target { read_only: true, ..a.target.into() };
                Command::Wait(command::wait::Options { target, timeout: a.timeout, every: a.every })
            }
            Some(Sub::Completions { shell }) => return Invocation::Completions(shell),
            Some(Sub::Manual { command }) => return Invocation::Manual(command),
        };
        Invocation::Run(Box::new(command))
    }
}

/// Parses the process's arguments (exits with clap's message and code 2
/// on bad usage, or prints the help or version).
pub fn parse() -> Invocation {
    Cli::parse().invocation()
}

/// Writes `shell`'s completions for bluegreen to `out`.
pub fn completions(shell: Shell, out: impl Write) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "bluegreen", &mut script);
    Out::new(out).text(&script)
}

/// Writes the manual page (roff) of bluegreen, or of one of its commands, to `out`.
pub fn manual(command: Option<&str>, out: impl Write) -> Result<(), Failure> {
    let mut cli = Cli::command();
    cli.build();
    let page = match command {
        None => cli,
        Some(name) => {
            let names: Vec<String> = cli.get_subcommands().map(|c| c.get_name().to_string()).collect();
            let Some(sub) = cli.find_subcommand(name) else {
                return Err(Failure::Usage(format!(
                    "no command '{}' (hint: one of {})",
                    crate::domain::clean(name, 40),
                    names.join(", ")
                )));
            };
            sub.clone().name(format!("bluegreen-{name}")).version(VERSION)
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| Failure::Failed(format!("cannot write the manual page: {e}")))?;
    Out::new(out).text(&roff)
}
