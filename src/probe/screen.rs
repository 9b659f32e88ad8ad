//! `bluegreen probe` on a terminal: the console's traffic panel, full
//! screen, with the same ways out (q, Esc, Ctrl-C, signals) and Ctrl-Z.

use std::io::{self, stdout};
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Sample;
use super::run::{Options, Summary};
use crate::app::{App, Msg};
use crate::console::{Pacer, Signals, give_back, restore_on_panic, take_terminal, until};
use crate::domain::{At, millis};
use crate::exit::{Failure, SIGHUP, SIGINT, SIGTERM};

/// What the screen shows above the panel.
pub fn title(opts: &Options) -> String {
    let s = &opts.settings;
    format!(
        "{} at {}/s, timeout {}{}",
        s.url,
        s.rate,
        millis(s.timeout),
        if s.keep_alive { "" } else { ", new connection per request" }
    )
}

pub async fn run(opts: &Options, start: Instant, mut samples: mpsc::Receiver<Sample>) -> Result<Summary, Failure> {
    let mut signals = Signals::new().map_err(|e| Failure::Failed(format!("cannot watch signals: {e}")))?;
    restore_on_panic();
    take_terminal().map_err(|e| Failure::Failed(format!("cannot use this terminal: {e}")))?;
    let mut app = App::new("probe".into(), opts.settings.url.clone(), start, opts.monochrome);
    app.traffic = super::Traffic::with_timeout(start, opts.settings.timeout);
    let title = title(opts);
    let result = match Terminal::new(CrosstermBackend::new(stdout())) {
        Ok(mut terminal) => screen_loop(&mut terminal, &mut app, &title, opts, &mut samples, &mut signals).await,
        Err(e) => Err(Failure::Failed(format!("cannot use this terminal: {e}"))),
    };
    give_back();
    result?;
    let t = &app.traffic;
    let cutover_failures = app.verdicts.iter().map(|(_, v)| v.failures()).sum::<u64>()
        + t.cutover().map_or(0, super::cutover::Running::failures);
    Ok(Summary {
        requests: t.total_requests,
        failures: t.total_failures,
        verdicts: app.verdicts.len() as u64,
        cutover_failures,
    })
}

async fn screen_loop(
    terminal: &mut Terminal<CrosstermBackend<io::Stdout>>,
    app: &mut App,
    title: &str,
    opts: &Options,
    samples: &mut mpsc::Receiver<Sample>,
    signals: &mut Signals,
) -> Result<(), Failure> {
    let draw_failed = |e: io::Error| Failure::Failed(format!("cannot draw: {e}"));
    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut pacer = Pacer::default();
    let end = opts.duration.map(|d| Instant::now() + d);
    loop {
        let now = Instant::now();
        let urgent = tokio::select! {
            () = until(pacer.due()) => true,
            () = until(end) => return Ok(()),
            sample = samples.recv() => match sample {
                Some(s) => { app.update(Msg::Sample(s)); false }
                None => return Ok(()),
            },
            _ = tick.tick() => {
                app.update(Msg::Tick { world: At::from(std::time::SystemTime::now()), real: now });
                false
            }
            event = keys.next() => match event {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => {
                    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                    match k.code {
                        KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
                        KeyCode::Char('c') if ctrl => return Err(Failure::Signal(SIGINT)),
                        KeyCode::Char('z') if ctrl => { suspend(terminal)?; true }
                        _ => continue,
                    }
                }
                Some(Ok(Event::Resize(..))) => true,
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(Failure::Failed(format!("terminal input failed: {e}"))),
                None => return Ok(()),
            },
            _ = signals.int.recv() => return Err(Failure::Signal(SIGINT)),
            _ = signals.term.recv() => return Err(Failure::Signal(SIGTERM)),
            _ = signals.hangup.recv() => return Err(Failure::Signal(SIGHUP)),
            _ = signals.stop.recv() => { suspend(terminal)?; true }
        };
        if pacer.changed(now, urgent) {
            terminal.draw(|f| crate::ui::render_probe(app, f, title)).map_err(draw_failed)?;
        }
    }
}

fn suspend(terminal: &mut Terminal<CrosstermBackend<io::Stdout>>) -> Result<(), Failure> {
    let failed = |e: io::Error| Failure::Failed(format!("cannot suspend: {e}"));
    give_back();
    signal_hook::low_level::raise(signal_hook::consts::SIGSTOP).map_err(failed)?;
    take_terminal().map_err(failed)?;
    let size = terminal.size().map_err(failed)?;
    terminal.resize(size.into()).map_err(failed)
}
