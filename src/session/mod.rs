//! One console session, with or without a screen: the `App`, the cloud it
//! watches, and everything that feeds it (observations, probe samples, the
//! results of effects, a clock tick). The terminal console and `--plain`
//! both drive a `Session`; they differ only in what they draw or print and
//! in the terminal's own inputs (keys, resizes, signals). Every way of
//! running builds its session with [`Session::build`].
//!
//! A story (`--script`) plays through the session too: its player presses
//! the same keys a user would and confirms the plans they show.

mod player;

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::app::{App, Effect, Msg, Outcome, Overlay, PlanEnd, Setup};
use crate::cloud::{Cloud, Event, Feed};
use crate::exit::Failure;
use crate::probe::{self, Sample};
use crate::record::Recorder;
pub use player::Player;

/// The app, its cloud and its inputs. Its background work (the watcher,
/// the prober) ends with it.
#[derive(Debug)]
pub struct Session<C: Cloud> {
    app: App,
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
    /// Tells the watcher that a plan runs (look often).
    hurry: Option<watch::Sender<bool>>,
    /// Entries of the app's log already written to the log file.
    logged: u64,
    /// The prober's view of the server's certificate (changes are told).
    certificates: Option<std::sync::Arc<crate::net::tls::Certificates>>,
    background: Vec<JoinHandle<()>>,
    /// Without a prober, the samples' sender, kept so the channel stays open.
    _no_samples: Option<mpsc::Sender<Sample>>,
    /// Writes down everything the app takes in (when recording).
    recorder: Option<Recorder>,
    /// The events of the observation on its way to the app, for the recording.
    arriving: Vec<Event>,
}

/// Where the plan on screen stands, for the recording's `plan` lines.
#[derive(Debug, PartialEq)]
struct PlanState {
    /// The plan shown (its title), and whether it was confirmed.
    shown: Option<(String, bool)>,
    end: Option<PlanEnd>,
}

impl PlanState {
    fn of(app: &App) -> Self {
        let shown = match app.overlay() {
            Overlay::Plan(view) => Some((view.plan.title.clone(), view.confirming)),
            _ => None,
        };
        Self { shown, end: app.plan_end().cloned() }
    }

    /// What happened to the plan between `self` and `after`.
    fn then(&self, after: &Self) -> Vec<(&'static str, String)> {
        let mut said = Vec::new();
        match (&self.shown, &after.shown) {
            (None, Some((title, _))) => said.push(("shown", title.clone())),
            (Some((a, _)), Some((b, _))) if a != b => said.push(("shown", b.clone())),
            (Some((_, false)), Some((title, true))) => said.push(("confirmed", title.clone())),
            (Some((title, false)), None) => said.push(("cancelled", title.clone())),
            _ => {}
        }
        if after.end != self.end {
            match &after.end {
                Some(PlanEnd::Done(text)) => said.push(("done", text.clone())),
                Some(PlanEnd::Failed(text)) => said.push(("failed", text.clone())),
                None => {}
            }
        }
        said
    }
}

/// How often the prober hands the session its answers.
pub const GATHER: Duration = Duration::from_millis(250);

/// Where a session's observations come from.
#[derive(Debug)]
enum Looks {
    /// The cloud reports by itself (the demo's world).
    Fed(mpsc::Receiver<Feed>),
    /// Look on a cadence (AWS), each look given at most this long.
    Watched(Duration),
}

/// What a session is made of, before it starts.
#[derive(Debug)]
pub struct Builder<C: Cloud> {
    cloud: C,
    setup: Setup,
    looks: Looks,
    probe: Option<probe::Settings>,
    tick: Duration,
    player: Option<Player>,
    recorder: Option<Recorder>,
}

impl<C: Cloud> Builder<C> {
    /// Records the session (see [`crate::record`]); its lines count from
    /// the start.
    #[must_use]
    pub fn record(mut self, recorder: Option<Recorder>) -> Self {
        self.recorder = recorder;
        self
    }

    /// Observations come from this feed (a cloud that reports by itself).
    #[must_use]
    pub fn fed(mut self, feed: mpsc::Receiver<Feed>) -> Self {
        self.looks = Looks::Fed(feed);
        self
    }

    /// Each look at the cloud is given at most `limit` (when it is watched).
    #[must_use]
    pub fn look_limit(mut self, limit: Duration) -> Self {
        if let Looks::Watched(l) = &mut self.looks {
            *l = limit;
        }
        self
    }

    /// Probe `settings.url` (the setup's URL is what the screen names).
    /// The session takes the answers in batches ([`GATHER`]): the screen
    /// draws the traffic strip no more often than that at rest.
    #[must_use]
    pub fn probe(mut self, settings: probe::Settings) -> Self {
        self.probe = Some(probe::Settings { gather: GATHER, ..settings }).filter(|s| !s.url.is_empty());
        self
    }

    /// The clock ticks this often (world time, traffic seconds).
    #[must_use]
    pub fn tick(mut self, every: Duration) -> Self {
        self.tick = every;
        self
    }

    /// Plays this story through the session.
    #[must_use]
    pub fn story(mut self, player: Option<Player>) -> Self {
        self.player = player;
        self
    }

    /// Starts the watcher (or takes the feed) and the prober; probing and
    /// the app's traffic second 0 start at the same instant.
    pub fn start(self) -> Session<C> {
        let Self { cloud, setup, looks, probe, tick, player, recorder } = self;
        let mut background = Vec::new();
        let (feed, hurry) = match looks {
            Looks::Fed(feed) => (feed, None),
            Looks::Watched(limit) => {
                let (feed_tx, feed) = mpsc::channel(16);
                let (hurry_tx, hurry_rx) = watch::channel(false);
                background.push(crate::cloud::watch::watch(cloud.clone(), feed_tx, hurry_rx, limit));
                (feed, Some(hurry_tx))
            }
        };
        let certificates = probe.as_ref().map(|p| p.certificates.clone());
        let (samples_tx, samples) = mpsc::channel(1024);
        let probing = Instant::now();
        let no_samples = match probe {
            Some(settings) => {
                background.push(probe::start_at(settings, probing, samples_tx));
                None
            }
            None => Some(samples_tx),
        };
        let (done_tx, done_rx) = mpsc::channel(64);
        let mut tick = tokio::time::interval(tick);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The clock is set before anything is said: a notice sent before
        // the first tick is stamped with the world's time, not zero.
        let mut app = App::new(setup, probing);
        let first = Msg::Tick { world: cloud.world_at(probing), real: probing, pace: cloud.pace() };
        let mut recorder = recorder;
        if let Some(r) = &mut recorder {
            r.begin(probing);
            r.msg(&first, &[]);
        }
        app.update(first);
        Session {
            app,
            cloud,
            done_tx,
            done_rx,
            feed,
            samples,
            tick,
            player,
            events: Vec::new(),
            problems: 0,
            hurry,
            logged: 0,
            certificates,
            background,
            _no_samples: no_samples,
            recorder,
            arriving: Vec::new(),
        }
    }
}

impl<C: Cloud> Drop for Session<C> {
    fn drop(&mut self) {
        self.end("closed");
        for task in &self.background {
            task.abort();
        }
    }
}

impl<C: Cloud> Session<C> {
    /// A session on `cloud` that looks at it on a cadence (each look given
    /// at most [`crate::cloud::watch::LOOK_LIMIT`]), ticking every second,
    /// without a prober or a story until the builder adds them.
    pub fn build(cloud: C, setup: Setup) -> Builder<C> {
        Builder {
            cloud,
            setup,
            looks: Looks::Watched(crate::cloud::watch::LOOK_LIMIT),
            probe: None,
            tick: Duration::from_secs(1),
            player: None,
            recorder: None,
        }
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn cloud(&self) -> &C {
        &self.cloud
    }

    /// Waits for the next thing that happens; `None` when the feed ended
    /// (the world stopped). Cancel-safe.
    pub async fn next(&mut self) -> Option<Msg> {
        tokio::select! {
            feed = self.feed.recv() => feed.map(|f| self.on_feed(f)),
            Some(msg) = self.done_rx.recv() => Some(msg),
            Some(sample) = self.samples.recv() => Some(Msg::Sample(sample)),
            _ = self.tick.tick() => {
                let real = Instant::now();
                Some(Msg::Tick { world: self.cloud.world_at(real), real, pace: self.cloud.pace() })
            }
        }
    }

    fn on_feed(&mut self, feed: Feed) -> Msg {
        match feed {
            Feed::Observed { observation, events } => {
                if let Some(player) = &mut self.player {
                    player.saw(&events);
                }
                if self.recorder.is_some() {
                    self.arriving.clone_from(&events);
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

    /// Hands `msg` to the app, carries out the effects it returns, then
    /// lets the story (if any) play on. Gives what the app said (what
    /// changed, the effects); a story that cannot go on ends the session
    /// with its failure.
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
        let ticked = matches!(msg, Msg::Tick { .. });
        let mut outcome = self.update(msg);
        if ticked && let Some(certificates) = &self.certificates {
            for (_, text) in certificates.take_changes() {
                let told = self.update(Msg::Notice(text));
                outcome.change = outcome.change.max(told.change);
                outcome.effects.extend(told.effects);
            }
        }
        for effect in &outcome.effects {
            self.carry_out(effect.clone());
        }
        if let Some(hurry) = &self.hurry {
            let running = self.app.running().is_some();
            hurry.send_if_modified(|h| std::mem::replace(h, running) != running);
        }
        self.write_log();
        outcome
    }

    /// The app's `update`, with the message and the calls it makes recorded.
    fn update(&mut self, msg: Msg) -> Outcome {
        let Some(r) = &mut self.recorder else { return self.app.update(msg) };
        r.msg(&msg, &std::mem::take(&mut self.arriving));
        let before = PlanState::of(&self.app);
        let logged = self.app.log().total();
        let outcome = self.app.update(msg);
        for (event, text) in before.then(&PlanState::of(&self.app)) {
            r.plan(event, &text);
        }
        for e in self.app.log().pushed_since(logged).filter(|e| e.kind == crate::app::log::Kind::Verdict) {
            r.verdict(&e.text);
        }
        for effect in &outcome.effects {
            if let Effect::Call(call) = effect {
                r.call(call);
            }
        }
        outcome
    }

    /// Writes the recording's closing line (once) with why it ended.
    pub fn end(&mut self, reason: &str) {
        if let Some(mut r) = self.recorder.take() {
            r.end(reason);
        }
    }

    /// The event log's new entries, to the log file (when there is one),
    /// each with the time it tells of: the file holds what the screen's
    /// log held, even past the screen's ring.
    fn write_log(&mut self) {
        let log = self.app.log();
        if log.total() == self.logged {
            return;
        }
        for e in log.pushed_since(self.logged) {
            tracing::info!(target: "bluegreen::events", at = %e.at, kind = ?e.kind, "{}", e.text);
        }
        self.logged = log.total();
    }

    /// Whether the story (if any) has played to its end.
    pub fn story_finished(&self) -> Option<Instant> {
        self.player.as_ref().and_then(Player::finished_at)
    }

    /// Carries out one effect on its own task; its result comes back as a `Msg`.
    fn carry_out(&self, effect: Effect) {
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
