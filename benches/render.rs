//! Rendering cost on a pinned fixture: 200×60, 2×250 instances, 10,000
//! events, an instance selected, a full request strip. Reports the time per
//! frame (criterion) and the bytes written per frame while a deployment
//! moves traffic, against a full repaint.

use std::hint::black_box;
use std::time::Duration;

use bluegreen::app::{App, Msg, Setup};
use bluegreen::cloud::plan::Intent;
use bluegreen::cloud::sim::scenario::BUILTIN;
use bluegreen::cloud::sim::{Scenario, World, story};
use bluegreen::probe::{Outcome, Sample};
use bluegreen::ui::bytes::ByteCount;
use bluegreen::ui::theme::Theme;
use criterion::Criterion;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::time::Instant;

const THEME: Theme = Theme { monochrome: false };
const W: u16 = 200;
const H: u16 = 60;

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// A world of 2×250 instances whose deployment waits in Ready, and an app
/// with 10,000 events, instance 100 of GREEN selected and a full strip.
fn fixture() -> (World, App, Instant) {
    let text = BUILTIN[0].1.replace("[group]", "[group]\ninstances = 250");
    let scenario = Scenario::parse(&text).expect("fixture scenario");
    let mut world = World::new(&scenario);
    story::play(&mut world, story::parse("deploy; wait Ready").unwrap(), Duration::from_secs(7200)).unwrap();
    let start = Instant::now();
    let setup = Setup { source: "demo · bench".into(), url: "http://127.0.0.1:8080/".into(), ..Setup::default() };
    let mut app = App::new(setup, start);
    app.update(Msg::Observed(Box::new(world.observe())));
    for n in 0..10_000u32 {
        app.update(Msg::Notice(format!("green i-0{n:016x} AfterInstall ✓")));
    }
    key(&mut app, KeyCode::Esc);
    for n in 0..300u64 {
        let version = if n % 3 == 0 { "v1" } else { "v2" }.to_string();
        let outcome = Outcome::Served { version, instance: Some(format!("i-0{n:016x}")) };
        let sample = Sample {
            scheduled: start + Duration::from_millis(n * 100),
            latency: Duration::from_millis(3),
            outcome,
            handshake: None,
        };
        app.update(Msg::Sample(sample));
    }
    app.update(Msg::Tick { world: world.now(), real: start + Duration::from_secs(40), pace: 1.0 });
    key(&mut app, KeyCode::Tab);
    for _ in 0..100 {
        key(&mut app, KeyCode::Down);
    }
    (world, app, start)
}

fn counting_terminal() -> (Terminal<CrosstermBackend<ByteCount>>, ByteCount) {
    let bytes = ByteCount::default();
    let options = TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, W, H)) };
    (Terminal::with_options(CrosstermBackend::new(bytes.clone()), options).unwrap(), bytes)
}

/// Bytes per frame while the deployment moves traffic, one frame per world
/// second, against the bytes of a full repaint.
fn report_bytes() {
    let (mut world, mut app, start) = fixture();
    let (mut terminal, bytes) = counting_terminal();
    terminal.draw(|f| bluegreen::ui::render(&app, THEME, f)).unwrap();
    let full = bytes.take();
    story::run_key(&mut world, Intent::Promote, Duration::from_secs(60)).unwrap();
    let frames = 120;
    let mut total = 0;
    for s in 0..frames {
        world.advance(world.now() + Duration::from_secs(1));
        app.update(Msg::Observed(Box::new(world.observe())));
        let outcome = Outcome::Served { version: "v2".into(), instance: None };
        let started = start + Duration::from_secs(40 + s);
        app.update(Msg::Sample(Sample {
            scheduled: started,
            latency: Duration::from_millis(2),
            outcome,
            handshake: None,
        }));
        app.update(Msg::Tick { world: world.now(), real: started + Duration::from_secs(1), pace: 1.0 });
        terminal.draw(|f| bluegreen::ui::render(&app, THEME, f)).unwrap();
        total += bytes.take();
    }
    let per_frame = total / frames as usize;
    println!(
        "bytes/frame during a deployment ({frames} frames, {W}x{H}): {per_frame} B; full repaint: {full} B; ratio 1:{:.0}",
        full as f64 / per_frame.max(1) as f64
    );
}

fn bench_render(c: &mut Criterion) {
    let (_, app, _) = fixture();
    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    c.bench_function("render 200x60, 2x250 instances, 10k events (build + diff)", |b| {
        b.iter(|| {
            terminal.draw(|f| bluegreen::ui::render(black_box(&app), THEME, f)).unwrap();
        });
    });
    let (mut terminal, _) = counting_terminal();
    c.bench_function("render 200x60 into a crossterm backend (build + diff + encode)", |b| {
        b.iter(|| {
            terminal.draw(|f| bluegreen::ui::render(black_box(&app), THEME, f)).unwrap();
        });
    });
}

fn main() {
    report_bytes();
    let mut c = Criterion::default().configure_from_args();
    bench_render(&mut c);
    c.final_summary();
}
