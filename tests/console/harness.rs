//! Drives an `App` against a pure `World`: keys become messages, effects
//! are answered by the world at once, and time passes one world second at a
//! time with a modelled prober (round robin over the routable instances).

use std::fmt::Write as _;
use std::time::Duration;

use bluegreen::app::{App, Effect, Msg, Setup};
use bluegreen::cloud::sim::{Scenario, World};
use bluegreen::domain::Observation;
use bluegreen::probe::{ErrorKind, Outcome, Sample};
use bluegreen::ui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::time::Instant;

pub const URL: &str = "http://127.0.0.1:8080/";

pub struct Harness {
    pub world: World,
    pub app: App,
    /// How the screen is drawn (colours, or none).
    pub theme: Theme,
    start: Instant,
    world_start: bluegreen::domain::At,
    turn: usize,
    /// Every effect `update` returned, in order.
    pub effects: Vec<Effect>,
    /// Writes down every message sent, as the console's session does.
    pub recorder: Option<bluegreen::record::Recorder>,
}

impl Harness {
    pub fn new(scenario: &str) -> Self {
        Self::with(World::new(&Scenario::load(scenario).unwrap()), scenario)
    }

    pub fn with(world: World, name: &str) -> Self {
        Self::with_source(world, &format!("demo · {name}"))
    }

    /// A session whose header names `source` (`aws` for the console on AWS).
    pub fn with_source(world: World, source: &str) -> Self {
        Self::recorded(world, source, None)
    }

    /// The setup every harness's app starts with.
    pub fn setup(source: &str) -> Setup {
        Setup { source: source.to_string(), url: URL.to_string(), ..Setup::default() }
    }

    /// [`Harness::with_source`], recording from its first message.
    pub fn recorded(world: World, source: &str, recorder: Option<bluegreen::record::Recorder>) -> Self {
        let start = Instant::now();
        let app = App::new(Self::setup(source), start);
        let world_start = world.now();
        let mut recorder = recorder;
        if let Some(r) = &mut recorder {
            r.begin(start);
        }
        let mut h = Self {
            world,
            app,
            theme: Theme { monochrome: false },
            start,
            world_start,
            turn: 0,
            effects: Vec::new(),
            recorder,
        };
        h.send(Msg::Tick { world: world_start, real: start, pace: 1.0 });
        h.observe();
        h
    }

    pub fn obs(&self) -> Observation {
        self.world.observe()
    }

    /// Sends a message and answers its effects from the world.
    pub fn send(&mut self, msg: Msg) -> bool {
        if let Some(r) = &mut self.recorder {
            r.msg(&msg, &[]);
        }
        let outcome = self.app.update(msg);
        let redraw = outcome.redraw();
        for effect in outcome.effects {
            self.effects.push(effect.clone());
            match effect {
                Effect::Call(call) => {
                    let result = self.world.apply(&call);
                    let obs = Box::new(self.world.observe());
                    self.send(Msg::CallDone(result, Some(obs)));
                }
                Effect::Observe => {
                    let obs = Box::new(self.world.observe());
                    self.send(Msg::Fresh(obs));
                }
                Effect::Quit | Effect::Suspend => {}
            }
        }
        redraw
    }

    pub fn observe(&mut self) {
        let obs = Box::new(self.world.observe());
        self.send(Msg::Observed(obs));
    }

    /// Presses keys: words separated by spaces; `<enter>`, `<esc>`, `<tab>`,
    /// `<up>`, `<down>`, `<bs>` name special keys; other words are typed.
    pub fn keys(&mut self, script: &str) {
        for word in script.split(' ').filter(|w| !w.is_empty()) {
            let code = match word {
                "<enter>" => KeyCode::Enter,
                "<esc>" => KeyCode::Esc,
                "<tab>" => KeyCode::Tab,
                "<up>" => KeyCode::Up,
                "<down>" => KeyCode::Down,
                "<bs>" => KeyCode::Backspace,
                "<pgdn>" => KeyCode::PageDown,
                "<pgup>" => KeyCode::PageUp,
                text => {
                    for c in text.chars() {
                        self.send(Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
                    }
                    continue;
                }
            };
            self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        }
    }

    /// Lets `secs` world seconds pass: observations, ticks and ten modelled
    /// probe requests per world second.
    pub fn pass(&mut self, secs: u64) {
        for _ in 0..secs {
            self.world.advance(self.world.now() + Duration::from_secs(1));
            let elapsed = self.world.now().since(self.world_start);
            for n in 0..10u32 {
                let started = self.start + elapsed - Duration::from_secs(1) + Duration::from_millis(u64::from(n) * 100);
                let outcome = self.model_request();
                self.send(Msg::Sample(Sample {
                    scheduled: started,
                    latency: Duration::from_millis(3),
                    outcome,
                    handshake: None,
                }));
            }
            self.observe();
            self.send(Msg::Tick { world: self.world.now(), real: self.start + elapsed, pace: 1.0 });
        }
    }

    /// Passes time until the observation satisfies `done` (at most an hour).
    pub fn until(&mut self, what: &str, done: impl Fn(&Observation) -> bool) {
        for _ in 0..3600 {
            if done(&self.obs()) {
                return;
            }
            self.pass(1);
        }
        panic!("waited an hour of world time for {what}");
    }

    fn model_request(&mut self) -> Outcome {
        let now = self.world.now();
        let routable: Vec<_> =
            self.world.instances().into_iter().filter(bluegreen::cloud::sim::InstanceView::routable).collect();
        if routable.is_empty() {
            return Outcome::Failed(ErrorKind::Server(503));
        }
        self.turn += 1;
        let v = &routable[self.turn % routable.len()];
        if v.fails_until.is_some_and(|t| t > now) {
            return Outcome::Failed(ErrorKind::Server(503));
        }
        match &v.version {
            Some(version) => Outcome::Served { version: version.clone(), instance: Some(v.id.clone()) },
            None => Outcome::Failed(ErrorKind::NoVersion),
        }
    }

    /// The screen as text, one line per row, plus a hash of every cell's
    /// style. The app is told the size first, as the console tells it.
    pub fn screen(&mut self, width: u16, height: u16) -> String {
        if self.app.size() != Some((width, height)) {
            self.resize(width, height);
        }
        screen_of(&self.app, self.theme, width, height)
    }
}

/// An app's screen as text, one line per row, plus a hash of every cell's style.
pub fn screen_of(app: &App, theme: Theme, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| bluegreen::ui::render(app, theme, f)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for y in 0..height {
        let mut line = String::new();
        for x in 0..width {
            let cell = &buffer[(x, y)];
            line.push_str(cell.symbol());
            for b in format!("{:?}{:?}{:?}", cell.fg, cell.bg, cell.modifier).bytes() {
                hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let _ = writeln!(out, "styles_hash: {hash:016x}");
    out
}

impl Harness {
    /// Sets the terminal's size, as the console does at start and on a resize.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.send(Msg::Resize(width, height));
    }

    /// Reads the open overlay whole at `width`×`height`, as a user would:
    /// screen after screen, pressing PgDn until nothing is hidden below.
    /// Gives its body rows in order (borders and wrapping indents kept), and
    /// leaves it scrolled to the end.
    pub fn read_overlay(&mut self, width: u16, height: u16) -> Vec<String> {
        self.resize(width, height);
        let mut rows: std::collections::BTreeMap<usize, String> = std::collections::BTreeMap::new();
        for _ in 0..100 {
            let shown = self.app.overlay_rows().expect("an overlay is open");
            let screen = self.screen(width, height);
            let lines: Vec<&str> = screen.lines().collect();
            let top = lines
                .iter()
                .position(|l| {
                    l.contains("┌ Plan:") || l.contains("┌ Keys") || l.contains("┌ Instance") || l.contains("┌ Event")
                })
                .expect("the overlay's top border");
            for (i, line) in lines[top + 1..top + 1 + shown.visible].iter().enumerate() {
                let start = line.find('│').expect("left border") + '│'.len_utf8();
                let end = line.rfind('│').expect("right border");
                rows.insert(self.app.overlay_scroll() + i, line[start..end].trim_end().to_string());
            }
            if self.app.overlay_scroll() + shown.visible >= shown.total {
                assert_eq!(rows.len(), shown.total, "every row was seen once");
                return rows.into_values().collect();
            }
            self.keys("<pgdn>");
        }
        panic!("PgDn never reached the end of the overlay");
    }
}

/// Rows of wrapped text joined back: a row ending in `↵` continues the
/// same word; other rows continue after a space.
pub fn unwrap_rows(rows: &[String]) -> String {
    let mut out = String::new();
    for row in rows {
        let text = row.trim_start();
        if out.ends_with('↵') {
            out.pop();
        } else if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(text);
    }
    out
}
