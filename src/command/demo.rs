//! `bluegreen demo`: the console on a simulated world whose instances and
//! load balancer are real HTTP servers on 127.0.0.1. Everything about the
//! options, the scenario and the story is checked before anything starts;
//! then the world plays, on the screen or `--plain`, a story (`--script`)
//! pressing the keys where one is given. `bluegreen scenarios` lists the
//! built-in scenarios.

use std::time::Duration;

use super::{Output, runtime, screen};
use crate::app::{Msg, Setup};
use crate::cloud::Cloud;
use crate::cloud::sim::scenario::BUILTIN;
use crate::cloud::sim::story::{self, Action};
use crate::cloud::sim::{Scenario, World};
use crate::exit::Failure;
use crate::session::{Player, Session};
use crate::{demo, probe, report};

/// What the demo plays and where.
#[derive(Debug, Clone)]
#[expect(clippy::struct_excessive_bools, reason = "each is a command-line switch")]
pub struct Options {
    /// A built-in scenario's name or a path to a TOML file.
    pub scenario: String,
    /// Multiplies the scenario's pace.
    pub speed: f64,
    pub seed: Option<u64>,
    /// The load balancer's port: exactly this one (0: any free one), or
    /// `None` for 8080, falling back to a free port when it is taken.
    pub port: Option<u16>,
    /// Actions to play; with `--plain` the scenario's story when `None`.
    pub script: Option<String>,
    /// With `--plain`: keep running after the story ends, until interrupted.
    pub hold: bool,
    /// Probe requests per second.
    pub rate: u32,
    /// The longest a story's `wait` may take, in world seconds.
    pub wait_limit: u64,
    /// Open with the tour shown.
    pub tour: bool,
    /// No screen (also without a terminal).
    pub plain: bool,
    /// The load balancer serves HTTPS, with a certificate made at start
    /// that the demo's own prober trusts.
    pub tls: bool,
    /// Where the session is recorded (by default it is not).
    pub record: super::Record,
    /// A recording to play as the world instead of a scenario.
    pub from: Option<std::path::PathBuf>,
}

/// Everything checked before anything starts: a bad scenario, story or
/// option changes nothing.
#[derive(Debug, Clone)]
struct Prepared {
    scenario: Scenario,
    /// The story to play, if any.
    actions: Option<Vec<Action>>,
    output: Output,
}

/// Open files one instance may need (its listener, the load balancer's and
/// the prober's connections to it), and what the rest of the demo needs.
const FILES_PER_INSTANCE: u64 = 4;
const FILES_BESIDES: u64 = 256;

/// Checks the options and the scenario.
fn prepare(opts: &Options) -> Result<Prepared, Failure> {
    let usage = Failure::Usage;
    if !(0.1..=100.0).contains(&opts.speed) {
        return Err(usage(format!(
            "--speed {} is out of range (hint: from 0.1 to 100; 2 plays twice as fast)",
            opts.speed
        )));
    }
    probe::check_rate(opts.rate)?;
    super::check_record(&opts.record)?;
    if !(1..=86_400).contains(&opts.wait_limit) {
        return Err(usage(format!(
            "--wait-limit {} is out of range (hint: from 1 to 86400 world seconds)",
            opts.wait_limit
        )));
    }
    let output = Output::choose(opts.plain, false);
    if opts.hold && output == Output::Screen {
        return Err(usage("--hold only applies to --plain (hint: the console keeps running until you press q)".into()));
    }
    let scenario = Scenario::load(&opts.scenario).map_err(usage)?;
    let script = match (&opts.script, output) {
        (Some(s), _) => Some(s.clone()),
        (None, Output::Lines | Output::Json) => Some(scenario.story.clone()),
        (None, Output::Screen) => None,
    };
    let actions = match script {
        Some(s) => {
            let actions = story::parse(&s).map_err(usage)?;
            story::check(&actions, &scenario).map_err(usage)?;
            Some(actions)
        }
        None => None,
    };
    open_files(u64::from(scenario.group.instances)).map_err(usage)?;
    Ok(Prepared { scenario, actions, output })
}

/// Raises the soft limit of open files to the hard one, and refuses a
/// scenario that still cannot have a server per instance (blue and green).
fn open_files(instances: u64) -> Result<(), String> {
    let need = 2 * instances * FILES_PER_INSTANCE + FILES_BESIDES;
    let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap_or((need, need));
    if soft >= need {
        return Ok(());
    }
    let raised = rlimit::increase_nofile_limit(need.min(hard)).unwrap_or(soft);
    if raised >= need {
        return Ok(());
    }
    Err(format!(
        "a group of {instances} instances needs about {need} open files, and this process may have {raised} (hint: 'ulimit -n {need}' first, or fewer instances)"
    ))
}

/// Plays the demo until the user quits, the story ends (`--plain`), or a
/// signal ends it.
pub fn play(opts: &Options) -> Result<(), Failure> {
    if let Some(file) = &opts.from {
        return super::replay::run(&super::replay::Options {
            file: file.clone(),
            speed: opts.speed,
            plain: opts.plain,
            cast: None,
            size: None,
            idle_limit: "2s".into(),
            demo: true,
        });
    }
    let prepared = prepare(opts)?;
    runtime()?.block_on(open_and_play(opts, prepared))
}

async fn open_and_play(opts: &Options, prepared: Prepared) -> Result<(), Failure> {
    let Prepared { scenario, actions, output } = prepared;
    let world = World::with_seed(&scenario, opts.seed.unwrap_or(scenario.seed));
    let made = if opts.tls {
        Some(crate::net::tls::make_certificate(&["127.0.0.1", "localhost"]).map_err(Failure::Failed)?)
    } else {
        None
    };
    // The authority's certificate where curl and `bluegreen probe` can
    // trust it (`--cacert`, `--ca-file`); only ever the demo's own.
    let ca_file = match &made {
        Some(m) => save_ca(&m.ca_pem),
        None => None,
    };
    let tls_words = ca_file.as_ref().map_or_else(
        || TLS_WORDS.to_string(),
        |path| format!(" over TLS, its certificate authority made at start in {}", path.display()),
    );
    let (running, taken) = demo::open(world, scenario.timing.pace * opts.speed, opts.port, made.as_ref()).await?;
    let demo::Demo { cloud, control, feed, url, .. } = running;
    let setup =
        Setup { source: format!("demo · {}", scenario.name), url: url.clone(), tour: opts.tour, ..Setup::default() };
    let tick = if output == Output::Screen { Duration::from_secs(1) } else { Duration::from_millis(250) };
    let player = actions.map(|a| Player::new(a, Duration::from_secs(opts.wait_limit)));
    let opening = vec![
        (
            cloud.now(),
            "lb".to_string(),
            format!("load balancer: {url}{}", taken_words(taken, made.is_some(), &tls_words)),
        ),
        (cloud.now(), "demo".to_string(), format!("scenario {}: {}", scenario.name, scenario.description)),
    ];
    let header = crate::record::Header {
        first: opening.clone(),
        ..super::header("demo", &setup, cloud.names_events(), output == Output::Screen)
    };
    let recorder = super::recorder(&opts.record, &header)?;
    let setup = Setup { recording: recorder.as_ref().map(|r| r.path().display().to_string()), ..setup };
    let mut session = Session::build(cloud, setup)
        .record(recorder)
        .fed(feed)
        .probe(probe::Settings { tls: trusting(made.as_ref()), ..probe::Settings::new(url.clone(), opts.rate) })
        .tick(tick)
        .story(player)
        .start();
    if let Some(port) = taken {
        session.send(Msg::Notice(format!("port {port} is taken: the load balancer listens on {url}")))?;
    }
    if made.is_some() && output == Output::Screen {
        session.send(Msg::Notice(format!("the load balancer serves {url}{tls_words}")))?;
    }
    let result = match output {
        Output::Screen => screen::show(&mut session).await,
        Output::Lines | Output::Json => {
            report::lines::print(&mut session, std::io::stdout(), &opening, opts.hold).await.map(|_| ())
        }
    };
    session.end(&super::console::ending(&result));
    control.stop().await;
    result
}

/// What `--plain`'s first line says after the load balancer's address.
fn taken_words(taken: Option<u16>, tls: bool, tls_words: &str) -> String {
    let mut words = taken.map(|p| format!(" (port {p} is taken)")).unwrap_or_default();
    if tls {
        words.push_str(tls_words);
    }
    words
}

/// What `--tls` adds to the load balancer's address when the authority's
/// certificate could not be saved.
const TLS_WORDS: &str =
    " over TLS, its certificate made at start and trusted by the prober (curl -k to ask it yourself)";

/// Saves the demo's certificate authority as `demo-ca.pem` in the state
/// directory; `None` when there is none or it cannot be written.
fn save_ca(pem: &str) -> Option<std::path::PathBuf> {
    let dir = crate::logging::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("demo-ca.pem");
    std::fs::write(&path, pem).ok()?;
    Some(path)
}

/// The prober's TLS options: trusting the demo's own authority.
fn trusting(made: Option<&crate::net::tls::Made>) -> crate::net::tls::TlsOptions {
    crate::net::tls::TlsOptions { trusted: made.map(|m| vec![m.ca.clone()]).unwrap_or_default(), ..Default::default() }
}

/// `bluegreen scenarios`: the built-in scenarios, a line each.
pub fn list_scenarios() -> Result<(), Failure> {
    let lines: Vec<String> = BUILTIN
        .iter()
        .map(|(name, _)| {
            let description = Scenario::load(name).map(|s| s.description).unwrap_or_default();
            format!("{name:<15} {description}")
        })
        .collect();
    report::Out::new(std::io::stdout()).lines(lines.iter().map(String::as_str))
}
