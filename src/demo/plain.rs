//! `bluegreen demo --plain`: the world and its network face without a
//! screen. It prints the load balancer's URL first, then one line per world
//! event and one line per second of probe results, and plays a story of
//! actions unattended (for CI logs and terminals that cannot show the console).

use std::io::Write;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::lb;
use super::runtime::{self, SimHandle};
use crate::cloud::plan::{self, Intent};
use crate::cloud::run::{Next, PlanRun};
use crate::cloud::sim::story::{self, Story, Want};
use crate::cloud::sim::{Scenario, World, WorldEvent};
use crate::domain::Observation;
use crate::probe::{self, Traffic};

/// What the demo plays and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// A built-in scenario's name or a path to a TOML file.
    pub scenario: String,
    /// Multiplies the scenario's pace.
    pub speed: f64,
    pub seed: Option<u64>,
    /// The load balancer's port (a free one when taken; 0 for any).
    pub port: u16,
    /// Actions to play; the scenario's story when `None`.
    pub script: Option<String>,
    /// Keep running after the story ends, until interrupted.
    pub hold: bool,
    /// Probe requests per second.
    pub rate: u32,
}

/// What a plain run measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub requests: u64,
    pub failures: u64,
}

/// Everything checked before anything starts: a bad scenario or story
/// changes nothing.
pub fn prepare(opts: &Options) -> Result<(Scenario, Vec<story::Action>), String> {
    if !(0.1..=100.0).contains(&opts.speed) {
        return Err(format!(
            "--speed {} is out of range (hint: between 0.1 and 100; 2 plays twice as fast)",
            opts.speed
        ));
    }
    if !(1..=100).contains(&opts.rate) {
        return Err(format!("--rate {} is out of range (hint: between 1 and 100 requests per second)", opts.rate));
    }
    let scenario = Scenario::load(&opts.scenario)?;
    let script = opts.script.clone().unwrap_or_else(|| scenario.story.clone());
    let actions = story::parse(&script)?;
    Ok((scenario, actions))
}

/// Runs the demo headless, writing lines to `out`.
pub async fn run(opts: Options, out: &mut (impl Write + Send)) -> Result<Summary, String> {
    let (scenario, actions) = prepare(&opts)?;
    let listener = lb::bind(opts.port).await.map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", opts.port))?;
    let world = World::with_seed(&scenario, opts.seed.unwrap_or(scenario.seed));
    let mut demo = runtime::start(world, scenario.timing.pace * opts.speed, listener).map_err(|e| e.to_string())?;
    let mut p = Printer { out, clock: demo.clock };
    p.line(None, "lb", &format!("load balancer: {}", demo.url));
    p.line(None, "demo", &format!("scenario {}: {}", scenario.name, scenario.description));

    let (samples_tx, mut samples) = mpsc::channel(1024);
    let probe_start = Instant::now();
    let prober = probe::start(demo.url.clone(), opts.rate, samples_tx);
    let mut traffic = Traffic::new(probe_start);
    let mut second = tokio::time::interval(Duration::from_millis(250));
    second.set_missed_tick_behavior(MissedTickBehavior::Delay);

    let mut player = Player { story: Story::new(actions), run: None, pending: Vec::new(), finished_at: None, shown: 0 };
    let mut obs = demo.handle.observe().await.map_err(|e| e.to_string())?;
    let started = player.advance(&demo.handle, &mut obs, &mut p).await;
    let result = if let Err(e) = started {
        Err(e)
    } else {
        loop {
            tokio::select! {
                update = demo.updates.recv() => {
                    let Some(update) = update else { break Err("the simulated world stopped".to_string()) };
                    for e in &update.events {
                        p.line(Some(e.at), "world", &e.text);
                    }
                    obs = *update.observation;
                    player.pending.extend(update.events);
                    if let Err(e) = player.advance(&demo.handle, &mut obs, &mut p).await {
                        break Err(e);
                    }
                }
                Some(sample) = samples.recv() => traffic.record(sample),
                _ = second.tick() => {
                    for s in traffic.close(Instant::now(), Duration::from_millis(500)) {
                        let at = demo.clock.at(probe_start + Duration::from_secs(s.index));
                        p.line(Some(at), "traffic", &s.to_string());
                    }
                    if player.finished_at.is_some_and(|t| t.elapsed() > Duration::from_secs(3)) && !opts.hold {
                        break Ok(());
                    }
                }
                _ = tokio::signal::ctrl_c() => break Ok(()),
            }
        }
    };
    prober.abort();
    demo.handle.stop().await;
    result?;
    let summary = Summary { requests: traffic.total_requests, failures: traffic.total_failures };
    p.line(None, "summary", &format!("{} requests, {} failed", summary.requests, summary.failures));
    Ok(summary)
}

struct Printer<'a, W: Write> {
    out: &'a mut W,
    clock: super::clock::WorldClock,
}

impl<W: Write> Printer<'_, W> {
    fn line(&mut self, at: Option<crate::domain::At>, kind: &str, text: &str) {
        let at = at.unwrap_or_else(|| self.clock.now());
        let _ = writeln!(self.out, "{at} {kind:<8} {text}");
        let _ = self.out.flush();
    }
}

/// Plays the story: presses keys, runs their plans, waits for events.
struct Player {
    story: Story,
    run: Option<(Intent, PlanRun)>,
    /// World events not yet shown to the story.
    pending: Vec<WorldEvent>,
    finished_at: Option<Instant>,
    /// How many of the running plan's step reports are printed.
    shown: usize,
}

impl Player {
    async fn advance<W: Write>(
        &mut self,
        handle: &SimHandle,
        obs: &mut Observation,
        p: &mut Printer<'_, W>,
    ) -> Result<(), String> {
        loop {
            if let Some((intent, run)) = &mut self.run {
                let next = run.next(obs);
                for report in &run.reports[self.shown..] {
                    p.line(None, "step", report);
                }
                self.shown = run.reports.len();
                match next {
                    Next::Call(call) => {
                        let result = handle.apply(call).await;
                        run.call_done(result);
                        *obs = handle.observe().await.map_err(|e| e.to_string())?;
                        continue;
                    }
                    Next::Pending => return Ok(()),
                    Next::Done => {
                        p.line(None, "story", &format!("{} done", intent.verb()));
                        self.run = None;
                        self.story.done();
                    }
                    Next::Failed(why) => return Err(format!("{}: {why}", intent.verb())),
                }
            }
            let events = std::mem::take(&mut self.pending);
            match self.story.next(&events, obs.at.0) {
                Want::Finished => {
                    if self.finished_at.is_none() {
                        p.line(None, "story", "finished");
                        self.finished_at = Some(Instant::now());
                    }
                    return Ok(());
                }
                Want::Wait => return Ok(()),
                Want::Key(intent) => {
                    let plan = plan::plan(obs, intent, 0).map_err(|r| format!("{} refused: {r}", intent.verb()))?;
                    p.line(None, "story", &format!("{}: {}", intent.verb(), plan.title));
                    let run = PlanRun::start(plan, obs)?;
                    self.run = Some((intent, run));
                    self.shown = 0;
                }
            }
        }
    }
}
