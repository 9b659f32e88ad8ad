//! `bluegreen fleet` (and `bluegreen` when `--app`/`--group` do not narrow
//! the region to one group): every deployment group of the region in a
//! table, read on a budget in the background; `Enter` opens a group's
//! console on the same terminal and `Esc` there comes back. The fleet
//! itself changes nothing; an opened console keeps its keys, `--read-only`
//! and the audit log.

use std::path::Path;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::console::{self, Options};
use super::{Output, runtime, screen};
use crate::app::Msg;
use crate::app::fleet::{FleetEffect, FleetMsg, FleetView};
use crate::cloud::ApiError;
use crate::cloud::aws::fleet::FleetReader;
use crate::cloud::aws::{self, AwsCloud, Target};
use crate::cloud::cadence::{Cadence, Look};
use crate::cloud::watch::Jitter;
use crate::domain::At;
use crate::exit::Failure;
use crate::session::Session;
use crate::term::{self, Flow, Redraw};
use crate::ui::theme::Theme;

/// How often the groups and the Auto Scaling groups are read again.
pub const SLOW: Duration = Duration::from_secs(60);
/// The longest one read may take before it counts as failed.
const READ_LIMIT: Duration = Duration::from_secs(60);

/// `bluegreen fleet`: connects (region, credentials) and shows the table.
pub fn run(opts: &Options) -> Result<(), Failure> {
    let probe_reader = console::check(opts)?;
    if opts.plain {
        return Err(Failure::Usage(
            "the fleet has no --plain (hint: bluegreen status --all prints every group)".into(),
        ));
    }
    if !term::has_terminal() {
        return Err(Failure::Usage(
            "the fleet needs a terminal (hint: bluegreen status --all prints every group for scripts)".into(),
        ));
    }
    runtime()?.block_on(async {
        let (log_path, _log_guard) = crate::logging::init(opts.log_file.clone())?;
        let reader = aws::fleet::connect(opts.target.region.as_deref(), opts.target.profile.as_deref()).await?;
        show(reader, probe_reader, opts, &log_path).await
    })
}

/// The clock's time now.
fn now() -> At {
    At::from(std::time::SystemTime::now())
}

/// Reads the fleet on its cadences until the receiver is gone: the active
/// deployments every few seconds while any is active (else every 20 s),
/// the groups and the copies every minute; each with jitter, and backing
/// off while AWS throttles.
pub fn read(reader: FleetReader, tx: mpsc::Sender<FleetMsg>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut jitter = Jitter::new();
        let mut fast = Cadence::default();
        let mut slow_troubles = 0u32;
        let (mut active_due, mut slow_due) = (Instant::now(), Instant::now());
        let mut following: Vec<String> = Vec::new();
        loop {
            tokio::time::sleep_until(active_due.min(slow_due)).await;
            let now_i = Instant::now();
            let slow = slow_due <= now_i;
            let fast_due = active_due <= now_i;
            let groups = async { if slow { Some(limited(reader.groups()).await) } else { None } };
            let copies = async { if slow { Some(limited(reader.copies()).await) } else { None } };
            let active = async { if fast_due { Some(limited(reader.active(&following)).await) } else { None } };
            let (groups, copies, active) = tokio::join!(groups, copies, active);
            let at = now();
            if let Some(result) = active {
                let look = look_of(&result, |a| a.iter().any(|x| x.deployment.is_active()));
                if let Ok(a) = &result {
                    following =
                        a.iter().filter(|x| x.deployment.is_active()).map(|x| x.deployment.id.clone()).collect();
                }
                active_due = Instant::now() + fast.next(look, jitter.next());
                if tx.send(FleetMsg::Active(result, at)).await.is_err() {
                    return;
                }
            }
            if let (Some(groups), Some(copies)) = (groups, copies) {
                let troubled = groups.as_ref().err().or(copies.as_ref().err()).is_some();
                slow_troubles = if troubled { (slow_troubles + 1).min(3) } else { 0 };
                let wait = SLOW.saturating_mul(1 << slow_troubles).mul_f64(0.8 + 0.4 * jitter.next());
                slow_due = Instant::now() + wait;
                if tx.send(FleetMsg::Groups(groups, at)).await.is_err()
                    || tx.send(FleetMsg::Copies(copies, at)).await.is_err()
                {
                    return;
                }
            }
        }
    })
}

/// A read within [`READ_LIMIT`].
async fn limited<T>(read: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
    tokio::time::timeout(READ_LIMIT, read)
        .await
        .unwrap_or_else(|_| Err(ApiError::uncertain("Timeout", format!("no answer within {}s", READ_LIMIT.as_secs()))))
}

fn look_of<T>(result: &Result<T, ApiError>, moving: impl Fn(&T) -> bool) -> Look {
    match result {
        Ok(v) => Look::Seen { moving: moving(v) },
        Err(e) if e.throttled() => Look::Throttled,
        Err(_) => Look::Failed,
    }
}

/// The fleet on the terminal until the user quits. `opts` are the
/// console's, checked into `probe_reader`, for the groups opened from it;
/// its `--app`/`--group` start the filter.
pub async fn show(
    reader: FleetReader,
    probe_reader: crate::probe::Reader,
    opts: &Options,
    log_path: &Path,
) -> Result<(), Failure> {
    let source = opts.target.profile.as_ref().map_or_else(|| "aws".to_string(), |p| format!("aws · {p}"));
    let filter = [("app", &opts.target.application), ("group", &opts.target.group)]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}:{v}")))
        .collect::<Vec<_>>()
        .join(" ");
    let view = FleetView::new(reader.region(), &source, opts.target.read_only, &filter, now());
    let (tx, rx) = mpsc::channel(16);
    let reading = read(reader.clone(), tx.clone());
    tracing::info!("fleet");
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut screen = FleetScreen {
        view,
        rx,
        _tx: tx,
        tick,
        opts: opts.clone(),
        reader,
        probe_reader,
        log_path: log_path.to_path_buf(),
        opening: None,
        opened: None,
        theme: Theme::from_env(),
    };
    let result = term::show(&mut screen).await;
    if let Some(mut session) = screen.opened.take() {
        session.end(&console::ending(&result));
    }
    reading.abort();
    result
}

/// What the fleet's sources said.
enum Got {
    Msg(FleetMsg),
    Tick,
    Opened(Box<Result<Result<Session<AwsCloud>, Failure>, tokio::task::JoinError>>),
}

/// The fleet, and the console opened from it.
struct FleetScreen {
    view: FleetView,
    rx: mpsc::Receiver<FleetMsg>,
    /// Kept so that the channel stays open whatever the reader does.
    _tx: mpsc::Sender<FleetMsg>,
    tick: Interval,
    opts: Options,
    /// The fleet's connection, which the consoles opened from it share.
    reader: FleetReader,
    probe_reader: crate::probe::Reader,
    log_path: std::path::PathBuf,
    /// A console being connected.
    opening: Option<JoinHandle<Result<Session<AwsCloud>, Failure>>>,
    opened: Option<Session<AwsCloud>>,
    theme: Theme,
}

impl FleetScreen {
    fn open(&mut self, application: String, group: String) {
        let opts = Options {
            // Each group's own load balancer; a recording per group opened.
            target: Target {
                application: Some(application),
                group: Some(group),
                url: None,
                ..self.opts.target.clone()
            },
            record: if self.opts.record == super::Record::Off { super::Record::Off } else { super::Record::Sessions },
            ..self.opts.clone()
        };
        let (fleet, reader, log_path) = (self.reader.clone(), self.probe_reader.clone(), self.log_path.clone());
        let size = self.view.size();
        self.opening = Some(tokio::spawn(async move {
            let cloud = fleet.console(&opts.target).await?;
            let (mut session, _) =
                console::start(cloud, &opts, reader, &log_path, Output::Screen, Some("fleet")).await?;
            session.send(Msg::Resize(size.0, size.1))?;
            Ok(session)
        }));
    }

    fn take(&mut self, msg: FleetMsg) -> Flow {
        let effects = self.view.update(msg);
        let mut flow = Flow::Go(Redraw::Now);
        for effect in effects {
            match effect {
                FleetEffect::Open { application, group } => {
                    if self.opening.is_none() {
                        self.open(application, group);
                    }
                }
                FleetEffect::Suspend => flow = Flow::Suspend,
                FleetEffect::Quit => return Flow::Quit,
            }
        }
        flow
    }

    /// Back from a console to the fleet.
    fn back(&mut self) {
        if let Some(mut session) = self.opened.take() {
            session.end("back to the fleet");
        }
        self.view.update(FleetMsg::Tick(now()));
    }
}

impl term::Screen for FleetScreen {
    async fn next(&mut self) -> Result<Flow, Failure> {
        if let Some(session) = &mut self.opened {
            tokio::select! {
                msg = session.next() => {
                    let Some(msg) = msg else { return Err(Failure::Failed("the world stopped".into())) };
                    let outcome = session.send(msg)?;
                    Ok(screen::flow(session, &outcome))
                }
                Some(msg) = self.rx.recv() => {
                    self.view.update(msg);
                    Ok(Flow::Go(Redraw::No))
                }
            }
        } else {
            let opening = self.opening.is_some();
            let got = {
                let (rx, tick, handle) = (&mut self.rx, &mut self.tick, &mut self.opening);
                tokio::select! {
                    Some(msg) = rx.recv() => Got::Msg(msg),
                    _ = tick.tick() => Got::Tick,
                    done = async { handle.as_mut().expect("a console being opened").await }, if opening => Got::Opened(Box::new(done)),
                }
            };
            Ok(match got {
                Got::Msg(msg) => self.take(msg),
                Got::Tick => {
                    self.view.update(FleetMsg::Tick(now()));
                    Flow::Go(Redraw::Lazy)
                }
                Got::Opened(done) => {
                    self.opening = None;
                    match *done {
                        Ok(Ok(session)) => {
                            self.view.update(FleetMsg::Opened);
                            self.opened = Some(session);
                        }
                        Ok(Err(failure)) => {
                            self.view.update(FleetMsg::OpenFailed(format!("cannot open the console: {failure}")));
                        }
                        Err(e) => {
                            self.view.update(FleetMsg::OpenFailed(format!("cannot open the console: {e}")));
                        }
                    }
                    Flow::Go(Redraw::Now)
                }
            })
        }
    }

    fn key(&mut self, key: KeyEvent) -> Result<Flow, Failure> {
        if let Some(session) = &mut self.opened {
            if key.code == KeyCode::Esc && key.modifiers.is_empty() && session.app().at_rest() {
                self.back();
                return Ok(Flow::Go(Redraw::Now));
            }
            let outcome = session.send(Msg::Key(key))?;
            return Ok(match screen::flow(session, &outcome) {
                Flow::Go(_) => Flow::Go(Redraw::Now),
                other => other,
            });
        }
        Ok(self.take(FleetMsg::Key(key)))
    }

    fn resize(&mut self, width: u16, height: u16) -> Result<Flow, Failure> {
        self.view.update(FleetMsg::Resize(width, height));
        if let Some(session) = &mut self.opened {
            session.send(Msg::Resize(width, height))?;
        }
        Ok(Flow::Go(Redraw::Now))
    }

    fn draw(&self, frame: &mut Frame) {
        match &self.opened {
            Some(session) => crate::ui::render(session.app(), self.theme, frame),
            None => crate::ui::fleet::render(&self.view, self.theme, frame),
        }
    }
}
