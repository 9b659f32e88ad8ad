//! One console session, with or without a screen: the `App`, the cloud it
//! watches, and everything that feeds it (observations, probe samples, the
//! results of effects, a clock tick). The terminal console and `--plain`
//! both drive a `Session`; they differ only in what they draw or print and
//! in the terminal's own inputs (keys, resizes, signals).
//!
//! A story (`--script`) plays through the session too: its player presses
//! the same keys a user would and confirms the plans they show.

mod player;

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::app::{App, Effect, Msg, Outcome};
use crate::cloud::Event;
use crate::cloud::{Cloud, Feed};
use crate::exit::Failure;
use crate::probe::Sample;
pub use player::Player;

/// The app, its cloud and its inputs.
#[derive(Debug)]
pub struct Session<C: Cloud> {
    pub app: App,
    cloud: C,
    done_tx: mpsc::Sender<Msg>,
    done_rx: mpsc::Receiver<Msg>,
    feed: mpsc::Receiver<Feed>,
    samples: mpsc::Receiver<Sample>,
    tick: Interval,
    player: Option<Player>,
    /// World events that arrived with the last observation, for `--plain`.
    events: Vec<Event>,
    /// Problems the feed reported (the demo's network face).
    problems: u32,
    /// Tells a background watcher that a plan runs (look often).
    hurry: Option<watch::Sender<bool>>,
}

impl<C: Cloud> Session<C> {
    /// A session ticking every `tick` (world time and traffic seconds).
    pub fn new(
        app: App,
        cloud: C,
        feed: mpsc::Receiver<Feed>,
        samples: mpsc::Receiver<Sample>,
        tick: Duration,
        player: Option<Player>,
    ) -> Self {
        let (done_tx, done_rx) = mpsc::channel(64);
        let mut tick = tokio::time::interval(tick);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self { app, cloud, done_tx, done_rx, feed, samples, tick, player, events: Vec::new(), problems: 0, hurry: None }
    }

    /// Keeps `hurry` true while a plan runs, so a watcher looks often.
    #[must_use]
    pub fn with_hurry(mut self, hurry: watch::Sender<bool>) -> Self {
        self.hurry = Some(hurry);
        self
    }

    pub fn cloud(&self) -> &C {
        &self.cloud
    }

    /// Waits for the next thing that happens; `None` when the feed ended
    /// (the world stopped).
    pub async fn next(&mut self) -> Option<Msg> {
        tokio::select! {
            feed = self.feed.recv() => feed.map(|f| self.on_feed(f)),
            Some(msg) = self.done_rx.recv() => Some(msg),
            Some(sample) = self.samples.recv() => Some(Msg::Sample(sample)),
            _ = self.tick.tick() => Some(Msg::Tick { world: self.cloud.now(), real: Instant::now() }),
        }
    }

    fn on_feed(&mut self, feed: Feed) -> Msg {
        match feed {
            Feed::Observed { observation, events } => {
                if let Some(player) = &mut self.player {
                    player.saw(&events);
                }
                self.events.extend(events);
                Msg::Observed(observation)
            }
            Feed::ObserveFailed { error, retry_in } => Msg::ObserveFailed { error, retry_in },
            Feed::Problem(text) => {
                self.problems += 1;
                Msg::Problem(text)
            }
        }
    }

    /// How many problems the feed reported.
    pub fn problems(&self) -> u32 {
        self.problems
    }

    /// World events received since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Hands `msg` to the app, runs the effects it returns, then lets the
    /// story (if any) play on. Gives what the app said (redraw, effects);
    /// a story that cannot go on ends the session with its failure.
    pub fn send(&mut self, msg: Msg) -> Result<Outcome, Failure> {
        let outcome = self.dispatch(msg);
        if let Some(mut player) = self.player.take() {
            let played = player.play(self);
            self.player = Some(player);
            played?;
        }
        Ok(outcome)
    }

    /// `update` and the effects, without the story.
    fn dispatch(&mut self, msg: Msg) -> Outcome {
        let outcome = self.app.update(msg);
        for effect in &outcome.effects {
            self.run(effect.clone());
        }
        if let Some(hurry) = &self.hurry {
            let running = self.app.running.is_some();
            hurry.send_if_modified(|h| std::mem::replace(h, running) != running);
        }
        outcome
    }

    /// Whether the story (if any) has played to its end.
    pub fn story_finished(&self) -> Option<Instant> {
        self.player.as_ref().and_then(Player::finished_at)
    }

    /// Runs one effect on its own task; its result comes back as a `Msg`.
    fn run(&self, effect: Effect) {
        let (cloud, done) = (self.cloud.clone(), self.done_tx.clone());
        match effect {
            Effect::Quit | Effect::Suspend => {}
            Effect::Observe => {
                tokio::spawn(async move {
                    let msg = match cloud.observe().await {
                        Ok(obs) => Msg::Fresh(Box::new(obs)),
                        Err(error) => Msg::FreshFailed(error),
                    };
                    let _ = done.send(msg).await;
                });
            }
            Effect::Call(call) => {
                tokio::spawn(async move {
                    let result = cloud.apply(call).await;
                    let after = cloud.observe().await.ok().map(Box::new);
                    let _ = done.send(Msg::CallDone(result, after)).await;
                });
            }
        }
    }
}
