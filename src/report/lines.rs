//! The console without a screen (`--plain`, or stdout not a terminal): the
//! same session, printed as lines. It prints what the world reports (the
//! demo names its events), what the console does (plan steps and outcomes,
//! notices, problems) and one line per second of traffic, in time order:
//! lines wait a moment so that the traffic second they follow is printed
//! first.

use std::io::Write;
use std::time::Duration;

use tokio::time::Instant;

use super::{Interrupts, Out};
use crate::app::App;
use crate::app::log::Kind;
use crate::cloud::{Cloud, Event};
use crate::domain::At;
use crate::exit::Failure;
use crate::session::Session;

/// How long after a story ends `--plain` keeps watching (so the traffic
/// seconds it spanned are closed and printed: each waits for its slowest
/// request, up to the prober's timeout).
const AFTER_STORY: Duration = Duration::from_secs(4);

/// How much longer `--plain` waits for a cutover under way to settle.
const VERDICT_WAIT: Duration = Duration::from_secs(15);

/// How late a line may be printed so that lines come out in time order: a
/// traffic second is closed once its requests have surely ended (the
/// prober's 2 s timeout and a little after the second ends), and seen on the
/// next tick.
const ORDER_DELAY: Duration = Duration::from_secs(5);

/// What a plain run measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub requests: u64,
    pub failures: u64,
}

/// Lines waiting to come out in time order. A live session and a replay
/// (`replay --plain`) both print through one.
pub(crate) struct Printer<W: Write> {
    out: Out<W>,
    /// Each line's time, its place in arrival, when it was decided, and
    /// its kind and text.
    queue: Vec<(At, u64, At, String)>,
    /// The time of the last line printed: a line decided so late that it
    /// comes out after a later one says when it was decided.
    printed: Option<At>,
    /// The world's time when the lines being taken were decided.
    now: At,
    seq: u64,
    /// Entries of the app's log already taken.
    logged: u64,
    /// The last traffic second taken.
    second: Option<u64>,
}

impl<W: Write> Printer<W> {
    /// A printer that has printed `first` (the run's opening lines).
    pub(crate) fn new(out: W, first: &[(At, String, String)], now: At) -> Result<Self, Failure> {
        let mut out = Out::new(out);
        let first: Vec<String> = first.iter().map(|(at, kind, text)| line(*at, kind, text)).collect();
        out.lines(first.iter().map(String::as_str))?;
        Ok(Printer { out, queue: Vec::new(), printed: None, now, seq: 0, logged: 0, second: None })
    }

    fn push(&mut self, at: At, kind: &str, text: &str) {
        self.queue.push((at, self.seq, self.now, format!("{kind:<8} {text}")));
        self.seq += 1;
    }

    /// Takes what the app and the world (its named `events`) have to say
    /// since the last call.
    pub(crate) fn take(&mut self, app: &App, events: Vec<Event>, names_events: bool) {
        self.now = app.now();
        for e in events {
            self.push(e.at, "world", &e.text);
        }
        let entries: Vec<_> = app.log().pushed_since(self.logged).cloned().collect();
        self.logged = app.log().total();
        for e in entries {
            match e.kind {
                Kind::Console => self.push(e.at, "console", &e.text),
                Kind::Verdict => self.push(e.at, "verdict", &e.text),
                Kind::Why => self.push(e.at, "why", e.text.trim_start()),
                // Without world events (AWS), the log's differences are the events.
                Kind::World if !names_events => self.push(e.at, "event", &e.text),
                Kind::World | Kind::Traffic => {}
            }
        }
        let start = app.traffic().start();
        let last = self.second;
        let seconds: Vec<_> =
            app.traffic().seconds.iter().filter(|s| last.is_none_or(|last| s.index > last)).cloned().collect();
        for s in seconds {
            let at = app.world_at(start + Duration::from_secs(s.index));
            self.push(at, "traffic", &s.to_string());
            self.second = Some(s.index);
        }
    }

    /// Prints the lines older than `until` (all of them with `None`), oldest first.
    pub(crate) fn flush(&mut self, until: Option<At>) -> Result<(), Failure> {
        self.queue.sort_by_key(|(at, seq, ..)| (*at, *seq));
        let n = until.map_or(self.queue.len(), |t| self.queue.iter().take_while(|(at, ..)| *at < t).count());
        let mut lines = Vec::with_capacity(n);
        for (at, _, decided, text) in self.queue.drain(..n) {
            let late = self.printed.is_some_and(|p| at < p);
            let text = if late { format!("{at} {text} (decided {decided})") } else { format!("{at} {text}") };
            self.printed = Some(self.printed.map_or(at, |p| p.max(at)));
            lines.push(text);
        }
        self.out.lines(lines.iter().map(String::as_str))
    }
}

/// Lines of times before this are printed when the app's clock stands at
/// `now` (later ones wait, so that lines come out in time order).
pub(crate) fn until(app: &App, now: Instant) -> At {
    app.world_at(now.checked_sub(ORDER_DELAY).unwrap_or(now))
}

impl<W: Write> Printer<W> {
    /// Prints the run's closing line: requests and failures.
    pub(crate) fn summary(&mut self, app: &App) -> Result<Summary, Failure> {
        let t = app.traffic();
        let summary = Summary { requests: t.total_requests, failures: t.total_failures };
        let text = format!("{} requests, {} failed", summary.requests, summary.failures);
        self.out.line(&line(app.now(), "summary", &text))?;
        Ok(summary)
    }
}

/// One line as `--plain` prints it: time, kind, text.
fn line(at: At, kind: &str, text: &str) -> String {
    format!("{at} {kind:<8} {text}")
}

/// Prints the session's lines until its story has ended (plus a few
/// seconds of traffic), or until interrupted when `hold` is set. `first`
/// are the lines printed before everything else (once signals are
/// watched, so an interrupt that follows them is never missed).
pub async fn print<C: Cloud>(
    session: &mut Session<C>,
    out: impl Write,
    first: &[(At, String, String)],
    hold: bool,
) -> Result<Summary, Failure> {
    let mut interrupts = Interrupts::new()?;
    let mut printer = Printer::new(out, first, session.app().now())?;
    let names_events = session.cloud().names_events();
    let result = loop {
        if let Some(t) = session.story_finished().filter(|_| !hold) {
            // A cutover under way gets its verdict before the end, if it
            // comes soon.
            let judging = session.app().traffic().cutover().is_some() && t.elapsed() < AFTER_STORY + VERDICT_WAIT;
            if t.elapsed() > AFTER_STORY && !judging {
                break Ok(());
            }
        }
        tokio::select! {
            msg = session.next() => match msg {
                Some(msg) => {
                    if let Err(e) = session.send(msg) {
                        break Err(e);
                    }
                }
                None => break Err(Failure::Failed("the world stopped".into())),
            },
            failure = interrupts.recv() => break Err(failure),
        }
        let events = session.take_events();
        printer.take(session.app(), events, names_events);
        if let Err(e) = printer.flush(Some(until(session.app(), Instant::now()))) {
            break Err(e);
        }
    };
    let events = session.take_events();
    printer.take(session.app(), events, names_events);
    printer.flush(None)?;
    result?;
    let summary = printer.summary(session.app())?;
    match session.problems() {
        0 => Ok(summary),
        n => Err(Failure::Failed(format!(
            "the demo's network face failed {n} time(s) (hint: the console lines above say what failed)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printer() -> Printer<Vec<u8>> {
        let now = At::from_secs(9 * 3600);
        Printer { out: Out::new(Vec::new()), queue: Vec::new(), printed: None, now, seq: 0, logged: 0, second: None }
    }

    fn printed(p: &Printer<Vec<u8>>) -> Vec<String> {
        String::from_utf8_lossy(&p.out.inner).lines().map(str::to_string).collect()
    }

    #[test]
    fn lines_come_out_in_time_order_and_a_late_one_says_when_it_was_decided() {
        let mut p = printer();
        let at = |secs: u64| At::from_secs(9 * 3600 + secs);
        p.now = at(12);
        p.push(at(10), "world", "b");
        p.push(at(5), "world", "a");
        p.flush(Some(at(11))).unwrap();
        assert_eq!(printed(&p), ["09:00:05 world    a", "09:00:10 world    b"], "ordered, not in arrival");
        // Decided at 09:00:40 about 09:00:07: after 09:00:10 was printed.
        p.now = at(40);
        p.push(at(7), "verdict", "c");
        p.push(at(30), "world", "d");
        p.flush(None).unwrap();
        assert_eq!(
            printed(&p)[2..],
            ["09:00:07 verdict  c (decided 09:00:40)", "09:00:30 world    d"],
            "only the line that comes out of order says so"
        );
    }
}
