//! `bluegreen demo --plain`: the console without a screen. The same `App`
//! receives the same messages and its effects run the same way; a story of
//! actions presses its keys and confirms its plans unattended. It prints the
//! load balancer's URL first, then one line per world event, per plan step
//! and per second of probe results (for CI logs and terminals that cannot
//! show the console).

use std::io::Write;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::clock::WorldClock;
use super::lb;
use super::runtime::{self, SimHandle};
use crate::app::log::Tone;
use crate::app::{App, Msg, Overlay, keymap};
use crate::cloud::plan::{Confirm, Intent};
use crate::cloud::sim::story::{self, Story, Want};
use crate::cloud::sim::{Scenario, World, WorldEvent};
use crate::console::run_effect;
use crate::domain::At;
use crate::probe;

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
    let start = Instant::now();
    let prober = probe::start(demo.url.clone(), opts.rate, samples_tx);
    let mut app = App::new(format!("demo · {}", scenario.name), demo.url.clone(), start, true);
    let (done_tx, mut done) = mpsc::channel::<Msg>(16);
    let console = Console { handle: demo.handle.clone(), done: done_tx };
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut player = Player { story: Story::new(actions), pressed: None, pending: Vec::new(), finished_at: None };
    let mut shown = Shown { log: 0, second: None };

    let first = demo.handle.observe().await.map_err(|e| e.to_string())?;
    console.send(&mut app, Msg::Observed(Box::new(first)));
    let result = loop {
        if let Err(e) = player.play(&mut app, &console) {
            break Err(e);
        }
        shown.print(&app, start, &mut p);
        if player.finished_at.is_some_and(|t| t.elapsed() > Duration::from_secs(3)) && !opts.hold {
            break Ok(());
        }
        tokio::select! {
            update = demo.updates.recv() => {
                let Some(update) = update else { break Err("the simulated world stopped".to_string()) };
                for e in &update.events {
                    p.line(Some(e.at), "world", &e.text);
                }
                player.pending.extend(update.events);
                console.send(&mut app, Msg::Observed(update.observation));
            }
            Some(msg) = done.recv() => console.send(&mut app, msg),
            Some(sample) = samples.recv() => console.send(&mut app, Msg::Sample(sample)),
            _ = tick.tick() => console.send(&mut app, Msg::Tick { world: demo.clock.now(), real: Instant::now() }),
            _ = tokio::signal::ctrl_c() => break Ok(()),
        }
    };
    prober.abort();
    demo.handle.stop().await;
    result?;
    let summary = Summary { requests: app.traffic.total_requests, failures: app.traffic.total_failures };
    p.line(None, "summary", &format!("{} requests, {} failed", summary.requests, summary.failures));
    Ok(summary)
}

/// Sends messages to the app and runs the effects it returns, as the console does.
struct Console {
    handle: SimHandle,
    done: mpsc::Sender<Msg>,
}

impl Console {
    fn send(&self, app: &mut App, msg: Msg) {
        for effect in app.update(msg).effects {
            run_effect(effect, &self.handle, &self.done);
        }
    }

    fn press(&self, app: &mut App, code: KeyCode) {
        self.send(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

struct Printer<'a, W: Write> {
    out: &'a mut W,
    clock: WorldClock,
}

impl<W: Write> Printer<'_, W> {
    fn line(&mut self, at: Option<At>, kind: &str, text: &str) {
        let at = at.unwrap_or_else(|| self.clock.now());
        let _ = writeln!(self.out, "{at} {kind:<8} {text}");
        let _ = self.out.flush();
    }
}

/// What has been printed of the app's event log and traffic seconds.
struct Shown {
    log: u64,
    second: Option<u64>,
}

impl Shown {
    /// Prints the plan steps the app logged and the traffic seconds it closed since last time.
    fn print<W: Write>(&mut self, app: &App, start: Instant, p: &mut Printer<'_, W>) {
        let new = usize::try_from(app.log.total() - self.log).unwrap_or(usize::MAX);
        let entries: Vec<_> = app.log.newest().take(new).collect();
        for e in entries.into_iter().rev().filter(|e| matches!(e.tone, Tone::Action | Tone::Bad)) {
            p.line(Some(e.at), "console", &e.text);
        }
        self.log = app.log.total();
        let last = self.second;
        for s in app.traffic.seconds.iter().filter(|s| last.is_none_or(|last| s.index > last)) {
            let at = p.clock.at(start + Duration::from_secs(s.index));
            p.line(Some(at), "traffic", &s.to_string());
            self.second = Some(s.index);
        }
    }
}

/// Plays the story through the app: presses a key, confirms its plan
/// (typing the target where asked) and waits for it to end.
struct Player {
    story: Story,
    /// The key pressed whose plan has not ended yet.
    pressed: Option<Intent>,
    /// World events the story has not seen yet.
    pending: Vec<WorldEvent>,
    finished_at: Option<Instant>,
}

impl Player {
    fn play(&mut self, app: &mut App, console: &Console) -> Result<(), String> {
        if let Some(intent) = self.pressed {
            if app.running.is_some() || matches!(app.overlay, Overlay::Plan(_)) {
                return Ok(());
            }
            self.pressed = None;
            match &app.status {
                Some(s) if s.tone == Tone::Good => self.story.done(),
                Some(s) => return Err(s.text.clone()),
                None => return Err(format!("{} ended without a word", intent.verb())),
            }
        }
        let events = std::mem::take(&mut self.pending);
        match self.story.next(&events, app.now.0) {
            Want::Finished => {
                self.finished_at.get_or_insert_with(Instant::now);
            }
            Want::Wait => {}
            Want::Key(intent) => {
                console.press(app, keymap::key_for(intent));
                let Overlay::Plan(view) = &app.overlay else {
                    let why = app
                        .status
                        .as_ref()
                        .map_or_else(|| format!("{} did nothing", intent.verb()), |s| s.text.clone());
                    return Err(format!(
                        "story stopped: {why} (hint: a 'wait <event>' before it lets the world get there, e.g. 'wait Ready' before 'promote')"
                    ));
                };
                match view.plan.confirm.clone() {
                    Confirm::Key => console.press(app, KeyCode::Char('y')),
                    Confirm::Typed(target) => {
                        for c in target.chars() {
                            console.press(app, KeyCode::Char(c));
                        }
                        console.press(app, KeyCode::Enter);
                    }
                }
                self.pressed = Some(intent);
            }
        }
        Ok(())
    }
}
