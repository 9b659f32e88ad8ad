//! The demo's network face: the simulated world's instances as real HTTP
//! servers on 127.0.0.1, a real round-robin load balancer in front of them,
//! and the runtime that plays the world on tokio's clock and keeps the
//! network in step with it. [`start`] builds all of it, with a prober, into
//! a [`Session`] that the console or `--plain` drives.

pub mod clock;
pub mod instance;
pub mod lb;
pub mod runtime;

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::app::{App, Msg};
use crate::cloud::sim::story::{self, Action};
use crate::cloud::sim::{Scenario, World};
use crate::exit::Failure;
use crate::probe;
use crate::session::{Player, Session};
use runtime::SimHandle;

/// The load balancer's port when none is asked for.
pub const DEFAULT_PORT: u16 = 8080;

/// What the demo plays and where.
#[derive(Debug, Clone)]
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
    /// No screen.
    pub plain: bool,
}

/// Everything checked before anything starts: a bad scenario, story or
/// option changes nothing.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub scenario: Scenario,
    /// The story to play, if any.
    pub actions: Option<Vec<Action>>,
}

/// Open files one instance may need (its listener, the load balancer's and
/// the prober's connections to it), and what the rest of the demo needs.
const FILES_PER_INSTANCE: u64 = 4;
const FILES_BESIDES: u64 = 256;

/// Checks the options and the scenario.
pub fn prepare(opts: &Options) -> Result<Prepared, Failure> {
    let usage = Failure::Usage;
    if !(0.1..=100.0).contains(&opts.speed) {
        return Err(usage(format!(
            "--speed {} is out of range (hint: from 0.1 to 100; 2 plays twice as fast)",
            opts.speed
        )));
    }
    probe::check_rate(opts.rate)?;
    if !(1..=86_400).contains(&opts.wait_limit) {
        return Err(usage(format!(
            "--wait-limit {} is out of range (hint: from 1 to 86400 world seconds)",
            opts.wait_limit
        )));
    }
    if opts.hold && !opts.plain {
        return Err(usage("--hold only applies to --plain (hint: the console keeps running until you press q)".into()));
    }
    let scenario = Scenario::load(&opts.scenario).map_err(usage)?;
    let script = match (&opts.script, opts.plain) {
        (Some(s), _) => Some(s.clone()),
        (None, true) => Some(scenario.story.clone()),
        (None, false) => None,
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
    Ok(Prepared { scenario, actions })
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

/// A running demo: the world, its load balancer and the prober.
#[derive(Debug)]
pub struct Running {
    pub handle: SimHandle,
    pub url: String,
    /// The port asked for by default that was taken, if it was.
    pub taken: Option<u16>,
    prober: JoinHandle<()>,
}

impl Running {
    /// Stops the prober, the world, its instances and its load balancer.
    pub async fn stop(self) {
        self.prober.abort();
        self.handle.stop().await;
    }
}

/// Starts the world, its network face and the prober, and gives the
/// session that watches them.
pub async fn start(opts: &Options, prepared: Prepared) -> Result<(Session<SimHandle>, Running), Failure> {
    let Prepared { scenario, actions } = prepared;
    let (listener, fallback) = match opts.port {
        Some(port) => (lb::bind(port).await.map_err(|e| port_error(port, &e))?, None),
        None => {
            if let Ok(l) = lb::bind(DEFAULT_PORT).await {
                (l, None)
            } else {
                let l = lb::bind(0).await.map_err(|e| port_error(0, &e))?;
                (l, Some(DEFAULT_PORT))
            }
        }
    };
    let world = World::with_seed(&scenario, opts.seed.unwrap_or(scenario.seed));
    let demo = runtime::start(world, scenario.timing.pace * opts.speed, listener)
        .map_err(|e| Failure::Failed(format!("cannot start the load balancer: {e}")))?;
    let (samples_tx, samples) = mpsc::channel(1024);
    let probing = Instant::now();
    let prober = probe::start_at(probe::Settings::new(demo.url.clone(), opts.rate), probing, samples_tx);
    let monochrome = opts.plain || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut app = App::new(format!("demo · {}", scenario.name), demo.url.clone(), probing, monochrome);
    app.show_tour = opts.tour;
    let player = actions.map(|a| Player::new(a, Duration::from_secs(opts.wait_limit)));
    let tick = if opts.plain { Duration::from_millis(250) } else { Duration::from_secs(1) };
    let url = demo.url.clone();
    let mut session = Session::new(app, demo.handle.clone(), demo.feed, samples, tick, player);
    if let Some(port) = fallback {
        session.send(Msg::Notice(format!("port {port} is taken: the load balancer listens on {url}")))?;
    }
    Ok((session, Running { handle: demo.handle, url, taken: fallback, prober }))
}

fn port_error(port: u16, e: &std::io::Error) -> Failure {
    let e = crate::domain::clean(&e.to_string(), 200);
    Failure::Usage(format!(
        "cannot listen on 127.0.0.1:{port}: {e} (hint: another --port, or leave it out to use a free one)"
    ))
}
