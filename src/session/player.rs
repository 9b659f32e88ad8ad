//! Plays a story through a session: presses a key, confirms the plan it
//! shows (typing the target where asked), waits for the plan to end, and
//! waits for world events. A wait that can no longer be satisfied (nothing
//! is moving in the world) or that runs past its limit ends the story with
//! a clear error instead of hanging.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::time::Instant;

use super::Session;
use crate::app::{Msg, Overlay, PlanEnd, keymap};
use crate::cloud::Cloud;
use crate::cloud::Event;
use crate::cloud::plan::{Confirm, Intent};
use crate::cloud::sim::story::{Action, Story, Want};
use crate::domain::At;
use crate::exit::Failure;

/// A story being played.
#[derive(Debug)]
pub struct Player {
    story: Story,
    /// The key pressed whose plan has not ended yet.
    pressed: Option<Intent>,
    /// World events the story has not seen yet.
    pending: Vec<Event>,
    finished_at: Option<Instant>,
    /// Longest a wait may take, in world time.
    limit: Duration,
    /// The wait under way: since when (world time), and the last
    /// observation found the world settled.
    waiting: Option<(At, Option<At>)>,
}

impl Player {
    pub fn new(actions: Vec<Action>, limit: Duration) -> Self {
        Self { story: Story::new(actions), pressed: None, pending: Vec::new(), finished_at: None, limit, waiting: None }
    }

    /// World events arrived.
    pub fn saw(&mut self, events: &[Event]) {
        self.pending.extend_from_slice(events);
    }

    /// When the last action was done.
    pub fn finished_at(&self) -> Option<Instant> {
        self.finished_at
    }

    /// Moves the story on as far as the session's state allows.
    pub fn play<C: Cloud>(&mut self, session: &mut Session<C>) -> Result<(), Failure> {
        if session.app().obs().is_none() {
            return Ok(());
        }
        if let Some(intent) = self.pressed {
            let app = session.app();
            if app.running().is_some() || matches!(app.overlay(), Overlay::Plan(_)) {
                return Ok(());
            }
            self.pressed = None;
            match app.plan_end() {
                Some(PlanEnd::Done(_)) => self.story.done(),
                Some(PlanEnd::Failed(why)) => return Err(Failure::Failed(format!("story stopped: {why}"))),
                None => return Err(Failure::Failed(format!("story stopped: {} ended without a word", intent.verb()))),
            }
        }
        let events = std::mem::take(&mut self.pending);
        let now = session.app().now();
        match self.story.next(&events, now.0) {
            Want::Finished => {
                self.waiting = None;
                self.finished_at.get_or_insert_with(Instant::now);
                Ok(())
            }
            Want::Wait => self.check_wait(session),
            Want::Key(intent) => {
                self.waiting = None;
                press(session, keymap::key_for(intent));
                let Overlay::Plan(view) = session.app().overlay() else {
                    let why = session
                        .app()
                        .status()
                        .map_or_else(|| format!("{} did nothing", intent.verb()), |s| s.text.clone());
                    return Err(Failure::Failed(format!(
                        "story stopped: {why} (hint: a 'wait <event>' before it lets the world get there, e.g. 'wait Ready' before 'promote')"
                    )));
                };
                match view.plan.confirm.clone() {
                    Confirm::Key => press(session, KeyCode::Char('y')),
                    Confirm::Typed(target) => {
                        for c in target.chars() {
                            press(session, KeyCode::Char(c));
                        }
                        press(session, KeyCode::Enter);
                    }
                }
                self.pressed = Some(intent);
                Ok(())
            }
        }
    }

    /// A wait is under way: fail it when it ran past its limit, or when two
    /// observations in a row found nothing moving (so no event can come).
    fn check_wait<C: Cloud>(&mut self, session: &Session<C>) -> Result<(), Failure> {
        let Some(Action::Wait(tag)) = self.story.current().cloned() else {
            self.waiting = None;
            return Ok(());
        };
        let app = session.app();
        let (since, settled_at) = self.waiting.get_or_insert((app.now(), None));
        if app.now().since(*since) > self.limit {
            return Err(Failure::TimedOut(format!(
                "story step 'wait {tag}' did not happen within {}s of world time (hint: --wait-limit SECONDS allows longer)",
                self.limit.as_secs()
            )));
        }
        let Some(obs) = app.obs() else { return Ok(()) };
        if !obs.settled() || app.running().is_some() {
            *settled_at = None;
            return Ok(());
        }
        match settled_at {
            Some(at) if *at != obs.at => Err(Failure::Failed(format!(
                "story step 'wait {tag}' can no longer happen: no deployment is active and nothing is changing (hint: put the key that leads there before it, e.g. 'deploy; wait Ready')"
            ))),
            Some(_) => Ok(()),
            None => {
                *settled_at = Some(obs.at);
                Ok(())
            }
        }
    }
}

fn press<C: Cloud>(session: &mut Session<C>, code: KeyCode) {
    session.dispatch(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}
