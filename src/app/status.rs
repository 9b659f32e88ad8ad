//! The status line's message and when it stops being true. A message is
//! said in a situation (which deployment is active, at which stage, which
//! groups serve); once the observed situation is another one, a message
//! that only explained the old one ("green is still installing") goes away
//! by itself. Bad news stays until the user closes it or does something else.

use std::time::Duration;

use super::App;
use super::log::Tone;
use crate::cloud::ApiError;
use crate::domain::{At, Observation, Stage};

/// A message shorter-lived than this is kept even when the situation moves on,
/// so that it can be read.
const MIN_LIFE: Duration = Duration::from_secs(5);

/// What the keys depend on, in short: a message said in one situation is
/// stale in another.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Situation {
    active: Option<(String, Stage)>,
    serving: Vec<String>,
}

impl Situation {
    pub fn of(obs: Option<&Observation>) -> Self {
        let Some(obs) = obs else { return Self::default() };
        Self {
            active: obs.active.as_ref().map(|d| (d.id.clone(), d.stage())),
            serving: obs.serving().iter().map(|e| e.asg.clone()).collect(),
        }
    }
}

/// A message in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub tone: Tone,
    /// World time it was said.
    pub at: At,
    situation: Situation,
}

/// The last look at the world failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookFailure {
    pub error: ApiError,
    /// When the next look comes, from `at`.
    pub retry_in: Duration,
    pub at: At,
}

impl App {
    pub(super) fn say(&mut self, text: impl Into<String>, tone: Tone) {
        let situation = Situation::of(self.obs.as_ref());
        self.status = Some(Status { text: text.into(), tone, at: self.now, situation });
    }

    /// Drops a message whose situation has passed (bad news and the
    /// progress of a running plan stay).
    pub(super) fn expire_status(&mut self) {
        let Some(s) = &self.status else { return };
        if s.tone == Tone::Bad || self.running.is_some() || self.now.since(s.at) < MIN_LIFE {
            return;
        }
        if s.situation != Situation::of(self.obs.as_ref()) {
            self.status = None;
        }
    }
}
