//! A recording played back into a fresh [`App`]: its lines become the
//! messages the live app took, at the same offsets, so every screen, log
//! line and verdict comes back as it was. The replay can go to any line
//! (forward by playing on, back from the nearest checkpoint), and knows the
//! moments worth jumping to.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

use super::tape::Tape;
use super::{Line, What, patch};
use crate::app::{App, Effect, Msg, Outcome, Setup};
use crate::cloud::Event;
use crate::domain::{DeploymentStatus, Observation};
use crate::probe::Sample;

/// A moment worth jumping to (`]`, `[`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    /// Lines played once at it.
    pub lines: usize,
    /// Its time, µs after the start.
    pub t: u64,
    pub what: String,
}

/// How often (in lines) a replay keeps a copy of its app to go back from.
const CHECKPOINT_EVERY: usize = 2000;

/// A recording being replayed.
#[derive(Debug)]
pub struct Replay {
    tape: Tape,
    setup: Setup,
    /// The real instant the recording's `t` counts from.
    base: Instant,
    app: App,
    /// The last observation, as JSON (patches apply to it), and read.
    obs: Value,
    typed: Option<Observation>,
    /// Lines played.
    played: usize,
    /// Recorded resizes are played (else the viewer's or the cast's size
    /// stands); recorded keys always are (plans open and close as they did).
    resizes: bool,
    /// The world's events of the lines played since the last take.
    events: Vec<Event>,
    checkpoints: Vec<(usize, App, Value)>,
    moments: Vec<Moment>,
}

/// The app's setup as the recording's header says it was.
pub fn setup(tape: &Tape) -> Setup {
    let h = &tape.header;
    Setup {
        source: format!("replay · {}", h.source),
        url: h.url.clone(),
        log_file: None,
        audit_log: None,
        recording: None,
        read_only: h.read_only.clone(),
        stale_after: h.stale_after_secs.map(Duration::from_secs),
        tour: h.tour,
        unverified: h.unverified,
        back: None,
    }
}

impl Replay {
    /// A replay at the recording's start; reads it through once to find
    /// its moments (and keep checkpoints on the way).
    pub fn new(tape: Tape, setup: Setup, resizes: bool) -> Self {
        Self::new_at(tape, setup, resizes, Instant::now())
    }

    /// [`Replay::new`], the recording's start at the real instant `base`.
    pub fn new_at(tape: Tape, setup: Setup, resizes: bool, base: Instant) -> Self {
        let app = App::new(setup.clone(), base);
        let mut replay = Self {
            tape,
            setup,
            base,
            app,
            obs: Value::Null,
            typed: None,
            played: 0,
            resizes,
            events: Vec::new(),
            checkpoints: Vec::new(),
            moments: Vec::new(),
        };
        replay.survey();
        replay
    }

    fn survey(&mut self) {
        let mut moments = Vec::new();
        let mut checkpoints = Vec::new();
        let mut seen: Option<(String, DeploymentStatus)> = None;
        let mut verdicts = 0;
        let mut failed_hooks = 0;
        while self.played < self.tape.lines.len() {
            if self.played.is_multiple_of(CHECKPOINT_EVERY) {
                checkpoints.push((self.played, self.app.clone(), self.obs.clone()));
            }
            let t = self.tape.lines[self.played].t;
            let outcome = self.step();
            let mut at = |what: String| moments.push(Moment { lines: self.played, t, what });
            for effect in &outcome.effects {
                if let Effect::Call(call) = effect {
                    at(format!("{} sent", call.operation()));
                }
            }
            if let Some(d) = self.app.obs().and_then(Observation::latest) {
                let now = (d.id.clone(), d.status.clone());
                if seen.as_ref() != Some(&now) {
                    at(format!("deployment {} {}", d.id, d.status));
                    seen = Some(now);
                }
                let failed = d.targets.iter().filter(|t| t.failure().is_some()).count();
                if failed > failed_hooks {
                    at(format!("a hook failed on {failed} instance(s)"));
                }
                failed_hooks = failed;
            }
            if self.app.verdicts().len() > verdicts {
                at("a cutover's verdict".into());
            }
            verdicts = self.app.verdicts().len();
        }
        // The end is a checkpoint too: `End` is at once.
        checkpoints.push((self.played, self.app.clone(), self.obs.clone()));
        self.moments = moments;
        self.checkpoints = checkpoints;
        self.events.clear();
        self.restart();
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Hands the app a viewer's message (a key, the terminal's size).
    pub fn send(&mut self, msg: Msg) -> Outcome {
        self.app.update(msg)
    }

    pub fn tape(&self) -> &Tape {
        &self.tape
    }

    pub fn moments(&self) -> &[Moment] {
        &self.moments
    }

    /// Lines played so far.
    pub fn played(&self) -> usize {
        self.played
    }

    /// The time of the last line played (µs after the start).
    pub fn position(&self) -> u64 {
        self.played.checked_sub(1).map_or(0, |i| self.tape.lines[i].t)
    }

    /// The time of the next line, if there is one.
    pub fn next_at(&self) -> Option<u64> {
        self.tape.lines.get(self.played).map(|l| l.t)
    }

    /// The world's events of the lines played since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The real instant of `t` µs after the recording's start.
    pub fn instant(&self, t: u64) -> Instant {
        self.base + Duration::from_micros(t)
    }

    /// Back to the start, nothing played.
    pub fn restart(&mut self) {
        self.app = App::new(self.setup.clone(), self.base);
        self.obs = Value::Null;
        self.typed = None;
        self.played = 0;
        self.events.clear();
    }

    /// Plays the next line; what the app said of it (everything, for a
    /// line of several messages).
    pub fn step(&mut self) -> Outcome {
        if self.played >= self.tape.lines.len() {
            return Outcome::default();
        }
        // The lines are set aside while one is read (no copy of it).
        let lines = std::mem::take(&mut self.tape.lines);
        let msgs = self.messages(&lines[self.played]);
        self.tape.lines = lines;
        self.played += 1;
        let mut outcome = Outcome::default();
        for msg in msgs {
            let o = self.app.update(msg);
            outcome.change = outcome.change.max(o.change);
            outcome.effects.extend(o.effects);
        }
        outcome
    }

    /// Plays every line up to `t` µs after the start; what changed.
    pub fn play_until(&mut self, t: u64) -> Outcome {
        let mut outcome = Outcome::default();
        while self.next_at().is_some_and(|n| n <= t) {
            let o = self.step();
            outcome.change = outcome.change.max(o.change);
        }
        outcome
    }

    /// Goes to where `lines` lines have been played (from a checkpoint when
    /// that is behind).
    pub fn seek(&mut self, lines: usize) {
        let lines = lines.min(self.tape.lines.len());
        // The nearest checkpoint at or before `lines`, when it saves playing
        // (going back, or far ahead).
        let nearest = self.checkpoints.iter().rev().find(|(n, ..)| *n <= lines);
        match nearest {
            Some((n, app, obs)) if lines < self.played || *n > self.played => {
                self.played = *n;
                self.app = app.clone();
                self.obs = obs.clone();
                self.typed = None;
            }
            None if lines < self.played => self.restart(),
            _ => {}
        }
        while self.played < lines {
            self.step();
        }
        self.events.clear();
    }

    fn observation(&mut self, patch: &Value) -> Option<Box<Observation>> {
        patch::apply(&mut self.obs, patch);
        // A look that found nothing new but its time (most of them) is the
        // last one again: no need to read it whole.
        let only_time = patch.as_object().is_some_and(|p| p.keys().all(|k| k == "at"));
        if let (true, Some(last)) = (only_time, &self.typed) {
            let at = self.obs.get("at").and_then(|a| crate::domain::At::deserialize(a).ok()).unwrap_or(last.at);
            let obs = Observation { at, ..last.clone() };
            self.typed = Some(obs.clone());
            return Some(Box::new(obs));
        }
        match Observation::deserialize(&self.obs) {
            Ok(obs) => {
                self.typed = Some(obs.clone());
                Some(Box::new(obs))
            }
            Err(e) => {
                tracing::warn!(line = self.played, error = %e, "a recorded observation does not read back");
                None
            }
        }
    }

    /// The messages a line stands for.
    pub(super) fn messages(&mut self, line: &Line) -> Vec<Msg> {
        match &line.what {
            What::Tick { world, pace, real } => {
                vec![Msg::Tick { world: *world, real: self.instant(*real), pace: *pace }]
            }
            What::Key(key) => vec![Msg::Key(*key)],
            What::Resize((w, h)) if self.resizes => vec![Msg::Resize(*w, *h)],
            What::Resize(_) | What::Plan { .. } | What::Verdict(_) | What::Call { .. } | What::End { .. } => Vec::new(),
            What::Observed { patch, events } => {
                self.events.extend(events.iter().cloned());
                self.observation(patch).map(Msg::Observed).into_iter().collect()
            }
            What::ObserveFailed { error, retry_in_ms } => {
                vec![Msg::ObserveFailed { error: error.clone(), retry_in: Duration::from_millis(*retry_in_ms) }]
            }
            What::Fresh { patch } => self.observation(patch).map(Msg::Fresh).into_iter().collect(),
            What::FreshFailed { error } => vec![Msg::FreshFailed(error.clone())],
            What::CallDone { output, error, after } => {
                let result = match (output, error) {
                    (_, Some(e)) => Err(e.clone()),
                    (Some(o), None) => Ok(o.clone()),
                    (None, None) => Ok(crate::cloud::CallOutput::Done),
                };
                let after = after.as_ref().and_then(|p| self.observation(p));
                vec![Msg::CallDone(result, after)]
            }
            What::Samples { answers, .. } => {
                let outcomes = &self.tape.outcomes;
                let mut due = 0u64;
                answers
                    .iter()
                    .filter_map(|&(delta, latency, index, handshake)| {
                        due = due.saturating_add_signed(delta);
                        let outcome = outcomes.get(index)?.clone();
                        Some(Msg::Sample(Sample {
                            scheduled: self.instant(due),
                            latency: Duration::from_micros(latency),
                            outcome,
                            handshake: (handshake > 0).then(|| Duration::from_micros(handshake)),
                        }))
                    })
                    .collect()
            }
            What::Problem(text) => vec![Msg::Problem(text.clone())],
            What::Notice(text) => vec![Msg::Notice(text.clone())],
        }
    }
}
