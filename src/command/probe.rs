//! `bluegreen probe URL`: the prober alone, on any URL. On a terminal, a
//! small full-screen view (the traffic panel: mix, the strip of recent
//! requests, latency, the cutover under way, verdicts); with `--plain`, or
//! when stdout is not a terminal, a line per second and per verdict; with
//! `--json`, the same as JSON objects (see [`crate::report::probe`]).

use std::collections::VecDeque;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval};

use super::{Output, runtime};
use crate::domain::At;
use crate::exit::{Failure, SIGINT};
use crate::probe::{self, Sample, Settings, Traffic, Verdict};
use crate::report::probe::{Clock, Summary};
use crate::term::{self, Flow, Redraw};
use crate::ui::TrafficView;
use crate::ui::theme::Theme;

/// What `bluegreen probe` was asked to do.
#[derive(Debug, Clone)]
#[expect(clippy::struct_excessive_bools, reason = "each is a command-line switch")]
pub struct Options {
    pub url: String,
    /// Requests per second.
    pub rate: u32,
    /// Longest a request may take from when it was due.
    pub timeout: Duration,
    /// A new connection for every request.
    pub new_connection: bool,
    /// Stop after this long (else at Ctrl-C).
    pub duration: Option<Duration>,
    /// Exit non-zero when a cutover counted a failed request.
    pub fail_on_errors: bool,
    pub plain: bool,
    pub json: bool,
    /// How to read the version from the page.
    pub page: probe::Patterns,
    /// How HTTPS is checked, and where connections go.
    pub tls: crate::net::tls::TlsOptions,
}

/// Probes until `--duration` has passed, the user quits or a signal ends
/// it; exits 1 under `--fail-on-errors` when a cutover dropped a request.
pub fn probe(opts: &Options) -> Result<(), Failure> {
    probe::check_url(&opts.url)?;
    probe::check_rate(opts.rate)?;
    let reader = opts.page.reader().map_err(Failure::Usage)?;
    let settings = Settings {
        timeout: opts.timeout,
        keep_alive: !opts.new_connection,
        reader,
        stop_after: opts.duration,
        tls: opts.tls.clone(),
        ..Settings::new(opts.url.clone(), opts.rate)
    };
    probe::check_tls(&settings)?;
    let output = Output::choose(opts.plain, opts.json);
    let summary = runtime()?.block_on(async {
        // A certificate problem is one line before the run; a redirect is
        // said once, with where it goes.
        let notes: Vec<String> = match probe::first_request(&settings).await? {
            probe::First::Answered => Vec::new(),
            probe::First::Redirected { status, location } => vec![probe::redirect_words(status, &location)],
        };
        let (tx, samples) = mpsc::channel(4096);
        let clock = Clock::now();
        let prober = probe::start_at(settings.clone(), clock.start, tx);
        let summary = match output {
            Output::Screen => show(&settings, &notes, clock, samples, opts.duration).await,
            Output::Lines | Output::Json => {
                let json = output == Output::Json;
                crate::report::probe::print(&settings, json, clock, samples, &notes, std::io::stdout()).await
            }
        };
        prober.abort();
        summary
    })?;
    summary.judge(opts.fail_on_errors)
}

/// The probe's screen: its own statistics, drawn by the traffic panel.
struct ProbeScreen {
    url: String,
    title: String,
    clock: Clock,
    traffic: Traffic,
    /// Verdicts with their cutover's span, oldest first.
    verdicts: VecDeque<((At, At), Verdict)>,
    now: Instant,
    samples: mpsc::Receiver<Sample>,
    tick: Interval,
    end: Option<Instant>,
    theme: Theme,
}

impl term::Screen for ProbeScreen {
    async fn next(&mut self) -> Result<Flow, Failure> {
        tokio::select! {
            () = term::until(self.end) => Ok(Flow::Quit),
            sample = self.samples.recv() => match sample {
                Some(s) => {
                    self.traffic.record(s);
                    Ok(Flow::Go(Redraw::Lazy))
                }
                None => Ok(Flow::Quit),
            },
            _ = self.tick.tick() => {
                self.now = Instant::now();
                self.traffic.close(self.now);
                for v in self.traffic.take_verdicts() {
                    self.verdicts.push_back((self.clock.span(&v), v));
                    while self.verdicts.len() > probe::stats::KEEP_VERDICTS {
                        self.verdicts.pop_front();
                    }
                }
                Ok(Flow::Go(Redraw::Lazy))
            }
        }
    }

    fn key(&mut self, key: KeyEvent) -> Result<Flow, Failure> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        Ok(match key.code {
            KeyCode::Char('q') | KeyCode::Esc => Flow::Quit,
            KeyCode::Char('c') if ctrl => return Err(Failure::Signal(SIGINT)),
            KeyCode::Char('z') if ctrl => Flow::Suspend,
            _ => Flow::Go(Redraw::No),
        })
    }

    fn resize(&mut self, _: u16, _: u16) -> Result<Flow, Failure> {
        Ok(Flow::Go(Redraw::Now))
    }

    fn draw(&self, frame: &mut Frame) {
        let view = TrafficView { url: &self.url, traffic: &self.traffic, verdicts: &self.verdicts, now: self.now };
        crate::ui::render_probe(&view, &self.title, self.theme, frame);
    }
}

async fn show(
    settings: &Settings,
    notes: &[String],
    clock: Clock,
    samples: mpsc::Receiver<Sample>,
    duration: Option<Duration>,
) -> Result<Summary, Failure> {
    let mut screen = ProbeScreen {
        url: settings.url.clone(),
        title: std::iter::once(settings.describe()).chain(notes.iter().cloned()).collect::<Vec<_>>().join(" · "),
        clock,
        traffic: Traffic::with_timeout(clock.start, settings.timeout),
        verdicts: VecDeque::new(),
        now: clock.start,
        samples,
        tick: tokio::time::interval(Duration::from_millis(250)),
        end: duration.map(|d| clock.start + d),
        theme: Theme::from_env(),
    };
    term::show(&mut screen).await?;
    let verdicts: Vec<&Verdict> = screen.verdicts.iter().map(|(_, v)| v).collect();
    Ok(Summary::of(&screen.traffic, &verdicts))
}
