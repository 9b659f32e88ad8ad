//! The console on a terminal: owns the screen, turns keys and resizes into
//! messages for the session, and redraws only after a state change. Every
//! way out gives the terminal back as it was (quit, error, panic, SIGINT,
//! SIGTERM, SIGHUP), and Ctrl-Z or SIGTSTP suspends: the terminal is given
//! back, the process stops, and `fg` takes the screen again and repaints.

use std::io::{self, IsTerminal, Stdout, stdout};
use std::time::Duration;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::time::Instant;

use crate::app::{Effect, Msg};
use crate::cloud::Cloud;
use crate::exit::{Failure, SIGHUP, SIGINT, SIGTERM};
use crate::session::Session;

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Coalesces redraws: a change is drawn at once when the last frame is at
/// least [`Pacer::FRAME`] old (or a key asks for it), else once that much
/// time has passed; so probing at 500 requests a second draws about 30
/// frames a second, not 500.
#[derive(Debug, Clone, Default)]
pub struct Pacer {
    last: Option<Instant>,
    pending: bool,
}

impl Pacer {
    /// The shortest time between two frames drawn for changes alone.
    pub const FRAME: Duration = Duration::from_millis(33);

    /// Something changed at `now`; `urgent` for what the user just did.
    /// Gives whether to draw now (else [`Pacer::due`] says when).
    pub fn changed(&mut self, now: Instant, urgent: bool) -> bool {
        if urgent || self.last.is_none_or(|l| now.saturating_duration_since(l) >= Self::FRAME) {
            self.drawn(now);
            true
        } else {
            self.pending = true;
            false
        }
    }

    /// When the change not yet drawn is due.
    pub fn due(&self) -> Option<Instant> {
        self.pending.then(|| self.last.map_or_else(Instant::now, |l| l + Self::FRAME))
    }

    /// A frame was drawn at `now`.
    pub fn drawn(&mut self, now: Instant) {
        self.last = Some(now);
        self.pending = false;
    }
}

/// Sleeps until `due`, or forever without one (a `select!` branch).
pub async fn until(due: Option<Instant>) {
    match due {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Whether the console can own this terminal (else the demo runs plain).
pub fn has_terminal() -> bool {
    stdout().is_terminal() && io::stdin().is_terminal()
}

/// Raw mode, the alternate screen, no cursor.
pub(crate) fn take_terminal() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, Hide)
}

/// The terminal as it was: cooked mode, the main screen, the cursor.
pub(crate) fn give_back() {
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), LeaveAlternateScreen, Show);
}

/// Gives the terminal back before a panic's message is printed.
pub(crate) fn restore_on_panic() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        give_back();
        hook(info);
    }));
}

/// Runs the console until the user quits, a signal ends it, or the session fails.
pub async fn run<C: Cloud>(mut session: Session<C>) -> Result<(), Failure> {
    let mut signals = Signals::new().map_err(|e| Failure::Failed(format!("cannot watch signals: {e}")))?;
    restore_on_panic();
    take_terminal().map_err(|e| Failure::Failed(format!("cannot use this terminal: {e}")))?;
    let result = match Terminal::new(CrosstermBackend::new(stdout())) {
        Ok(mut terminal) => run_loop(&mut terminal, &mut session, &mut signals).await,
        Err(e) => Err(Failure::Failed(format!("cannot use this terminal: {e}"))),
    };
    give_back();
    result
}

pub(crate) struct Signals {
    pub(crate) int: Signal,
    pub(crate) term: Signal,
    pub(crate) hangup: Signal,
    pub(crate) stop: Signal,
}

impl Signals {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            stop: signal(SignalKind::from_raw(signal_hook::consts::SIGTSTP))?,
        })
    }
}

/// What ended a turn of the loop.
enum Input {
    Msg(Msg),
    /// A change held back by the pacer is due.
    Frame,
    Suspend,
    End(Result<(), Failure>),
}

async fn run_loop<C: Cloud>(
    terminal: &mut Term,
    session: &mut Session<C>,
    signals: &mut Signals,
) -> Result<(), Failure> {
    let draw_failed = |e: io::Error| Failure::Failed(format!("cannot draw: {e}"));
    let size = terminal.size().map_err(draw_failed)?;
    session.send(Msg::Resize(size.width, size.height))?;
    terminal.draw(|f| crate::ui::render(&session.app, f)).map_err(draw_failed)?;
    let mut keys = EventStream::new();
    let mut pacer = Pacer::default();
    pacer.drawn(Instant::now());
    loop {
        let input = tokio::select! {
            () = until(pacer.due()) => Input::Frame,
            event = keys.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Input::Msg(Msg::Key(key)),
                Some(Ok(Event::Resize(w, h))) => Input::Msg(Msg::Resize(w, h)),
                Some(Ok(_)) => continue,
                Some(Err(e)) => Input::End(Err(Failure::Failed(format!("terminal input failed: {e}")))),
                None => Input::End(Ok(())),
            },
            msg = session.next() => match msg {
                Some(msg) => Input::Msg(msg),
                None => Input::End(Err(Failure::Failed("the world stopped".into()))),
            },
            _ = signals.int.recv() => Input::End(Err(Failure::Signal(SIGINT))),
            _ = signals.term.recv() => Input::End(Err(Failure::Signal(SIGTERM))),
            _ = signals.hangup.recv() => Input::End(Err(Failure::Signal(SIGHUP))),
            _ = signals.stop.recv() => Input::Suspend,
        };
        let now = Instant::now();
        let draw = match input {
            Input::End(result) => return result,
            Input::Frame => {
                pacer.drawn(now);
                true
            }
            Input::Suspend => {
                suspend(terminal, session)?;
                pacer.changed(now, true)
            }
            Input::Msg(msg) => {
                let urgent = matches!(msg, Msg::Key(_) | Msg::Resize(..));
                let outcome = session.send(msg)?;
                if session.app.quit {
                    return Ok(());
                }
                let suspended = outcome.effects.contains(&Effect::Suspend);
                if suspended {
                    suspend(terminal, session)?;
                }
                (outcome.redraw || suspended) && pacer.changed(now, urgent || suspended)
            }
        };
        if draw {
            terminal.draw(|f| crate::ui::render(&session.app, f)).map_err(draw_failed)?;
        }
    }
}

/// Gives the terminal back and stops the process (as the shell's job
/// control expects); when resumed (`fg`), takes the screen again and
/// forces a full repaint on the next draw.
fn suspend<C: Cloud>(terminal: &mut Term, session: &mut Session<C>) -> Result<(), Failure> {
    let failed = |e: io::Error| Failure::Failed(format!("cannot suspend: {e}"));
    give_back();
    signal_hook::low_level::raise(signal_hook::consts::SIGSTOP).map_err(failed)?;
    take_terminal().map_err(failed)?;
    // The screen was cleared; resizing to the (maybe new) size resets the
    // previous buffer, so the next draw paints every cell.
    let size = terminal.size().map_err(failed)?;
    terminal.resize(size.into()).map_err(failed)?;
    session.send(Msg::Resize(size.width, size.height))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 500 changes a second (a sample every 2 ms) draw about 30 frames.
    #[test]
    fn changes_at_500_a_second_draw_at_most_about_30_frames() {
        let start = Instant::now();
        let mut pacer = Pacer::default();
        let mut frames = 0;
        for n in 0..500u64 {
            let now = start + Duration::from_millis(n * 2);
            if pacer.due().is_some_and(|due| due <= now) {
                pacer.drawn(now);
                frames += 1;
            }
            if pacer.changed(now, false) {
                frames += 1;
            }
        }
        assert!((28..=31).contains(&frames), "{frames} frames in one second");
        assert!(pacer.due().is_some(), "the last change is still to be drawn");
    }

    #[test]
    fn a_key_is_drawn_at_once_and_a_lone_change_without_delay() {
        let start = Instant::now();
        let mut pacer = Pacer::default();
        assert!(pacer.changed(start, false), "the first change draws");
        assert!(!pacer.changed(start + Duration::from_millis(5), false));
        assert_eq!(pacer.due(), Some(start + Pacer::FRAME));
        assert!(pacer.changed(start + Duration::from_millis(6), true), "a key never waits");
        assert_eq!(pacer.due(), None, "and the pending change went with it");
        assert!(pacer.changed(start + Duration::from_millis(6) + Pacer::FRAME, false));
    }
}
