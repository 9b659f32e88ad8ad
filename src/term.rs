//! The one owner of the terminal. [`show`] takes it (raw mode, the
//! alternate screen, no cursor), runs a [`Screen`] until it quits, and gives
//! the terminal back as it was on every way out: quit, error, panic,
//! SIGINT, SIGTERM, SIGHUP. Ctrl-Z or SIGTSTP suspends: the terminal is
//! given back, the process stops, and `fg` takes the screen again and
//! repaints. Redraws are paced ([`Pacer`]): what the user did is drawn at
//! once, a change of state soon, and a change of the traffic strip alone a
//! few times a second.

use std::future::Future;
use std::io::{self, IsTerminal, Stdout, stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{Event, KeyEvent, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Frame, Terminal, TerminalOptions, Viewport};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::exit::{Failure, SIGHUP, SIGINT, SIGTERM};

/// How soon a change should reach the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Redraw {
    /// Nothing on screen changed.
    No,
    /// Only what moves at rest changed (the traffic strip, the clock): two
    /// frames a second show it.
    Lazy,
    /// The state changed (an observation, a plan's step): drawn within a frame.
    Soon,
    /// What the user just did: drawn at once.
    Now,
}

/// What a screen asks for after taking something in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Go(Redraw),
    /// Give the terminal back and stop until resumed (Ctrl-Z).
    Suspend,
    Quit,
}

/// Something that shows on the terminal: its own sources (a session, a
/// prober) feed it, and it takes the terminal's keys and resizes.
pub trait Screen {
    /// Waits for what the screen's sources say next and takes it in. Must
    /// be cancel-safe: the loop drops it when a key comes first.
    fn next(&mut self) -> impl Future<Output = Result<Flow, Failure>>;
    fn key(&mut self, key: KeyEvent) -> Result<Flow, Failure>;
    fn resize(&mut self, width: u16, height: u16) -> Result<Flow, Failure>;
    fn draw(&self, frame: &mut Frame);
}

/// Coalesces redraws: a change is drawn at once when the last frame is old
/// enough for its kind ([`Pacer::FRAME`] for a change of state,
/// [`Pacer::LAZY`] for the traffic strip alone), else when that much time
/// has passed since; what the user did never waits. So probing at 500
/// requests a second draws about 30 frames a second while a deployment
/// moves, and two at rest.
#[derive(Debug, Clone, Default)]
pub struct Pacer {
    last: Option<Instant>,
    due: Option<Instant>,
}

impl Pacer {
    /// The shortest time between two frames drawn for changes of state.
    pub const FRAME: Duration = Duration::from_millis(33);
    /// The shortest time between two frames drawn for the traffic strip alone.
    pub const LAZY: Duration = Duration::from_millis(500);

    /// Something changed at `now`; gives whether to draw now (else
    /// [`Pacer::due`] says when).
    pub fn changed(&mut self, now: Instant, redraw: Redraw) -> bool {
        let gap = match redraw {
            Redraw::No => return false,
            Redraw::Now => Duration::ZERO,
            Redraw::Soon => Self::FRAME,
            Redraw::Lazy => Self::LAZY,
        };
        match self.last {
            Some(last) if now.saturating_duration_since(last) < gap => {
                let due = last + gap;
                self.due = Some(self.due.map_or(due, |d| d.min(due)));
                false
            }
            _ => {
                self.drawn(now);
                true
            }
        }
    }

    /// When the change not yet drawn is due.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// A frame was drawn at `now`.
    pub fn drawn(&mut self, now: Instant) {
        self.last = Some(now);
        self.due = None;
    }
}

/// Sleeps until `due`, or forever without one (a `select!` branch).
pub async fn until(due: Option<Instant>) {
    match due {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// The terminal's size (columns, rows), when there is one.
pub fn size() -> Option<(u16, u16)> {
    crossterm::terminal::size().ok()
}

/// Whether a screen can be shown here: stdin and stdout are a terminal.
pub fn has_terminal() -> bool {
    stdout().is_terminal() && io::stdin().is_terminal()
}

/// Raw mode, the alternate screen, no cursor.
fn take() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, Hide)
}

/// The terminal as it was: cooked mode, the main screen, the cursor.
fn give_back() {
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), LeaveAlternateScreen, Show);
}

/// Gives the terminal back before a panic's message is printed.
fn give_back_on_panic() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        give_back();
        hook(info);
    }));
}

/// The signals that end or suspend a screen.
struct Signals {
    int: Signal,
    term: Signal,
    hangup: Signal,
    stop: Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            stop: signal(SignalKind::from_raw(signal_hook::consts::SIGTSTP))?,
        })
    }
}

/// The terminal's input, read on a thread of its own and handed over on a
/// channel, so that waiting for a key costs the loop nothing. (Polling
/// crossterm's event stream from the loop instead contends with its waker
/// thread for the reader and spins: 170 `sched_yield` calls a second at rest.)
struct Keyboard {
    events: mpsc::Receiver<io::Result<Event>>,
    stop: Arc<AtomicBool>,
}

impl Keyboard {
    /// How long the reader waits for input before it looks whether to stop
    /// (it wakes no more often than this at rest).
    const POLL: Duration = Duration::from_secs(1);

    fn start() -> Self {
        let (tx, events) = mpsc::channel(64);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let event = match crossterm::event::poll(Self::POLL) {
                    Ok(false) => continue,
                    Ok(true) => crossterm::event::read(),
                    Err(e) => Err(e),
                };
                let failed = event.is_err();
                if tx.blocking_send(event).is_err() || failed {
                    return;
                }
            }
        });
        Self { events, stop }
    }
}

impl Drop for Keyboard {
    /// Tells the reader to stop; it ends at its next look (the process
    /// usually ends first).
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.events.close();
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Shows `screen` until it quits, a signal ends it, or it fails; the
/// terminal is given back whatever happens.
pub async fn show(screen: &mut impl Screen) -> Result<(), Failure> {
    let mut signals = Signals::new().map_err(|e| Failure::Failed(format!("cannot watch signals: {e}")))?;
    give_back_on_panic();
    take().map_err(|e| Failure::Failed(format!("cannot use this terminal: {e}")))?;
    let result = match open() {
        Ok(mut terminal) => run_screen(&mut terminal, screen, &mut signals).await,
        Err(e) => Err(Failure::Failed(format!("cannot use this terminal: {e}"))),
    };
    give_back();
    result
}

/// A terminal whose size is set when it changes (a resize event, a resume),
/// not asked of the tty before every frame.
fn open() -> io::Result<Term> {
    let (w, h) = crossterm::terminal::size()?;
    let viewport = Viewport::Fixed(Rect::new(0, 0, w, h));
    Terminal::with_options(CrosstermBackend::new(stdout()), TerminalOptions { viewport })
}

/// What ended a turn of the loop.
enum Input {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The screen's sources said something; it was taken in.
    Taken(Flow),
    /// A change held back by the pacer is due.
    Frame,
    Suspend,
    End(Result<(), Failure>),
}

async fn run_screen(terminal: &mut Term, screen: &mut impl Screen, signals: &mut Signals) -> Result<(), Failure> {
    let draw_failed = |e: io::Error| Failure::Failed(format!("cannot draw: {e}"));
    let size = terminal.size().map_err(draw_failed)?;
    if screen.resize(size.width, size.height)? == Flow::Quit {
        return Ok(());
    }
    terminal.draw(|f| screen.draw(f)).map_err(draw_failed)?;
    let mut keys = Keyboard::start();
    let mut pacer = Pacer::default();
    pacer.drawn(Instant::now());
    loop {
        let input = tokio::select! {
            () = until(pacer.due()) => Input::Frame,
            event = keys.events.recv() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Input::Key(key),
                Some(Ok(Event::Resize(w, h))) => {
                    terminal.resize(Rect::new(0, 0, w, h)).map_err(draw_failed)?;
                    Input::Resize(w, h)
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => Input::End(Err(Failure::Failed(format!("terminal input failed: {e}")))),
                None => Input::End(Ok(())),
            },
            taken = screen.next() => match taken {
                Ok(flow) => Input::Taken(flow),
                Err(failure) => Input::End(Err(failure)),
            },
            _ = signals.int.recv() => Input::End(Err(Failure::Signal(SIGINT))),
            _ = signals.term.recv() => Input::End(Err(Failure::Signal(SIGTERM))),
            _ = signals.hangup.recv() => Input::End(Err(Failure::Signal(SIGHUP))),
            _ = signals.stop.recv() => Input::Suspend,
        };
        let flow = match input {
            Input::End(result) => return result,
            Input::Frame => Flow::Go(Redraw::Now),
            Input::Suspend => Flow::Suspend,
            Input::Key(key) => urgent(screen.key(key)?),
            Input::Resize(w, h) => urgent(screen.resize(w, h)?),
            Input::Taken(flow) => flow,
        };
        let redraw = match flow {
            Flow::Quit => return Ok(()),
            Flow::Suspend => {
                suspend(terminal, screen)?;
                Redraw::Now
            }
            Flow::Go(redraw) => redraw,
        };
        if pacer.changed(Instant::now(), redraw) {
            terminal.draw(|f| screen.draw(f)).map_err(draw_failed)?;
        }
    }
}

/// What a key or a resize changed is drawn at once.
fn urgent(flow: Flow) -> Flow {
    match flow {
        Flow::Go(Redraw::No) => Flow::Go(Redraw::No),
        Flow::Go(_) => Flow::Go(Redraw::Now),
        other => other,
    }
}

/// Gives the terminal back and stops the process (as the shell's job
/// control expects); when resumed (`fg`), takes the screen again and
/// forces a full repaint on the next draw.
fn suspend(terminal: &mut Term, screen: &mut impl Screen) -> Result<(), Failure> {
    let failed = |e: io::Error| Failure::Failed(format!("cannot suspend: {e}"));
    give_back();
    signal_hook::low_level::raise(signal_hook::consts::SIGSTOP).map_err(failed)?;
    take().map_err(failed)?;
    // The screen was cleared; resizing to the (maybe new) size resets the
    // previous buffer, so the next draw paints every cell.
    let (w, h) = crossterm::terminal::size().map_err(failed)?;
    terminal.resize(Rect::new(0, 0, w, h)).map_err(failed)?;
    screen.resize(w, h)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the frames drawn for a change every `every`, over one second.
    fn frames(every: Duration, redraw: Redraw) -> u32 {
        let start = Instant::now();
        let mut pacer = Pacer::default();
        let mut frames = 0;
        let mut now = start;
        while now < start + Duration::from_secs(1) {
            if pacer.due().is_some_and(|due| due <= now) {
                pacer.drawn(now);
                frames += 1;
            }
            if pacer.changed(now, redraw) {
                frames += 1;
            }
            now += every;
        }
        frames
    }

    /// 500 changes a second (a sample every 2 ms) draw about 30 frames.
    #[test]
    fn changes_of_state_at_500_a_second_draw_at_most_about_30_frames() {
        let n = frames(Duration::from_millis(2), Redraw::Soon);
        assert!((28..=31).contains(&n), "{n} frames in one second");
    }

    /// At rest only the traffic strip moves: ten requests a second draw two frames.
    #[test]
    fn the_traffic_strip_alone_draws_two_frames_a_second() {
        assert_eq!(frames(Duration::from_millis(100), Redraw::Lazy), 2);
        assert_eq!(frames(Duration::from_millis(2), Redraw::Lazy), 2);
        assert_eq!(frames(Duration::from_millis(100), Redraw::No), 0);
    }

    #[test]
    fn a_key_is_drawn_at_once_and_a_lone_change_without_delay() {
        let start = Instant::now();
        let mut pacer = Pacer::default();
        assert!(pacer.changed(start, Redraw::Soon), "the first change draws");
        assert!(!pacer.changed(start + Duration::from_millis(5), Redraw::Soon));
        assert_eq!(pacer.due(), Some(start + Pacer::FRAME));
        assert!(!pacer.changed(start + Duration::from_millis(6), Redraw::Lazy));
        assert_eq!(pacer.due(), Some(start + Pacer::FRAME), "the sooner change decides");
        assert!(pacer.changed(start + Duration::from_millis(6), Redraw::Now), "a key never waits");
        assert_eq!(pacer.due(), None, "and the pending change went with it");
        assert!(pacer.changed(start + Duration::from_millis(6) + Pacer::FRAME, Redraw::Soon));
        assert!(!pacer.changed(start + Duration::from_millis(7) + Pacer::FRAME, Redraw::Lazy));
        assert_eq!(pacer.due(), Some(start + Duration::from_millis(6) + Pacer::FRAME + Pacer::LAZY));
    }
}
