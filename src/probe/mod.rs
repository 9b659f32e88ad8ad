//! The load balancer prober: requests scheduled at a fixed rate whatever
//! the answers' latency (open loop: a slow or hanging target shows up as
//! latency and gaps, never as a lower rate), each measured from the moment
//! it was due, each answer read for which version and instance served it.
//! It only needs a URL, so it measures a real ALB, the demo's load balancer
//! or any web server the same way.
//!
//! - [`page`]: reading the version and instance from an untrusted page.
//! - [`second`]: one second of probing and its mix.
//! - [`stats`]: seconds, shares, latency, errors, gaps in bounded memory.
//! - [`cutover`]: when the served version changes, and the verdict.

pub mod cutover;
pub mod page;
pub mod second;
pub mod stats;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::Request;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::net::Body;
use crate::net::tls::{self, Certificates, Connector, Handshake, TlsOptions};
pub use cutover::Verdict;
pub use page::{Patterns, Reader};
pub use second::Second;
pub use stats::Traffic;

/// Why a request failed; every kind counts as a failed request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum ErrorKind {
    /// The connection was refused (nothing listens).
    Refused,
    /// The connection was reset or closed before a whole answer.
    Reset,
    /// No whole answer within the per-request timeout.
    Timeout,
    /// A 5xx answer.
    Server(u16),
    /// A 4xx (or other non-2xx, non-3xx) answer.
    Client(u16),
    /// A 3xx answer: a redirect, never a version.
    Redirect(u16),
    /// The TLS handshake failed (a certificate, a protocol).
    Tls,
    /// A 2xx page that does not say its version.
    NoVersion,
    /// Anything else (a bad URL, a name that does not resolve).
    Other,
}

impl ErrorKind {
    /// The word tables and lines use: `refused`, `5xx`, …
    pub fn word(&self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Reset => "reset",
            Self::Timeout => "timeout",
            Self::Server(_) => "5xx",
            Self::Client(_) => "4xx",
            Self::Redirect(_) => "redirect",
            Self::Tls => "tls",
            Self::NoVersion => "no version",
            Self::Other => "other",
        }
    }
}

/// Failed requests counted by the kinds' words (`5xx` gathers every 5xx).
pub fn by_word<'a>(
    kinds: impl IntoIterator<Item = (&'a ErrorKind, u64)>,
) -> std::collections::BTreeMap<&'static str, u64> {
    let mut words = std::collections::BTreeMap::new();
    for (k, n) in kinds {
        *words.entry(k.word()).or_default() += n;
    }
    words
}

/// `2 5xx, 1 refused`.
pub fn error_words<'a>(kinds: impl IntoIterator<Item = (&'a ErrorKind, u64)>) -> String {
    by_word(kinds).iter().map(|(w, n)| format!("{n} {w}")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Server(s) | Self::Client(s) | Self::Redirect(s) => write!(f, "HTTP {s}"),
            other => f.write_str(other.word()),
        }
    }
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    /// A 2xx page naming its version.
    Served {
        version: String,
        instance: Option<String>,
    },
    Failed(ErrorKind),
}

impl Outcome {
    pub fn failed(&self) -> bool {
        matches!(self, Self::Failed(_))
    }
}

/// One request's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// When the request was due (the schedule, not when it left).
    pub scheduled: Instant,
    /// From when it was due to its answer (or its failure); from when it
    /// left, if the scheduler released it early (see [`EARLY`]).
    pub latency: Duration,
    pub outcome: Outcome,
    /// The TLS handshake this request paid for (the first on a new
    /// connection), if any.
    pub handshake: Option<Duration>,
}

/// How to probe.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: String,
    /// Requests per second.
    pub rate: u32,
    /// Longest a request may take from when it was due.
    pub timeout: Duration,
    /// Requests in flight at most; a request waits for a free slot (and
    /// that wait is part of its latency).
    pub concurrency: usize,
    /// Reuse connections (as browsers do); `false` opens one per request.
    pub keep_alive: bool,
    pub reader: Reader,
    /// Schedule no request after this long (the samples channel closes
    /// once the last one has answered); `None` runs until dropped.
    pub stop_after: Option<Duration>,
    /// Answers are gathered and handed over at most this often, by the
    /// scheduler when it wakes anyway (zero: each as it comes). A screen
    /// that draws a few times a second at rest wakes less for them.
    pub gather: Duration,
    /// How HTTPS is checked, and where connections go.
    pub tls: TlsOptions,
    /// The server's certificate as the connections see it.
    pub certificates: Arc<Certificates>,
}

impl Settings {
    /// `http://… at 10/s, timeout 2000ms`: what is probed and how, as the
    /// probe's screen and lines say it.
    pub fn describe(&self) -> String {
        format!(
            "{} at {}/s, timeout {}{}{}",
            self.url,
            self.rate,
            crate::domain::millis(self.timeout),
            if self.keep_alive { "" } else { ", a new connection per request" },
            self.tls.describe()
        )
    }

    /// The console's defaults for `url` at `rate`.
    pub fn new(url: String, rate: u32) -> Self {
        Self {
            url,
            rate,
            timeout: Duration::from_secs(2),
            concurrency: 256,
            keep_alive: true,
            reader: Reader::default(),
            stop_after: None,
            gather: Duration::ZERO,
            tls: TlsOptions::default(),
            certificates: Arc::default(),
        }
    }
}

/// The highest `--rate`: what one core sustains with room to spare (see
/// the README's performance figures).
pub const MAX_RATE: u32 = 1000;

/// Checks a URL the prober can use: `http[s]://host[:port][/path]`.
pub fn check_url(url: &str) -> Result<(), crate::exit::Failure> {
    let bad = |why: &str| {
        crate::exit::Failure::Usage(format!(
            "'{}' {why} (hint: bluegreen probe http://my-alb-123.us-east-1.elb.amazonaws.com/)",
            crate::domain::clean(url, 80)
        ))
    };
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else {
        return Err(bad("is not an http:// or https:// URL"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.parse::<hyper::Uri>().is_err() {
        return Err(bad("is not a valid URL"));
    }
    Ok(())
}

/// Checks the TLS options: `--connect-to`, and that the trusted
/// certificates load (a bad `--ca-file` is one line).
pub fn check_tls(settings: &Settings) -> Result<(), crate::exit::Failure> {
    if let Some(to) = &settings.tls.connect_to {
        tls::check_connect_to(to).map_err(crate::exit::Failure::Usage)?;
    }
    if settings.url.starts_with("https://") || settings.tls.ca_file.is_some() {
        tls::client_config(&settings.tls).map_err(crate::exit::Failure::Usage)?;
    }
    Ok(())
}

/// What a redirect at the first request means for the run.
pub fn redirect_words(status: u16, location: &str) -> String {
    let hint = if location.starts_with("https://") {
        format!("probe {location} to count versions")
    } else {
        "probe the address it names to count versions".to_string()
    };
    format!(
        "the URL answers {status} → {location}: every such answer counts as a redirect, never a version (hint: {hint})"
    )
}

/// Checks a `--rate`.
pub fn check_rate(rate: u32) -> Result<(), crate::exit::Failure> {
    if (1..=MAX_RATE).contains(&rate) {
        return Ok(());
    }
    Err(crate::exit::Failure::Usage(format!(
        "--rate {rate} is out of range (hint: from 1 to {MAX_RATE} requests per second)"
    )))
}

/// How much before its due time the scheduler wakes for a request. The
/// runtime's timer fires on whole milliseconds, rounded up, and its wake-up
/// is up to another millisecond late: waking this much early and measuring
/// from whichever comes first, leaving or being due, keeps the prober's own
/// clock tick out of the latency, while a request that leaves late (a busy
/// machine, no free slot, a hanging target) still counts from when it was
/// due.
pub const EARLY: Duration = Duration::from_millis(2);

/// Sends requests on the schedule from `first` until the receiver is
/// dropped (give statistics the same instant as their start, so each
/// second holds exactly `rate` requests).
pub fn start_at(settings: Settings, first: Instant, samples: mpsc::Sender<Sample>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let connector =
            Connector::new(&settings.tls, settings.certificates.clone(), settings.url.starts_with("https://"))
                .unwrap_or_else(|_| Connector::plain());
        let http = tls::client(connector, settings.keep_alive);
        let period = Duration::from_secs(1) / settings.rate.max(1);
        let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        let gathered: Option<Gathered> = (!settings.gather.is_zero()).then(Gathered::default);
        let mut handed = first;
        let settings = Arc::new(settings);
        let mut due = first;
        let stop = settings.stop_after.map(|d| due + d);
        loop {
            tokio::time::sleep_until(due.checked_sub(EARLY).unwrap_or(due)).await;
            if let Some(g) = &gathered
                && handed.elapsed() >= settings.gather
            {
                handed = Instant::now();
                if !hand_over(g, &samples) {
                    return;
                }
            }
            if samples.is_closed() {
                return;
            }
            if stop.is_some_and(|s| due >= s) {
                break;
            }
            // Stopped for a while (Ctrl-Z, a stalled machine): the requests
            // that were due then were never sent; go on from now rather
            // than fire them all at once.
            let now = Instant::now();
            if now.saturating_duration_since(due) > Duration::from_secs(1) {
                due = now;
            }
            let this = due;
            let left = now.min(this);
            due += period;
            let (http, settings, slots) = (http.clone(), settings.clone(), slots.clone());
            let delivery = match &gathered {
                Some(g) => Delivery::Gathered(g.clone()),
                None => Delivery::Each(samples.clone()),
            };
            tokio::spawn(async move {
                let due = this;
                let deadline = due + settings.timeout;
                let (outcome, handshake) = match tokio::time::timeout_at(deadline, slots.acquire_owned()).await {
                    Ok(Ok(_slot)) => match tokio::time::timeout_at(deadline, fetch(&http, &settings)).await {
                        Ok(answer) => answer,
                        Err(_) => (Outcome::Failed(ErrorKind::Timeout), None),
                    },
                    _ => (Outcome::Failed(ErrorKind::Timeout), None),
                };
                let latency = Instant::now().saturating_duration_since(left).min(settings.timeout);
                let sample = Sample { scheduled: due, latency, outcome, handshake };
                match delivery {
                    Delivery::Each(samples) => {
                        let _ = samples.send(sample).await;
                    }
                    Delivery::Gathered(g) => g.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(sample),
                }
            });
        }
        // Stopped: hand over what the requests still in flight answer, then
        // close the channel.
        if let Some(g) = gathered {
            while Arc::strong_count(&g) > 1 || !g.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_empty() {
                tokio::time::sleep(settings.gather).await;
                if !hand_over(&g, &samples) {
                    return;
                }
            }
        }
    })
}

/// Answers gathered for the scheduler to hand over.
type Gathered = Arc<std::sync::Mutex<Vec<Sample>>>;

/// How a request's answer reaches the receiver.
enum Delivery {
    /// At once.
    Each(mpsc::Sender<Sample>),
    /// Gathered, for the scheduler to hand over.
    Gathered(Gathered),
}

/// Hands what was gathered to the receiver without waiting (the schedule
/// must not); what does not fit waits for the next time, in order. `false`
/// when the receiver is gone.
fn hand_over(gathered: &std::sync::Mutex<Vec<Sample>>, samples: &mpsc::Sender<Sample>) -> bool {
    let lock = || gathered.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut rest = std::mem::take(&mut *lock()).into_iter();
    while let Some(sample) = rest.next() {
        match samples.try_send(sample) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(sample)) => {
                let mut pending = lock();
                let later = std::mem::take(&mut *pending);
                pending.push(sample);
                pending.extend(rest);
                pending.extend(later);
                return true;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return false,
        }
    }
    true
}

/// One request: how it ended, and the handshake it paid for.
async fn fetch(http: &tls::Client, settings: &Settings) -> (Outcome, Option<Duration>) {
    let Ok(req) = Request::get(&settings.url).header("user-agent", "bluegreen-probe").body(Body::default()) else {
        return (Outcome::Failed(ErrorKind::Other), None);
    };
    let resp = match http.request(req).await {
        Ok(r) => r,
        Err(e) => return (Outcome::Failed(classify(&e)), None),
    };
    let handshake = resp.extensions().get::<Handshake>().and_then(Handshake::claim);
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = match resp.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return (Outcome::Failed(ErrorKind::Reset), handshake),
    };
    let failed = |kind| (Outcome::Failed(kind), handshake);
    if status.is_server_error() {
        return failed(ErrorKind::Server(status.as_u16()));
    }
    if status.is_redirection() {
        return failed(ErrorKind::Redirect(status.as_u16()));
    }
    if !status.is_success() {
        return failed(ErrorKind::Client(status.as_u16()));
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(page::MAX_BODY)]);
    match settings.reader.read(&headers, &text) {
        (Some(version), instance) => (Outcome::Served { version, instance }, handshake),
        (None, _) => failed(ErrorKind::NoVersion),
    }
}

/// What the first request finds, before a run: a certificate problem is
/// one line with the way out; a redirect is said with where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum First {
    /// An answer (or a failure the run will count): go on.
    Answered,
    /// A 3xx to this location (cleaned).
    Redirected { status: u16, location: String },
}

/// Sends one request as the run will, and tells a certificate problem
/// before anything is counted.
pub async fn first_request(settings: &Settings) -> Result<First, crate::exit::Failure> {
    let https = settings.url.starts_with("https://");
    let connector = Connector::new(&settings.tls, Arc::default(), https).map_err(crate::exit::Failure::Usage)?;
    let http = tls::client(connector, false);
    let req = Request::get(&settings.url)
        .header("user-agent", "bluegreen-probe")
        .body(Body::default())
        .map_err(|e| crate::exit::Failure::Usage(format!("a bad URL: {e}")))?;
    let resp = match tokio::time::timeout(settings.timeout.max(Duration::from_secs(2)), http.request(req)).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => {
            let host = settings.url.parse::<hyper::Uri>().ok().and_then(|u| u.host().map(str::to_string));
            return match tls::certificate_problem(&e, host.as_deref().unwrap_or("the server")) {
                Some(line) => Err(crate::exit::Failure::Usage(line)),
                None => Ok(First::Answered),
            };
        }
        Err(_) => return Ok(First::Answered),
    };
    if resp.status().is_redirection() {
        let location = resp.headers().get(hyper::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let location = crate::domain::clean(location, 120);
        return Ok(First::Redirected { status: resp.status().as_u16(), location });
    }
    Ok(First::Answered)
}

/// Refused, reset, or something else, from the error's chain of causes.
fn classify(e: &(dyn std::error::Error + 'static)) -> ErrorKind {
    if tls::rustls_error(e).is_some() {
        return ErrorKind::Tls;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => ErrorKind::Refused,
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof => ErrorKind::Reset,
                std::io::ErrorKind::TimedOut => ErrorKind::Timeout,
                _ => ErrorKind::Other,
            };
        }
        if let Some(h) = c.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_closed() || h.is_canceled())
        {
            return ErrorKind::Reset;
        }
        cause = c.source();
    }
    ErrorKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("http://127.0.0.1:8080/").is_ok());
        assert!(check_url("http://my-alb-1.us-east-1.elb.amazonaws.com").is_ok());
        assert!(check_url("https://shop.example.com/").is_ok());
        for bad in ["example.com", "http://", "http:///x", "https://", "ftp://x/"] {
            let e = check_url(bad).unwrap_err();
            assert_eq!(e.code(), 2, "{bad}");
            assert!(e.line().is_some_and(|l| l.contains("hint")), "{bad}");
        }
    }

    #[test]
    fn the_screen_and_the_lines_describe_a_run_in_the_same_words() {
        let s = Settings::new("http://lb/".into(), 20);
        assert_eq!(s.describe(), "http://lb/ at 20/s, timeout 2000ms");
        let fresh = Settings { keep_alive: false, ..s };
        assert_eq!(fresh.describe(), "http://lb/ at 20/s, timeout 2000ms, a new connection per request");
    }
}
