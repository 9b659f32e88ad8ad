//! `bluegreen replay FILE`: a recorded session played back. On a terminal,
//! the same console with the recording's clock (space pauses, `+`/`-`
//! change speed, `]`/`[` jump between moments, `Home`/`End`); the keys that
//! act are refused and nothing reaches AWS. `--plain` prints the session's
//! lines as `--plain` printed them live; `--cast` writes an asciicast v2
//! file of the screen as it was, drawn by the same code with no terminal.
//! `bluegreen demo --from FILE` is the same console, as a demo.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::{Frame, Terminal, TerminalOptions, Viewport};
use tokio::time::Instant;

use super::{Output, runtime};
use crate::app::{Change, Msg, Overlay, keymap};
use crate::exit::Failure;
use crate::record::replay::{self, Replay};
use crate::record::tape::{self, Tape};
use crate::report::lines::{Printer, until};
use crate::term::{self, Flow, Redraw};
use crate::ui::theme::Theme;

/// What to replay and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub file: PathBuf,
    /// Recorded seconds per real second.
    pub speed: f64,
    pub plain: bool,
    /// Write a cast here instead of showing the console.
    pub cast: Option<PathBuf>,
    /// The cast's size (`120x40`).
    pub size: Option<String>,
    /// The cast's longest pause (`2s`).
    pub idle_limit: String,
    /// Shown as a demo (`demo --from`).
    pub demo: bool,
}

/// The fastest a replay plays.
pub const MAX_SPEED: f64 = 1000.0;
const MIN_SPEED: f64 = 0.1;

/// Plays the recording as asked.
pub fn run(opts: &Options) -> Result<(), Failure> {
    if !(MIN_SPEED..=MAX_SPEED).contains(&opts.speed) {
        return Err(Failure::Usage(format!(
            "--speed {} is out of range (hint: from 0.1 to 1000; 10 plays ten times as fast)",
            opts.speed
        )));
    }
    let size = opts.size.as_deref().map(parse_size).transpose()?;
    let idle = crate::domain::parse_duration(&opts.idle_limit).ok().filter(|d| !d.is_zero()).ok_or_else(|| {
        Failure::Usage(format!(
            "--idle-limit '{}' is not a duration (hint: 2s, 500ms)",
            crate::domain::clean(&opts.idle_limit, 40)
        ))
    })?;
    let tape = tape::read(&opts.file).map_err(Failure::Usage)?;
    if let Some(note) = &tape.note {
        eprintln!("bluegreen: note: {note}");
    }
    if let Some(out) = &opts.cast {
        return cast(tape, out, size, idle);
    }
    match Output::choose(opts.plain, false) {
        Output::Screen => {
            let name = opts.file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let mut setup = replay::setup(&tape);
            if opts.demo {
                setup.source = format!("demo · from {}", crate::domain::clean(&name, 60));
            }
            let replay = Replay::new(tape, setup, false);
            runtime()?.block_on(show(replay, opts.speed))
        }
        Output::Lines | Output::Json => plain(tape, std::io::stdout()),
    }
}

/// `120x40` → (120, 40), no smaller than the console draws on.
fn parse_size(text: &str) -> Result<(u16, u16), Failure> {
    let bad = || {
        Failure::Usage(format!(
            "--size '{}' is not COLSxROWS of at least {}x{} (hint: --size 120x40)",
            crate::domain::clean(text, 40),
            crate::app::MIN_SIZE.0,
            crate::app::MIN_SIZE.1
        ))
    };
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u16, u16) = (w.trim().parse().map_err(|_| bad())?, h.trim().parse().map_err(|_| bad())?);
    if w < crate::app::MIN_SIZE.0 || h < crate::app::MIN_SIZE.1 || w > 1000 || h > 500 {
        return Err(bad());
    }
    Ok((w, h))
}

/// The session's lines, as `--plain` printed them live.
pub fn plain(tape: Tape, out: impl Write) -> Result<(), Failure> {
    let names_events = tape.header.names_events;
    let first = tape.header.first.clone();
    let setup = replay::setup(&tape);
    let mut r = Replay::new(tape, setup, false);
    // The first line is the clock's first tick: the printer starts at its time.
    r.step();
    let mut printer = Printer::new(out, &first, r.app().now())?;
    while let Some(t) = r.next_at() {
        r.step();
        let events = r.take_events();
        printer.take(r.app(), events, names_events);
        printer.flush(Some(until(r.app(), r.instant(t))))?;
    }
    let events = r.take_events();
    printer.take(r.app(), events, names_events);
    printer.flush(None)?;
    printer.summary(r.app()).map(|_| ())
}

/// Writes the cast of the recording to `out`.
fn cast(tape: Tape, out: &std::path::Path, size: Option<(u16, u16)>, idle: Duration) -> Result<(), Failure> {
    let recorded = tape.header.size.filter(|(w, h)| *w >= crate::app::MIN_SIZE.0 && *h >= crate::app::MIN_SIZE.1);
    let (w, h) = size.or(recorded).unwrap_or((120, 40));
    let bytes = cast_bytes(tape, (w, h), idle, Theme::from_env())?;
    let shown = crate::domain::clean(&out.display().to_string(), 120);
    std::fs::write(out, bytes)
        .map_err(|e| Failure::Usage(format!("cannot write the cast {shown}: {e} (hint: --cast PATH elsewhere)")))
}

/// The cast's bytes: asciicast v2, a header line, then `[time, "o", data]`
/// events of the screen drawn by the console's own code.
/// The cast's bytes: asciicast v2, a header line, then `[time, "o", data]`
/// events of the screen drawn by the console's own code.
pub fn cast_bytes(tape: Tape, (w, h): (u16, u16), idle: Duration, theme: Theme) -> Result<Vec<u8>, Failure> {
    let failed = |e: std::io::Error| Failure::Failed(format!("cannot draw the cast: {e}"));
    let started = crate::domain::At::parse_rfc3339(&tape.header.start).map_or(0, |at| at.0 / 1000);
    let title = format!("bluegreen replay · {}", tape.header.source);
    let header = serde_json::json!({
        "version": 2,
        "width": w,
        "height": h,
        "timestamp": started,
        "idle_time_limit": idle.as_secs_f64(),
        "title": title,
        "env": {"TERM": "xterm-256color"},
    });
    let mut out = Vec::new();
    writeln!(out, "{header}").map_err(failed)?;
    let setup = replay::setup(&tape);
    let mut r = Replay::new(tape, setup, false);
    r.send(Msg::Resize(w, h));
    let drawn = Shared::default();
    let backend = ratatui::backend::CrosstermBackend::new(drawn.clone());
    let mut terminal =
        Terminal::with_options(backend, TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, w, h)) })
            .map_err(failed)?;
    // Where the cast's clock stands, in seconds, and the recording's time it stands for.
    let (mut clock, mut last_t) = (0.0f64, 0u64);
    let mut drawn_at: Option<u64> = None;
    let mut pending = Change::Nothing;
    let mut first = true;
    let lazy = u64::try_from(term::Pacer::LAZY.as_micros()).unwrap_or(u64::MAX);
    while let Some(t) = r.next_at() {
        let outcome = r.step();
        pending = pending.max(outcome.change);
        let next = r.next_at();
        let due = match pending {
            Change::Nothing => false,
            Change::State => true,
            // The traffic strip alone is drawn as often as on a terminal.
            Change::Traffic => drawn_at.is_none_or(|d| t.saturating_sub(d) >= lazy) || next.is_none(),
        };
        // Lines at the same moment are drawn once, after the last of them.
        if !due || next == Some(t) {
            continue;
        }
        terminal.draw(|f| crate::ui::render(r.app(), theme, f)).map_err(failed)?;
        let mut data = drawn.take();
        if first {
            // Start from a clean screen without a cursor.
            let mut start = b"\x1b[2J\x1b[H\x1b[?25l".to_vec();
            start.append(&mut data);
            data = start;
            first = false;
        }
        clock += Duration::from_micros(t - last_t).min(idle).as_secs_f64();
        last_t = t;
        drawn_at = Some(t);
        pending = Change::Nothing;
        let text = String::from_utf8_lossy(&data);
        writeln!(out, "{}", serde_json::json!([(clock * 1e6).round() / 1e6, "o", text])).map_err(failed)?;
    }
    Ok(out)
}

/// What the drawing code wrote, taken after each frame.
#[derive(Debug, Clone, Default)]
struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Shared {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The console on a recording, on the terminal.
struct Viewer {
    replay: Replay,
    theme: Theme,
    speed: f64,
    paused: bool,
    /// Where the replay's clock stands (µs after the start), and the real
    /// instant it stood there.
    clock: u64,
    real: Instant,
    size: Option<(u16, u16)>,
    /// A word for the viewer (a refused key, a jump), until then (cleared
    /// as the clock moves on, never by drawing).
    said: Option<(String, Instant)>,
}

async fn show(replay: Replay, speed: f64) -> Result<(), Failure> {
    let mut viewer = Viewer {
        replay,
        theme: Theme::from_env(),
        speed,
        paused: false,
        clock: 0,
        real: Instant::now(),
        size: None,
        said: None,
    };
    term::show(&mut viewer).await
}

impl Viewer {
    fn say(&mut self, text: impl Into<String>) {
        self.said = Some((text.into(), Instant::now() + Duration::from_secs(3)));
    }

    /// Moves the clock on by the real time since it last moved.
    fn advance(&mut self) -> Change {
        let now = Instant::now();
        if !self.paused {
            let ahead = now.saturating_duration_since(self.real).mul_f64(self.speed);
            self.clock = self.clock.saturating_add(u64::try_from(ahead.as_micros()).unwrap_or(u64::MAX));
        }
        self.real = now;
        if self.said.as_ref().is_some_and(|(_, until)| *until <= now) {
            self.said = None;
        }
        let change = self.replay.play_until(self.clock).change;
        if self.replay.next_at().is_none() && !self.paused {
            self.paused = true;
            self.clock = self.replay.tape().end();
            self.say("the end of the recording (Home plays it again)");
        }
        change
    }

    /// Goes to where `lines` lines are played.
    fn seek(&mut self, lines: usize, what: Option<String>) {
        self.replay.seek(lines);
        self.clock = self.replay.position();
        self.real = Instant::now();
        if let Some((w, h)) = self.size {
            self.replay.send(Msg::Resize(w, h));
        }
        if let Some(what) = what {
            self.say(what);
        }
    }

    fn jump(&mut self, forward: bool) {
        let played = self.replay.played();
        let moments = self.replay.moments();
        let found = if forward {
            moments.iter().position(|m| m.lines > played)
        } else {
            moments.iter().rposition(|m| m.lines < played)
        };
        match found {
            Some(i) => {
                let m = moments[i].clone();
                let n = moments.len();
                self.seek(m.lines, Some(format!("moment {}/{n}: {}", i + 1, m.what)));
            }
            None => self.say(if forward { "no moment of note after this" } else { "no moment of note before this" }),
        }
    }

    /// The bar at the bottom: where the replay stands and its keys.
    fn bar(&self) -> String {
        let at = |t: u64| crate::domain::short(Duration::from_micros(t));
        let state = if self.paused { "paused" } else { "playing" };
        let speed = if self.speed >= 1.0 { format!("{}×", self.speed) } else { format!("{:.2}×", self.speed) };
        let said = self.said.as_ref().map(|(s, _)| format!(" · {s}"));
        format!(
            " replay {state} {speed} · {} of {}{} · space pause · +/- speed · ]/[ moments · Home/End · q quit",
            at(self.clock),
            at(self.replay.tape().end()),
            said.unwrap_or_default()
        )
    }
}

impl term::Screen for Viewer {
    async fn next(&mut self) -> Result<Flow, Failure> {
        let wait = match self.replay.next_at() {
            Some(next) if !self.paused => {
                let ahead = Duration::from_micros(next.saturating_sub(self.clock)).div_f64(self.speed);
                ahead.min(Duration::from_millis(250))
            }
            _ => Duration::from_millis(500),
        };
        tokio::time::sleep(wait).await;
        let change = self.advance();
        Ok(Flow::Go(match change {
            Change::State => Redraw::Soon,
            Change::Traffic | Change::Nothing => Redraw::Lazy,
        }))
    }

    fn key(&mut self, key: KeyEvent) -> Result<Flow, Failure> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl {
            return Ok(match key.code {
                KeyCode::Char('c') => Flow::Quit,
                KeyCode::Char('z') => Flow::Suspend,
                _ => Flow::Go(Redraw::No),
            });
        }
        let overlay = *self.replay.app().overlay() != Overlay::None;
        match key.code {
            KeyCode::Char('q') if !overlay => return Ok(Flow::Quit),
            KeyCode::Char(' ') => {
                self.advance();
                self.paused = !self.paused;
                if !self.paused && self.replay.next_at().is_none() {
                    self.seek(0, None);
                }
            }
            KeyCode::Char('+' | '=') => self.speed = (self.speed * 2.0).min(MAX_SPEED),
            KeyCode::Char('-') => self.speed = (self.speed / 2.0).max(MIN_SPEED),
            KeyCode::Char(']') => self.jump(true),
            KeyCode::Char('[') => self.jump(false),
            KeyCode::Home => self.seek(0, Some("the start".into())),
            KeyCode::End => {
                let end = self.replay.tape().lines.len();
                self.seek(end, Some("the end".into()));
            }
            _ if !overlay && keymap::action_for(key).and_then(keymap::Action::intent).is_some() => {
                self.say("a recording cannot act");
            }
            _ => {
                self.replay.send(Msg::Key(key));
            }
        }
        Ok(Flow::Go(Redraw::Now))
    }

    fn resize(&mut self, width: u16, height: u16) -> Result<Flow, Failure> {
        self.size = Some((width, height));
        self.replay.send(Msg::Resize(width, height));
        Ok(Flow::Go(Redraw::Now))
    }

    fn draw(&self, frame: &mut Frame) {
        crate::ui::render(self.replay.app(), self.theme, frame);
        let area = frame.area();
        if self.replay.app().too_small() || area.height == 0 {
            return;
        }
        let row = Rect::new(area.x, area.y + area.height - 1, area.width, 1);
        let text = crate::text::cut(&self.bar(), usize::from(area.width));
        frame.render_widget(ratatui::widgets::Clear, row);
        frame.render_widget(Paragraph::new(Line::from(Span::styled(text, self.theme.title()))), row);
    }
}
