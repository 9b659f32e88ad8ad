//! The console's state and the one function that changes it. Everything
//! that happens arrives as a [`Msg`]; [`App::update`] changes the state and
//! returns the [`Effect`]s to carry out (calls, a fresh observation). Nothing
//! else mutates an `App`, and rendering only reads it.

pub mod fleet;
pub mod keymap;
pub mod log;
pub mod overlay;
mod plans;
mod status;
pub mod tour;

use std::collections::VecDeque;
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
    /// The clock ticked: the world's time at a real instant, and how many
    /// world seconds pass per real second (the demo plays faster; AWS's
    /// world is real time). Traffic is stamped in world time by it.
    Tick {
        world: At,
        real: Instant,
        pace: f64,
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
pub struct ActivePlan {
    pub intent: Intent,
    pub run: PlanRun,
    shown: usize,
}

/// What an app starts with: where its data comes from and what it may do.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// `demo · manual-reroute`, `aws`, `aws · my-profile`: shown in the header.
    pub source: String,
    /// What the prober probes (empty: nothing).
    pub url: String,
    /// Where the log file is, for the help.
    pub log_file: Option<String>,
    /// Where mutations are recorded, for the help.
    pub audit_log: Option<String>,
    /// Where the session is recorded, for the help.
    pub recording: Option<String>,
    /// Why the keys that change anything are refused, if they are.
    pub read_only: Option<String>,
    /// An observation older than this is shown as stale.
    pub stale_after: Option<Duration>,
    /// Open with the tour in the event log's place.
    pub tour: bool,
    /// The prober does not verify certificates (`--insecure`): said with
    /// the URL and in every verdict.
    pub unverified: bool,
    /// Where `Esc` leads when nothing is open (`fleet`: the console was
    /// opened from the fleet); said in the status line.
    pub back: Option<String>,
}

/// Said of a URL, and of each verdict, when certificates are not verified.
const UNVERIFIED: &str = " (certificates not verified)";

/// The console's whole state. Only [`App::update`] changes it; everything
/// else reads it.
#[derive(Debug, Clone)]
pub struct App {
    source: String,
    obs: Option<Observation>,
    /// The world's time at the last tick.
    now: At,
    /// The terminal's size; `None` without a screen (`--plain`, tests).
    size: Option<(u16, u16)>,
    focus: Focus,
    /// Selected instance in BLUE and GREEN.
    selected: [usize; 2],
    log: EventLog,
    /// The selected event, counted from the newest (0); the log shows it first.
    log_scroll: usize,
    traffic: Traffic,
    /// The tutorial's steps, checked on every observation and second.
    tour: tour::Tour,
    /// The tour shows in the event log's place (`t`).
    show_tour: bool,
    /// The real instant of the last tick (for the gap still open).
    real_now: Instant,
    /// The world's time at `real_now`, and world seconds per real second,
    /// from the last tick: what maps a request's real time to the world's.
    tick_world: At,
    pace: f64,
    /// Cutover verdicts with their cutover's span (world time), oldest first.
    verdicts: VecDeque<((At, At), crate::probe::Verdict)>,
    /// The prober's URL as shown (with `--insecure` said after it).
    url: String,
    /// The prober does not verify certificates: every verdict says so.
    unverified: bool,
    overlay: Overlay,
    /// Rows of the overlay's text scrolled past at its top.
    overlay_scroll: usize,
    status: Option<Status>,
    running: Option<ActivePlan>,
    /// The last look at the world failed (cleared by the next observation).
    look_failed: Option<LookFailure>,
    log_file: Option<String>,
    audit_log: Option<String>,
    recording: Option<String>,
    read_only: Option<String>,
    stale_after: Option<Duration>,
    quit: bool,
    /// Versions (and failures) of the last closed second of traffic.
    served: Vec<String>,
    /// When the served mix last changed (world time).
    served_at: At,
    plan_end: Option<PlanEnd>,
    /// Warnings already logged, with what they are about (the deployment,
    /// or the groups the deployment group uses).
    warned: Vec<(String, String)>,
    /// The latest observation's warnings about green in Ready.
    guards: Vec<String>,
    /// The latest observation's stack or state that still names the original.
    drift: Option<String>,
    /// The deployment whose wait was last counted down, and its step then
    /// ([`crate::domain::why::countdown_step`]).
    counted: Option<(String, u64)>,
    back: Option<String>,
}

/// What a message changed on screen, from least to most.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    #[default]
    Nothing,
    /// Only what moves at rest: the traffic strip and figures, the clock.
    Traffic,
    /// Anything else: an observation, the log, a plan, an overlay, a key's doing.
    State,
}

/// What one message did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub change: Change,
    pub effects: Vec<Effect>,
}

impl Outcome {
    /// Whether anything on screen changed.
    pub fn redraw(&self) -> bool {
        self.change != Change::Nothing
    }
}

impl App {
    /// An app that has seen nothing yet; probing (and traffic second 0)
    /// started at `start`.
    pub fn new(setup: Setup, start: Instant) -> Self {
        let Setup { source, url, log_file, audit_log, recording, read_only, stale_after, tour, unverified, back } =
            setup;
        let url = if unverified { format!("{url}{UNVERIFIED}") } else { url };
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
            show_tour: tour,
            real_now: start,
            tick_world: At::default(),
            pace: 1.0,
            verdicts: VecDeque::new(),
            url,
            unverified,
            overlay: Overlay::None,
            overlay_scroll: 0,
            status: None,
            running: None,
            look_failed: None,
            log_file,
            audit_log,
            recording,
            read_only,
            stale_after,
            quit: false,
            served: Vec::new(),
            served_at: At::default(),
            plan_end: None,
            warned: Vec::new(),
            guards: Vec::new(),
            drift: None,
            counted: None,
            back,
        }
    }

    /// The only place state changes.
    pub fn update(&mut self, msg: Msg) -> Outcome {
        let mut effects = Vec::new();
        let state = |changed: bool| if changed { Change::State } else { Change::Nothing };
        let change = match msg {
            Msg::Key(key) => state(self.on_key(key, &mut effects)),
            Msg::Resize(w, h) => state(self.on_resize(w, h)),
            Msg::Tick { world, real, pace } => {
                if self.on_tick(world, real, pace) {
                    Change::State
                } else {
                    Change::Traffic
                }
            }
            Msg::Observed(obs) => state(self.on_observed(*obs, &mut effects)),
            Msg::ObserveFailed { error, retry_in } => state(self.on_observe_failed(error, retry_in)),
            Msg::Fresh(obs) => state(self.on_fresh(*obs, &mut effects)),
            Msg::FreshFailed(error) => state(self.on_fresh_failed(&error)),
            Msg::CallDone(result, obs) => state(self.on_call_done(result, obs.map(|o| *o), &mut effects)),
            Msg::Problem(text) => state(self.on_problem(text, Tone::Bad)),
            Msg::Notice(text) => state(self.on_problem(text, Tone::Info)),
            Msg::Sample(sample) => {
                self.tour.heard(&sample.outcome);
                self.traffic.record(sample);
                Change::Traffic
            }
        };
        Outcome { change, effects }
    }

    /// How the last plan ended (cleared when another plan opens).
    pub fn plan_end(&self) -> Option<&PlanEnd> {
        self.plan_end.as_ref()
    }

    /// Where the data comes from, for the header.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The last observation, if any.
    pub fn obs(&self) -> Option<&Observation> {
        self.obs.as_ref()
    }

    /// The world's time at the last tick.
    pub fn now(&self) -> At {
        self.now
    }

    /// The real instant of the last tick.
    pub fn real_now(&self) -> Instant {
        self.real_now
    }

    /// The terminal's size; `None` without a screen.
    pub fn size(&self) -> Option<(u16, u16)> {
        self.size
    }

    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// The selected instance in BLUE (0) and GREEN (1).
    pub fn selected(&self) -> [usize; 2] {
        self.selected
    }

    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// The selected event, counted from the newest (0).
    pub fn log_scroll(&self) -> usize {
        self.log_scroll
    }

    pub fn traffic(&self) -> &Traffic {
        &self.traffic
    }

    /// Cutover verdicts with their cutover's span, oldest first.
    pub fn verdicts(&self) -> &VecDeque<((At, At), crate::probe::Verdict)> {
        &self.verdicts
    }

    pub fn tour(&self) -> &tour::Tour {
        &self.tour
    }

    /// Whether the tour shows in the event log's place.
    pub fn show_tour(&self) -> bool {
        self.show_tour
    }

    /// What the prober probes (empty: nothing).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    /// The message in the status line.
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// The plan being carried out.
    pub fn running(&self) -> Option<&ActivePlan> {
        self.running.as_ref()
    }

    /// The last look at the world failed.
    pub fn look_failed(&self) -> Option<&LookFailure> {
        self.look_failed.as_ref()
    }

    /// Where the log file is.
    pub fn log_file(&self) -> Option<&str> {
        self.log_file.as_deref()
    }

    /// Where mutations are recorded.
    pub fn audit_log(&self) -> Option<&str> {
        self.audit_log.as_deref()
    }

    /// Why the keys that change anything are refused, if they are.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// An observation older than this is shown as stale.
    pub fn stale_after(&self) -> Option<Duration> {
        self.stale_after
    }

    /// Where `Esc` leads when nothing is open, if anywhere.
    pub fn back(&self) -> Option<&str> {
        self.back.as_deref()
    }

    /// Whether nothing covers the screen or waits (no overlay, no plan
    /// running, no message): `Esc` may leave.
    pub fn at_rest(&self) -> bool {
        self.overlay == Overlay::None && self.running.is_none() && self.status.is_none()
    }

    /// The user asked to leave.
    pub fn quit(&self) -> bool {
        self.quit
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

    /// Logs the active deployment's countdown each minute, thrice in the
    /// last minute, and when the window closes.
    fn count_down(&mut self) {
        let Some(d) = self.obs.as_ref().and_then(|o| o.active.as_ref()) else { return };
        let Some(step) = crate::domain::why::countdown_step(d, self.now) else { return };
        let key = (d.id.clone(), step);
        if self.counted.as_ref() == Some(&key) {
            return;
        }
        if let Some(text) = crate::domain::why::countdown(d, self.now) {
            let tone = if step <= 60 { Tone::Bad } else { Tone::Action };
            self.counted = Some(key);
            self.note(text, tone);
        }
    }

    /// Reads the warnings of the latest observation (green in Ready, a
    /// stack still naming the original) for the panel, and logs each new
    /// one once.
    fn warn_of_green(&mut self) {
        let Some(obs) = &self.obs else { return };
        let id = obs.active.as_ref().map(|d| d.id.clone()).unwrap_or_default();
        self.guards = crate::domain::why::green_guards(obs);
        self.drift = crate::domain::why::drift(obs);
        let drift = self.drift.clone().map(|d| ((obs.group.autoscaling_groups.join(","), d), Tone::Action));
        let said: Vec<((String, String), Tone)> = self
            .guards
            .iter()
            .map(|w| ((id.clone(), w.clone()), Tone::Bad))
            .chain(drift)
            .filter(|(key, _)| !self.warned.contains(key))
            .collect();
        for (key, tone) in said {
            self.note(format!("⚠ {}", key.1), tone);
            self.warned.push(key);
        }
    }

    /// Warnings about green while the active deployment waits in Ready.
    pub fn green_guards(&self) -> &[String] {
        &self.guards
    }

    /// After a cutover: the tool that still names the original group.
    pub fn drift(&self) -> Option<&str> {
        self.drift.as_deref()
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

    /// The clock moved; gives whether it logged anything (else only the
    /// clock and the traffic figures changed).
    fn on_tick(&mut self, world: At, real: Instant, pace: f64) -> bool {
        let logged = self.log.total();
        let (tour, status) = (self.tour.clone(), self.status.clone());
        if real >= self.real_now {
            self.real_now = real;
            self.tick_world = world;
            self.pace = pace.clamp(0.001, 10_000.0);
        }
        self.now = self.now.max(world);
        for second in self.traffic.close(real) {
            // Said at the world time of its requests, not when the second
            // closed (seconds later, once its slowest request has ended),
            // and never before the change it follows.
            let classes = second.classes();
            if !classes.is_empty() && classes != self.served {
                let at = self.world_at(self.traffic.start() + self.changed(&second, &classes)).max(self.served_at);
                let tone = if second.failures > 0 { Tone::Bad } else { Tone::Info };
                let text = format!("load balancer serves {}", second.mix_words());
                self.record(Entry { at, text, tone, kind: log::Kind::Traffic });
                self.served = classes;
                self.served_at = at;
            }
        }
        for verdict in self.traffic.take_verdicts() {
            let tone = if verdict.failures() == 0 { Tone::Good } else { Tone::Bad };
            // Told at its cutover's end, with its span: decided seconds
            // later, it takes its place among what happened then.
            let began = self.traffic.start() + Duration::from_secs(verdict.since);
            let span = (self.world_at(began), self.world_at(began + verdict.took));
            let mut text = verdict.describe(span);
            if self.unverified {
                text.push_str(UNVERIFIED);
            }
            self.record(Entry { at: span.1, text, tone, kind: log::Kind::Verdict });
            self.verdicts.push_back((span, verdict));
            while self.verdicts.len() > crate::probe::stats::KEEP_VERDICTS {
                self.verdicts.pop_front();
            }
        }
        if let Some(obs) = &self.obs {
            self.tour.update(obs, &self.traffic);
        }
        self.count_down();
        self.expire_status();
        self.log.total() != logged || self.tour != tour || self.status != status
    }

    /// When the served mix changed into `second`'s, from the start of
    /// probing: when its first answer of a new kind was due, or else just
    /// after the last answer of a kind that went away (in the second
    /// before). A second spans many world seconds when the demo plays fast.
    fn changed(&self, second: &crate::probe::Second, classes: &[String]) -> Duration {
        let start = Duration::from_secs(second.index);
        if let Some(into) = second.first_new(&self.served) {
            return start + into;
        }
        let gone: Vec<String> = self.served.iter().filter(|c| !classes.contains(c)).cloned().collect();
        let before = second.index.checked_sub(1).and_then(|i| self.traffic.seconds.iter().rev().find(|s| s.index == i));
        match before.and_then(|b| b.last_of(&gone)) {
            Some(into) => Duration::from_secs(second.index - 1) + into + Duration::from_millis(1),
            None => start,
        }
    }

    /// The world's time at a real instant, by the last tick's clock.
    pub fn world_at(&self, real: Instant) -> At {
        match real.checked_duration_since(self.real_now) {
            Some(ahead) => self.tick_world + ahead.mul_f64(self.pace),
            None => self.tick_world - self.real_now.duration_since(real).mul_f64(self.pace),
        }
    }

    fn on_observed(&mut self, obs: Observation, effects: &mut Vec<Effect>) -> bool {
        let new_rollback = obs
            .active
            .as_ref()
            .filter(|d| d.is_rollback())
            .is_some_and(|d| self.obs.as_ref().is_none_or(|p| p.active.as_ref().is_none_or(|a| a.id != d.id)));
        if new_rollback {
            // CodeDeploy moves traffic back: judge that cutover too.
            self.traffic.expect_cutover(self.real_now);
        }
        let entries = match &self.obs {
            Some(prev) => log::diff(prev, &obs),
            None => log::watching(&obs),
        };
        for entry in entries {
            self.record(entry);
        }
        self.now = self.now.max(obs.at);
        self.look_failed = None;
        self.tour.update(&obs, &self.traffic);
        self.obs = Some(obs);
        self.count_down();
        self.warn_of_green();
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
