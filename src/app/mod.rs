//! The console's state and the one function that changes it. Everything
//! that happens arrives as a [`Msg`]; [`App::update`] changes the state and
//! returns the [`Effect`]s to carry out (calls, a fresh observation). Nothing
//! else mutates an `App`, and rendering only reads it.

pub mod keymap;
pub mod log;
mod plans;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::time::Instant;

use crate::cloud::plan::{Intent, Plan};
use crate::cloud::run::PlanRun;
use crate::cloud::{ApiError, Call, CallOutput};
use crate::domain::{At, Environment, Observation};
use crate::probe::{Sample, Traffic};
use keymap::Action;
use log::{Entry, EventLog, Tone};

/// Everything that happens.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The terminal changed size: redraw.
    Resize,
    /// The clock ticked: world time and the real instant (for traffic seconds).
    Tick {
        world: At,
        real: Instant,
    },
    /// A new observation of the world.
    Observed(Box<Observation>),
    /// A fresh observation asked for to confirm a plan.
    Fresh(Box<Observation>),
    /// A call of a running plan finished; the observation right after it.
    CallDone(Result<CallOutput, ApiError>, Box<Observation>),
    /// One probe request finished.
    Sample(Sample),
    /// Something went wrong outside the cloud's answers (the demo's network face).
    Problem(String),
}

/// What the runner is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Make this call, then answer with `Msg::CallDone`.
    Call(Call),
    /// Observe now and answer with `Msg::Fresh`.
    Observe,
    /// Leave.
    Quit,
}

/// Which region keys move in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Blue,
    Green,
    Events,
}

/// What covers the main screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    /// A plan shown before it runs.
    Plan(PlanView),
    /// An instance's lifecycle events and log tail.
    Instance(String),
}

/// A plan on screen, with what has been typed to confirm it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanView {
    pub plan: Plan,
    pub typed: String,
    /// Confirmed; waiting for the fresh observation to check preconditions.
    pub confirming: bool,
}

/// A message in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub tone: Tone,
}

/// A plan being carried out.
#[derive(Debug, Clone)]
pub struct Running {
    pub intent: Intent,
    pub run: PlanRun,
    shown: usize,
}

/// The console's whole state.
#[derive(Debug, Clone)]
pub struct App {
    /// `demo · manual-reroute` or the AWS region.
    pub source: String,
    pub obs: Option<Observation>,
    /// The world's time at the last tick.
    pub now: At,
    pub focus: Focus,
    /// Selected instance in BLUE and GREEN.
    pub selected: [usize; 2],
    pub log: EventLog,
    /// How many entries from the newest the event log is scrolled.
    pub log_scroll: usize,
    pub traffic: Traffic,
    pub url: String,
    pub overlay: Overlay,
    pub status: Option<Status>,
    pub running: Option<Running>,
    /// Colours off (NO_COLOR): words and symbols carry everything.
    pub monochrome: bool,
    pub quit: bool,
    /// Versions in the last closed second of traffic.
    served: Vec<String>,
}

/// What one message did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub redraw: bool,
    pub effects: Vec<Effect>,
}

impl App {
    pub fn new(source: String, url: String, start: Instant, monochrome: bool) -> Self {
        Self {
            source,
            obs: None,
            now: At::default(),
            focus: Focus::Blue,
            selected: [0, 0],
            log: EventLog::default(),
            log_scroll: 0,
            traffic: Traffic::new(start),
            url,
            overlay: Overlay::None,
            status: None,
            running: None,
            monochrome,
            quit: false,
            served: Vec::new(),
        }
    }

    /// The only place state changes.
    pub fn update(&mut self, msg: Msg) -> Outcome {
        let mut effects = Vec::new();
        let redraw = match msg {
            Msg::Key(key) => self.on_key(key, &mut effects),
            Msg::Resize => true,
            Msg::Tick { world, real } => self.on_tick(world, real),
            Msg::Observed(obs) => self.on_observed(*obs, &mut effects),
            Msg::Fresh(obs) => self.on_fresh(*obs, &mut effects),
            Msg::CallDone(result, obs) => self.on_call_done(result, *obs, &mut effects),
            Msg::Problem(text) => {
                self.note(text.clone(), Tone::Bad);
                self.say(text, Tone::Bad);
                true
            }
            Msg::Sample(sample) => {
                self.traffic.record(sample);
                true
            }
        };
        Outcome { redraw, effects }
    }

    /// The environment shown in the BLUE (0) or GREEN (1) panel.
    pub fn side(&self, index: usize) -> Option<&Environment> {
        let sides = self.obs.as_ref()?.sides();
        let side = if index == 0 { sides.blue } else { sides.green };
        side.and_then(|(_, env)| env)
    }

    fn say(&mut self, text: impl Into<String>, tone: Tone) {
        self.status = Some(Status { text: text.into(), tone });
    }

    fn note(&mut self, text: String, tone: Tone) {
        self.record(Entry { at: self.now, text, tone });
    }

    /// Adds to the event log; a scrolled log keeps showing the same entries.
    fn record(&mut self, entry: Entry) {
        self.log.push(entry);
        if self.log_scroll > 0 {
            self.log_scroll = (self.log_scroll + 1).min(self.log.len().saturating_sub(1));
        }
    }

    fn on_tick(&mut self, world: At, real: Instant) -> bool {
        self.now = world;
        for second in self.traffic.close(real, std::time::Duration::from_millis(500)) {
            let versions: Vec<String> = second.versions.keys().cloned().collect();
            if !versions.is_empty() && versions != self.served {
                let mix: Vec<String> = second.shares().iter().map(|(v, p)| format!("{v} {p}%")).collect();
                self.note(format!("load balancer serves {}", mix.join(" ")), Tone::Info);
                self.served = versions;
            }
        }
        true
    }

    fn on_observed(&mut self, obs: Observation, effects: &mut Vec<Effect>) -> bool {
        let entries = match &self.obs {
            Some(prev) => log::diff(prev, &obs),
            None => vec![log::watching(&obs)],
        };
        for entry in entries {
            self.record(entry);
        }
        self.now = self.now.max(obs.at);
        self.obs = Some(obs);
        self.clamp_selection();
        self.drive(effects);
        true
    }

    fn clamp_selection(&mut self) {
        for side in 0..2 {
            let n = self.side(side).map_or(0, |e| e.instances.len());
            self.selected[side] = self.selected[side].min(n.saturating_sub(1));
        }
    }

    fn on_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) -> bool {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            effects.push(Effect::Quit);
            return true;
        }
        match &self.overlay {
            Overlay::Plan(view) if !view.confirming => return self.on_plan_key(key, effects),
            Overlay::Plan(_) => return false,
            Overlay::Help | Overlay::Instance(_) => {
                let close = matches!(key.code, KeyCode::Esc | KeyCode::Char('q' | '?') | KeyCode::Enter);
                if close {
                    self.overlay = Overlay::None;
                }
                return close;
            }
            Overlay::None => {}
        }
        let Some(action) = keymap::action_for(key) else { return false };
        match action {
            Action::Deploy | Action::Promote | Action::Reattach | Action::CleanUp => {
                self.open_plan(action.intent().expect("an operation"));
            }
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(2),
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::Open => self.open_instance(),
            Action::Help => self.overlay = Overlay::Help,
            Action::Close => self.status = None,
            Action::Quit => {
                self.quit = true;
                effects.push(Effect::Quit);
            }
        }
        true
    }

    fn cycle_focus(&mut self, by: usize) {
        let order = [Focus::Blue, Focus::Green, Focus::Events];
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        self.focus = order[(at + by) % order.len()];
    }

    fn move_selection(&mut self, by: isize) {
        match self.focus {
            Focus::Events => {
                let max = self.log.len().saturating_sub(1);
                self.log_scroll = self.log_scroll.saturating_add_signed(by).min(max);
            }
            Focus::Blue | Focus::Green => {
                let side = usize::from(self.focus == Focus::Green);
                let n = self.side(side).map_or(0, |e| e.instances.len());
                self.selected[side] = self.selected[side].saturating_add_signed(by).min(n.saturating_sub(1));
            }
        }
    }

    fn open_instance(&mut self) {
        let side = match self.focus {
            Focus::Blue => 0,
            Focus::Green => 1,
            Focus::Events => return self.say("select an instance in BLUE or GREEN first (Tab)", Tone::Info),
        };
        match self.side(side).and_then(|e| e.instances.get(self.selected[side])) {
            Some(i) => self.overlay = Overlay::Instance(i.id.clone()),
            None => self.say("no instance here", Tone::Info),
        }
    }
}
