//! The console on a terminal: owns the screen, turns keys and resizes into
//! messages for the session, and redraws only after a state change. Every
//! way out gives the terminal back as it was (quit, error, panic, SIGINT,
//! SIGTERM, SIGHUP), and Ctrl-Z or SIGTSTP suspends: the terminal is given
//! back, the process stops, and `fg` takes the screen again and repaints.

use std::io::{self, IsTerminal, Stdout, stdout};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::app::{Effect, Msg};
use crate::cloud::Cloud;
use crate::exit::{Failure, SIGHUP, SIGINT, SIGTERM};
use crate::session::Session;

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Whether the console can own this terminal (else the demo runs plain).
pub fn has_terminal() -> bool {
    stdout().is_terminal() && io::stdin().is_terminal()
}

/// Raw mode, the alternate screen, no cursor.
fn take_terminal() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, Hide)
}

/// The terminal as it was: cooked mode, the main screen, the cursor.
fn give_back() {
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), LeaveAlternateScreen, Show);
}

/// Gives the terminal back before a panic's message is printed.
fn restore_on_panic() {
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

/// What ended a turn of the loop.
enum Input {
    Msg(Msg),
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
    loop {
        let input = tokio::select! {
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
        let redraw = match input {
            Input::End(result) => return result,
            Input::Suspend => {
                suspend(terminal, session)?;
                true
            }
            Input::Msg(msg) => {
                let outcome = session.send(msg)?;
                if session.app.quit {
                    return Ok(());
                }
                if outcome.effects.contains(&Effect::Suspend) {
                    suspend(terminal, session)?;
                }
                outcome.redraw || outcome.effects.contains(&Effect::Suspend)
            }
        };
        if redraw {
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
