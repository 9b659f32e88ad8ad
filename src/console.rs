//! The console's loop: one `select!` over terminal events, a 1 Hz tick, the
//! world's observations, probe samples and the results of effects. Every
//! input becomes a `Msg` for `App::update`; the effects it returns are run
//! on tasks that answer with another `Msg`. The screen is redrawn only
//! after a state change, and the terminal is restored on every way out.

use std::io::IsTerminal;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::app::{App, Effect, Msg};
use crate::cloud::sim::World;
use crate::demo::runtime::{self, Demo, SimHandle};
use crate::demo::{lb, plain};
use crate::probe::{self, Sample};

/// Whether the console can own this terminal (else `demo` runs plain).
pub fn has_terminal() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// Runs the console on the simulated world until the user quits.
pub async fn run_demo(opts: plain::Options) -> Result<(), String> {
    let (scenario, _) = plain::prepare(&opts)?;
    let listener = lb::bind(opts.port).await.map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", opts.port))?;
    let world = World::with_seed(&scenario, opts.seed.unwrap_or(scenario.seed));
    let mut demo = runtime::start(world, scenario.timing.pace * opts.speed, listener).map_err(|e| e.to_string())?;
    let (samples_tx, mut samples) = mpsc::channel(1024);
    let prober = probe::start(demo.url.clone(), opts.rate, samples_tx);
    let monochrome = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if monochrome {
        crossterm::style::force_color_output(true);
    }
    let app = App::new(format!("demo · {}", scenario.name), demo.url.clone(), Instant::now(), monochrome);
    let mut terminal = ratatui::try_init().map_err(|e| format!("cannot use this terminal: {e}"))?;
    let result = run_loop(&mut terminal, app, &mut demo, &mut samples).await;
    ratatui::restore();
    prober.abort();
    demo.handle.stop().await;
    result
}

async fn run_loop(
    terminal: &mut DefaultTerminal,
    mut app: App,
    demo: &mut Demo,
    samples: &mut mpsc::Receiver<Sample>,
) -> Result<(), String> {
    let draw = |terminal: &mut DefaultTerminal, app: &App| {
        terminal.draw(|f| crate::ui::render(app, f)).map(|_| ()).map_err(|e| format!("cannot draw: {e}"))
    };
    let first = demo.handle.observe().await.map_err(|e| e.to_string())?;
    app.update(Msg::Observed(Box::new(first)));
    draw(terminal, &app)?;
    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (done_tx, mut done) = mpsc::channel::<Msg>(16);
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    loop {
        let msg = tokio::select! {
            event = keys.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Msg::Key(key),
                Some(Ok(Event::Resize(..))) => Msg::Resize,
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(format!("terminal input failed: {e}")),
                None => return Ok(()),
            },
            _ = tick.tick() => Msg::Tick { world: demo.clock.now(), real: Instant::now() },
            Some(update) = demo.updates.recv() => {
                for problem in update.events.iter().filter(|e| e.tag == runtime::NETWORK_ERROR) {
                    app.update(Msg::Problem(problem.text.clone()));
                }
                Msg::Observed(update.observation)
            }
            Some(sample) = samples.recv() => Msg::Sample(sample),
            Some(msg) = done.recv() => msg,
            _ = term.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
        };
        let outcome = app.update(msg);
        for effect in outcome.effects {
            run_effect(effect, &demo.handle, &done_tx);
        }
        if app.quit {
            return Ok(());
        }
        if outcome.redraw {
            draw(terminal, &app)?;
        }
    }
}

/// Runs one effect on its own task; its result comes back as a `Msg`.
pub fn run_effect(effect: Effect, handle: &SimHandle, done: &mpsc::Sender<Msg>) {
    let (handle, done) = (handle.clone(), done.clone());
    match effect {
        Effect::Quit => {}
        Effect::Observe => {
            tokio::spawn(async move {
                if let Ok(obs) = handle.observe().await {
                    let _ = done.send(Msg::Fresh(Box::new(obs))).await;
                }
            });
        }
        Effect::Call(call) => {
            tokio::spawn(async move {
                let result = handle.apply(call).await;
                if let Ok(obs) = handle.observe().await {
                    let _ = done.send(Msg::CallDone(result, Box::new(obs))).await;
                }
            });
        }
    }
}
