//! The console's state and the one function that changes it. Everything
//! that happens arrives as a [`Msg`]; [`App::update`] changes the state and
//! returns the [`Effect`]s to carry out (calls, a fresh observation). Nothing
//! else mutates an `App`, and rendering only reads it.

pub mod keymap;
pub mod log;
pub mod overlay;
mod plans;
mod status;
pub mod tour;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::time::Instant;

use crate::cloud::plan::{Intent, Plan};
use crate::cloud::run::PlanRun;
use crate::cloud::{ApiError, Call, CallOutput};
use crate::domain::{At, Environment, Observation};
use crate::probe::{Sample, Traffic};
use keymap::Action;
use log::{Entry, EventLog, Tone};
pub use status::{LookFailure, Status};

/// The smallest screen the console draws on (columns, rows). Below it, the
/// screen says so and no key but quit acts.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Everything that happens.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The terminal's size (columns, rows), at start and on every change.
    Resize(u16, u16),
    /// The clock ticked: world time and the real instant (for traffic seconds).
    Tick {
        world: At,
        real: Instant,
    },
    /// A new observation of the world.
    Observed(Box<Observation>),
    /// Looking at the world failed; the next look comes after `retry_in`.
    ObserveFailed {
        error: ApiError,
        retry_in: Duration,
    },
    /// A fresh observation asked for to confirm a plan.
    Fresh(Box<Observation>),
    /// The fresh observation a plan waits for could not be made.
    FreshFailed(ApiError),
    /// A call of a running plan finished; the observation right after it, if
    /// one could be made.
    CallDone(Result<CallOutput, ApiError>, Option<Box<Observation>>),
    /// One probe request finished.
    Sample(Sample),
    /// Something went wrong outside the cloud's answers (the demo's network face).
    Problem(String),
    /// Something the user should know that is not a change in the world.
    Notice(String),
}

/// What the runner is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Make this call, then answer with `Msg::CallDone`.
    Call(Call),
    /// Observe now and answer with `Msg::Fresh` (or `Msg::FreshFailed`).
    Observe,
    /// Give the terminal back and stop until resumed (Ctrl-Z).
    Suspend,
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
    /// One event log entry, whole.
    Event(Entry),
}

/// A plan on screen, with what has been typed to confirm it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanView {
    pub plan: Plan,
    pub typed: String,
    /// Every row of the plan has been on screen (it may be confirmed).
    pub seen_all: bool,
    /// Confirmed; waiting for the fresh observation to check preconditions.
    pub confirming: bool,
}

impl PlanView {
    fn new(plan: Plan) -> Self {
        Self { plan, typed: String::new(), seen_all: false, confirming: false }
    }
}

/// How the last plan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanEnd {
    /// Every step is done; what was done, in words.
    Done(String),
    /// Refused on its fresh observation, or stopped at a step; why.
    Failed(String),
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
    /// The terminal's size; `None` without a screen (`--plain`, tests).
    pub size: Option<(u16, u16)>,
    pub focus: Focus,
    /// Selected instance in BLUE and GREEN.
    pub selected: [usize; 2],
    pub log: EventLog,
    /// The selected event, counted from the newest (0); the log shows it first.
    pub log_scroll: usize,
    pub traffic: Traffic,
    /// The tutorial's steps, checked on every observation and second.
    pub tour: tour::Tour,
    /// The tour shows in the event log's place (`t`).
    pub show_tour: bool,
    /// The real instant of the last tick (for the gap still open).
    pub real_now: Instant,
    /// World seconds per real second, from the last two ticks (the demo's
    /// world runs faster than real time; AWS's does not).
    pace: f64,
    /// Cutover verdicts with the time they were reached, oldest first.
    pub verdicts: std::collections::VecDeque<(At, crate::probe::Verdict)>,
    pub url: String,
    pub overlay: Overlay,
    /// Rows of the overlay's text scrolled past at its top.
    pub overlay_scroll: usize,
    pub status: Option<Status>,
    pub running: Option<Running>,
    /// The last look at the world failed (cleared by the next observation).
    pub look_failed: Option<LookFailure>,
    /// Colours off (NO_COLOR): words and symbols carry everything.
    pub monochrome: bool,
    /// Where the log file is, for the help.
    pub log_file: Option<String>,
    /// Where mutations are recorded, for the help.
    pub audit_log: Option<String>,
    /// Why the keys that change anything are refused, if they are.
    pub read_only: Option<String>,
    /// An observation older than this is shown as stale.
    pub stale_after: Option<Duration>,
    pub quit: bool,
    /// Versions (and failures) of the last closed second of traffic.
    served: Vec<String>,
    plan_end: Option<PlanEnd>,
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
            size: None,
            focus: Focus::Blue,
            selected: [0, 0],
            log: EventLog::default(),
            log_scroll: 0,
            traffic: Traffic::new(start),
            tour: tour::Tour::default(),
            show_tour: false,
            real_now: start,
            pace: 1.0,
            verdicts: std::collections::VecDeque::new(),
            url,
            overlay: Overlay::None,
            overlay_scroll: 0,
            status: None,
            running: None,
            look_failed: None,
            monochrome,
            log_file: None,
            audit_log: None,
            read_only: None,
            stale_after: None,
            quit: false,
            served: Vec::new(),
            plan_end: None,
        }
    }

    /// The only place state changes.
    pub fn update(&mut self, msg: Msg) -> Outcome {
        let mut effects = Vec::new();
        let redraw = match msg {
            Msg::Key(key) => self.on_key(key, &mut effects),
            Msg::Resize(w, h) => self.on_resize(w, h),
            Msg::Tick { world, real } => self.on_tick(world, real),
            Msg::Observed(obs) => self.on_observed(*obs, &mut effects),
            Msg::ObserveFailed { error, retry_in } => self.on_observe_failed(error, retry_in),
            Msg::Fresh(obs) => self.on_fresh(*obs, &mut effects),
            Msg::FreshFailed(error) => self.on_fresh_failed(&error),
            Msg::CallDone(result, obs) => self.on_call_done(result, obs.map(|o| *o), &mut effects),
            Msg::Problem(text) => self.on_problem(text, Tone::Bad),
            Msg::Notice(text) => self.on_problem(text, Tone::Info),
            Msg::Sample(sample) => {
                self.tour.heard(&sample.outcome);
                self.traffic.record(sample);
                true
            }
        };
        Outcome { redraw, effects }
    }

    /// How the last plan ended (cleared when another plan opens).
    pub fn plan_end(&self) -> Option<&PlanEnd> {
        self.plan_end.as_ref()
    }

    /// The screen is smaller than the console needs: only the "too small"
    /// notice shows, so no key may act on what cannot be seen.
    pub fn too_small(&self) -> bool {
        self.size.is_some_and(|(w, h)| w < MIN_SIZE.0 || h < MIN_SIZE.1)
    }

    /// The environment shown in the BLUE (0) or GREEN (1) panel.
    pub fn side(&self, index: usize) -> Option<&Environment> {
        let sides = self.obs.as_ref()?.sides();
        let side = if index == 0 { sides.blue } else { sides.green };
        side.and_then(|(_, env)| env)
    }

    /// Logs something the console did or found.
    fn note(&mut self, text: String, tone: Tone) {
        self.record(Entry { at: self.now, text, tone, kind: log::Kind::Console });
    }

    /// Adds to the event log; a scrolled log keeps showing the same entries.
    fn record(&mut self, entry: Entry) {
        let place = self.log.push(entry);
        // Keep the selected entry selected when the new one lands above it.
        if self.log_scroll > 0 && place <= self.log_scroll {
            self.log_scroll = (self.log_scroll + 1).min(self.log.len().saturating_sub(1));
        }
    }

    fn on_resize(&mut self, w: u16, h: u16) -> bool {
        self.size = Some((w, h));
        self.refresh_overlay();
        true
    }

    fn on_problem(&mut self, text: String, tone: Tone) -> bool {
        self.note(text.clone(), tone);
        self.say(text, tone);
        true
    }

    fn on_tick(&mut self, world: At, real: Instant) -> bool {
        if real > self.real_now && world > self.now {
            let pace = world.since(self.now).as_secs_f64() / real.duration_since(self.real_now).as_secs_f64();
            self.pace = pace.clamp(0.001, 10_000.0);
        }
        self.now = self.now.max(world);
        self.real_now = self.real_now.max(real);
        for second in self.traffic.close(real) {
            // Said at the world time of the second, not when it closed
            // (seconds later, once its slowest request has ended).
            let at = self.world_at(self.traffic.start() + std::time::Duration::from_secs(second.index));
            let classes = second.classes();
            if !classes.is_empty() && classes != self.served {
                let tone = if second.failures > 0 { Tone::Bad } else { Tone::Info };
                let text = format!("load balancer serves {}", second.mix_words());
                self.record(Entry { at, text, tone, kind: log::Kind::Traffic });
                self.served = classes;
            }
        }
        for verdict in self.traffic.take_verdicts() {
            let tone = if verdict.failures() == 0 { Tone::Good } else { Tone::Bad };
            let at = self.world_at(self.traffic.start() + std::time::Duration::from_secs(verdict.reached));
            self.record(Entry { at, text: verdict.to_string(), tone, kind: log::Kind::Verdict });
            self.verdicts.push_back((at, verdict));
            while self.verdicts.len() > crate::probe::stats::KEEP_VERDICTS {
                self.verdicts.pop_front();
            }
        }
        if let Some(obs) = &self.obs {
            self.tour.update(obs, &self.traffic);
        }
        self.expire_status();
        true
    }

    /// The world time of a real instant at or before the last tick.
    fn world_at(&self, real: Instant) -> At {
        let behind = self.real_now.saturating_duration_since(real);
        self.now - behind.mul_f64(self.pace)
    }

    fn on_observed(&mut self, obs: Observation, effects: &mut Vec<Effect>) -> bool {
        let new_rollback = obs
            .active
            .as_ref()
            .filter(|d| d.is_rollback())
            .is_some_and(|d| self.obs.as_ref().is_none_or(|p| p.active.as_ref().is_none_or(|a| a.id != d.id)));
        if new_rollback {
            // CodeDeploy moves traffic back: judge that cutover too.
            self.traffic.expect_cutover();
        }
        let entries = match &self.obs {
            Some(prev) => log::diff(prev, &obs),
            None => vec![log::watching(&obs)],
        };
        for entry in entries {
            self.record(entry);
        }
        self.now = self.now.max(obs.at);
        self.look_failed = None;
        self.tour.update(&obs, &self.traffic);
        self.obs = Some(obs);
        self.clamp_selection();
        self.drive(effects);
        self.expire_status();
        true
    }

    fn on_observe_failed(&mut self, error: ApiError, retry_in: Duration) -> bool {
        let first = self.look_failed.is_none();
        if first {
            self.note(format!("could not look at the deployment group: {error}"), Tone::Bad);
        }
        self.look_failed = Some(LookFailure { error, retry_in, at: self.now });
        true
    }

    fn clamp_selection(&mut self) {
        for side in 0..2 {
            let n = self.side(side).map_or(0, |e| e.instances.len());
            self.selected[side] = self.selected[side].min(n.saturating_sub(1));
        }
    }

    fn on_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            self.quit = true;
            effects.push(Effect::Quit);
            return true;
        }
        if ctrl && key.code == KeyCode::Char('z') {
            effects.push(Effect::Suspend);
            return false;
        }
        if self.too_small() {
            // Nothing is on screen but the notice: only quit acts.
            if key.code == KeyCode::Char('q') && key.modifiers.is_empty() {
                self.quit = true;
                effects.push(Effect::Quit);
                return true;
            }
            return false;
        }
        match &self.overlay {
            Overlay::Plan(view) if !view.confirming => return self.on_plan_key(key, effects),
            Overlay::Plan(_) => return self.on_confirming_key(key),
            Overlay::Help | Overlay::Instance(_) | Overlay::Event(_) => {
                if self.scroll_overlay(key.code) {
                    return true;
                }
                let close = matches!(key.code, KeyCode::Esc | KeyCode::Char('q' | '?') | KeyCode::Enter);
                if close {
                    self.open(Overlay::None);
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
            Action::Open => self.open_selected(),
            Action::Help => self.open(Overlay::Help),
            Action::Tour => {
                self.show_tour = !self.show_tour;
                if self.show_tour && self.focus == Focus::Events {
                    self.focus = Focus::Blue;
                }
            }
            Action::Close => self.status = None,
            Action::Quit => {
                self.quit = true;
                effects.push(Effect::Quit);
            }
        }
        true
    }

    /// Shows an overlay (or none) from its top.
    fn open(&mut self, overlay: Overlay) {
        self.overlay = overlay;
        self.overlay_scroll = 0;
        self.refresh_overlay();
    }

    /// Scrolls the overlay for ↑/↓, PgUp/PgDn, Home/End; `false` for other keys.
    fn scroll_overlay(&mut self, code: KeyCode) -> bool {
        let page = self.overlay_rows().map_or(1, |r| r.visible.saturating_sub(1).max(1));
        let s = self.overlay_scroll;
        self.overlay_scroll = match code {
            KeyCode::Up => s.saturating_sub(1),
            KeyCode::Down => s + 1,
            KeyCode::PageUp => s.saturating_sub(page),
            KeyCode::PageDown => s + page,
            KeyCode::Home => 0,
            KeyCode::End => usize::MAX / 2,
            _ => return false,
        };
        self.refresh_overlay();
        true
    }

    /// Rows of the open overlay's text and how many show at once, on this
    /// screen (`None` without a screen or an overlay).
    pub fn overlay_rows(&self) -> Option<overlay::Rows> {
        let (w, h) = self.size?;
        overlay::shown(self, ratatui::layout::Rect::new(0, 0, w, h)).map(|s| s.rows)
    }

    /// Rows of the overlay's text scrolled past at its top.
    pub fn overlay_scroll(&self) -> usize {
        self.overlay_scroll
    }

    /// Keeps the overlay's scroll inside its text for the screen's size and
    /// notes when a plan's last row has been on screen.
    pub(super) fn refresh_overlay(&mut self) {
        let rows = self.overlay_rows();
        if let Some(r) = rows {
            self.overlay_scroll = self.overlay_scroll.min(r.total.saturating_sub(r.visible));
        }
        let scroll = self.overlay_scroll;
        if let Overlay::Plan(view) = &mut self.overlay
            && rows.is_none_or(|r| scroll + r.visible >= r.total)
        {
            view.seen_all = true;
        }
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

    fn open_selected(&mut self) {
        let side = match self.focus {
            Focus::Blue => 0,
            Focus::Green => 1,
            Focus::Events => {
                let entry = self.log.newest().nth(self.log_scroll).cloned();
                match entry {
                    Some(entry) => self.open(Overlay::Event(entry)),
                    None => self.say("no event yet", Tone::Info),
                }
                return;
            }
        };
        match self.side(side).and_then(|e| e.instances.get(self.selected[side])) {
            Some(i) => self.open(Overlay::Instance(i.id.clone())),
            None => self.say("no instance here", Tone::Info),
        }
    }
}
