//! The prober against local servers that misbehave in each way a load
//! balancer can: slow, hanging, refusing, resetting, 500, a page without a
//! version, escapes in the page, and a switch from v1 to v2 with and
//! without an outage between. Then `bluegreen probe` as a user runs it.

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bluegreen::probe::{self, ErrorKind, Outcome, Settings, Traffic, Verdict};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What the test server answers with, changed while it runs.
#[derive(Debug, Clone)]
enum Answer {
    /// The tutorial's page for `version`, after `delay`.
    Page { version: &'static str, delay: Duration },
    /// A status with a short body.
    Status(u16),
    /// A 200 with this body.
    Body(String),
    /// Reads the request and never answers.
    Hang,
    /// Closes the connection without a word (reset).
    Reset,
    /// A 301 to this location.
    Redirect(&'static str),
}

pub(crate) struct Server {
    pub(crate) url: String,
    answer: Arc<Mutex<Answer>>,
    /// Requests answered with a 5xx.
    failed: Arc<AtomicU64>,
    /// Requests read, whatever their answer.
    served: Arc<AtomicU64>,
    /// Each request's `Host` header.
    hosts: Arc<Mutex<Vec<String>>>,
}

impl Server {
    async fn start(answer: Answer) -> Self {
        Self::start_with(answer, None).await
    }

    /// Serving HTTPS with this configuration when given (the URL's host
    /// is 127.0.0.1 all the same).
    async fn start_with(answer: Answer, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}/", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(answer));
        let failed = Arc::new(AtomicU64::new(0));
        let served = Arc::new(AtomicU64::new(0));
        let hosts = Arc::new(Mutex::new(Vec::new()));
        let (a, f, n, h) = (answer.clone(), failed.clone(), served.clone(), hosts.clone());
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (a, f, n, h) = (a.clone(), f.clone(), n.clone(), h.clone());
                match acceptor.clone() {
                    None => drop(tokio::spawn(serve(stream, a, f, n, h))),
                    Some(acceptor) => drop(tokio::spawn(async move {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            serve(stream, a, f, n, h).await;
                        }
                    })),
                }
            }
        });
        Self { url, answer, failed, served, hosts }
    }

    fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    /// Switches answers as requests arrive, not by the clock (a loaded
    /// machine may start the binary late): from the 30th request on
    /// `status`, from the 40th the page of v2.
    fn switch_after_30(&self, status: u16) -> std::thread::JoinHandle<()> {
        let (answer, requests) = (self.answer.clone(), self.served.clone());
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            let at = |n: u64| {
                while requests.load(Ordering::SeqCst) < n && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            };
            at(30);
            *answer.lock().unwrap() = Answer::Status(status);
            at(40);
            *answer.lock().unwrap() = Answer::Page { version: "v2", delay: Duration::ZERO };
        })
    }
}

/// A connection that can be reset.
trait Resettable: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin {
    fn tcp(&self) -> &TcpStream;
}

impl Resettable for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Resettable for tokio_rustls::server::TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

/// HTTP/1.1 with keep-alive, by hand: each request's answer is decided
/// when it arrives.
async fn serve(
    mut stream: impl Resettable,
    answer: Arc<Mutex<Answer>>,
    failed: Arc<AtomicU64>,
    served: Arc<AtomicU64>,
    hosts: Arc<Mutex<Vec<String>>>,
) {
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        if let Some(host) = head.lines().find_map(|l| l.strip_prefix("host:")) {
            hosts.lock().unwrap().push(host.trim().to_string());
        }
        buf.drain(..end);
        served.fetch_add(1, Ordering::SeqCst);
        let now = answer.lock().unwrap().clone();
        let mut location = String::new();
        let (status, body) = match now {
            Answer::Page { version, delay } => {
                tokio::time::sleep(delay).await;
                let n = version.trim_start_matches('v');
                (200, format!("<h1>application version: {n}</h1><h1>instance-id: i-0{n}{n}{n}</h1>"))
            }
            Answer::Status(s) => {
                if s >= 500 {
                    failed.fetch_add(1, Ordering::SeqCst);
                }
                (s, "no".to_string())
            }
            Answer::Body(b) => (200, b),
            Answer::Hang => {
                std::future::pending::<()>().await;
                unreachable!()
            }
            Answer::Reset => {
                // A zero linger turns the close into a reset; with nothing
                // left to send, the drop does not block.
                #[expect(deprecated, reason = "the only way tokio offers to send a reset")]
                let _ = stream.tcp().set_linger(Some(Duration::ZERO));
                return;
            }
            Answer::Redirect(to) => {
                location = format!("location: {to}\r\n");
                (301, "moved".to_string())
            }
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n{location}content-type: text/html\r\n\r\n",
            body.len()
        );
        if stream.write_all(format!("{head}{body}").as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Probes `url` for `secs` seconds at `rate`, giving the statistics once
/// every request has ended.
async fn probe_for(settings: Settings, secs: u64) -> Traffic {
    let timeout = settings.timeout;
    let (tx, mut rx) = mpsc::channel(8192);
    let settings = Settings { stop_after: Some(Duration::from_secs(secs)), ..settings };
    let start = Instant::now();
    let prober = probe::start_at(settings, start, tx);
    let mut traffic = Traffic::with_timeout(start, timeout);
    while let Some(s) = rx.recv().await {
        traffic.record(s);
    }
    prober.await.unwrap();
    traffic.close(Instant::now() + timeout + Duration::from_secs(2));
    traffic
}

fn settings(url: &str, rate: u32) -> Settings {
    Settings::new(url.to_string(), rate)
}

fn kinds(t: &Traffic) -> Vec<(ErrorKind, u64)> {
    t.errors.iter().map(|(k, n)| (k.clone(), *n)).collect()
}

#[tokio::test]
async fn a_slow_target_shows_as_latency_not_as_a_lower_rate() {
    let server = Server::start(Answer::Page { version: "v1", delay: Duration::from_millis(400) }).await;
    let t = probe_for(settings(&server.url, 20), 3).await;
    assert_eq!(t.total_requests, 60, "open loop: 20 a second whatever the latency");
    assert!(t.seconds.iter().all(|s| s.requests == 20), "{:?}", t.seconds);
    assert_eq!(t.total_failures, 0);
    let p50 = t.latency(0.5).unwrap();
    assert!(p50 >= Duration::from_millis(400) && p50 < Duration::from_millis(900), "p50 {p50:?}");
}

#[tokio::test]
async fn gathered_answers_come_in_batches_none_lost_and_the_channel_closes_after_the_last() {
    let server = Server::start(Answer::Page { version: "v1", delay: Duration::from_millis(30) }).await;
    // A channel smaller than a batch: what does not fit waits, in order.
    let (tx, mut rx) = mpsc::channel(3);
    let start = Instant::now();
    let gather = Duration::from_millis(250);
    let s = Settings { stop_after: Some(Duration::from_secs(2)), gather, ..settings(&server.url, 20) };
    let prober = probe::start_at(s, start, tx);
    let mut arrivals = Vec::new();
    let mut due = Vec::new();
    while let Some(s) = rx.recv().await {
        arrivals.push(Instant::now());
        due.push(s.scheduled);
    }
    prober.await.unwrap();
    assert_eq!(due.len(), 40, "every request of two seconds at 20/s, the last ones after the schedule ended");
    due.dedup();
    assert_eq!(due.len(), 40, "none twice");
    // Twenty answers a second come in a few batches (at most three each
    // here), not forty wakes.
    let mut batches = 1;
    for pair in arrivals.windows(2) {
        if pair[1].duration_since(pair[0]) > Duration::from_millis(60) {
            batches += 1;
        }
    }
    assert!((6..=17).contains(&batches), "{batches} batches for two seconds gathered every 250 ms");
}

#[tokio::test]
async fn requests_the_prober_itself_sends_late_count_from_when_they_were_due() {
    let server = Server::start(Answer::Page { version: "v1", delay: Duration::ZERO }).await;
    let (tx, mut rx) = mpsc::channel(1024);
    let start = Instant::now();
    let s = Settings { stop_after: Some(Duration::from_secs(2)), ..settings(&server.url, 20) };
    let prober = probe::start_at(s, start, tx);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The whole runtime stalls (a busy machine): nothing leaves meanwhile.
    let stalled = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    let resumed = Instant::now();
    let mut late = Vec::new();
    while let Some(s) = rx.recv().await {
        if s.scheduled > stalled + Duration::from_millis(5) && s.scheduled + Duration::from_millis(10) < resumed {
            late.push(s);
        }
    }
    prober.await.unwrap();
    assert!(late.len() >= 4, "requests fell due during the stall: {late:?}");
    for s in &late {
        let waited = resumed.duration_since(s.scheduled);
        assert!(s.latency >= waited, "due {:?} before the stall ended, measured {:?}", waited, s.latency);
        assert!(!s.outcome.failed(), "{s:?}");
    }
}

#[tokio::test]
async fn a_hanging_target_times_out_every_request_on_schedule() {
    let server = Server::start(Answer::Hang).await;
    let s = Settings { timeout: Duration::from_millis(300), ..settings(&server.url, 20) };
    let t = probe_for(s, 2).await;
    assert_eq!((t.total_requests, t.total_failures), (40, 40));
    assert_eq!(kinds(&t), [(ErrorKind::Timeout, 40)]);
    let worst = t.latency(1.0).unwrap().as_millis();
    assert!((300..=303).contains(&worst), "measured to the timeout (to two figures): {worst} ms");
}

#[tokio::test]
async fn refused_reset_500_and_pages_without_a_version_are_failed_requests_by_kind() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let reset = Server::start(Answer::Reset).await;
    let five = Server::start(Answer::Status(500)).await;
    let four = Server::start(Answer::Status(404)).await;
    let blank = Server::start(Answer::Body("<h1>It works!</h1>".into())).await;
    for (url, kind) in [
        (refused, ErrorKind::Refused),
        (reset.url.clone(), ErrorKind::Reset),
        (five.url.clone(), ErrorKind::Server(500)),
        (four.url.clone(), ErrorKind::Client(404)),
        (blank.url.clone(), ErrorKind::NoVersion),
    ] {
        let t = probe_for(settings(&url, 20), 1).await;
        assert_eq!(kinds(&t), [(kind.clone(), 20)], "{url}");
        assert_eq!(t.total_failures, 20, "every kind counts as a failed request: {kind:?}");
        assert_eq!(t.seconds[0].mix_words(), "failed 100%", "{kind:?}");
    }
}

#[tokio::test]
async fn a_new_connection_per_request_sees_a_reset_too() {
    let reset = Server::start(Answer::Reset).await;
    let s = Settings { keep_alive: false, ..settings(&reset.url, 10) };
    let t = probe_for(s, 1).await;
    assert_eq!(kinds(&t), [(ErrorKind::Reset, 10)]);
}

#[tokio::test]
async fn escapes_in_the_page_never_reach_the_samples() {
    let server = Server::start(Answer::Body(
        "<h1>application version: 2\u{1b}[2J\u{7}</h1><h1>instance-id: i-0\u{1b}]0;owned\u{7}</h1>".into(),
    ))
    .await;
    let t = probe_for(settings(&server.url, 10), 1).await;
    for s in &t.recent {
        let Outcome::Served { version, instance } = &s.outcome else { panic!("{s:?}") };
        assert!(!version.chars().chain(instance.iter().flat_map(|i| i.chars())).any(char::is_control), "{s:?}");
    }
}

/// Probes at 20 a second while `switch` changes the server, gives the
/// verdicts.
async fn cutover(server: &Server, secs: u64, switch: impl std::future::Future<Output = ()>) -> (Traffic, Vec<Verdict>) {
    let (mut t, ()) = tokio::join!(probe_for(settings(&server.url, 20), secs), switch);
    let verdicts = t.take_verdicts();
    (t, verdicts)
}

#[tokio::test]
async fn a_clean_switch_gets_a_verdict_of_zero_failed_and_a_gap_of_one_interval() {
    let server = Server::start(Answer::Page { version: "v1", delay: Duration::ZERO }).await;
    let (t, verdicts) = cutover(&server, 7, async {
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        server.set(Answer::Page { version: "v2", delay: Duration::ZERO });
    })
    .await;
    assert_eq!(verdicts.len(), 1, "{verdicts:#?}");
    let v = &verdicts[0];
    assert_eq!((v.from.as_deref(), v.to.as_str()), (Some("v1"), "v2"));
    assert_eq!(v.failures(), 0);
    // Requests are 50 ms apart: the longest gap between successes is one
    // interval, give or take scheduling jitter.
    assert!(v.longest_gap <= Duration::from_millis(60), "{v}");
    assert!(t.longest_gap(Instant::now()) <= Duration::from_millis(60));
    assert!(v.to_string().starts_with("cutover v1 → v2: 0 failed of "), "{v}");
}

#[tokio::test]
async fn an_outage_between_versions_is_counted_exactly_and_its_gap_measured() {
    let server = Server::start(Answer::Page { version: "v1", delay: Duration::ZERO }).await;
    let (t, verdicts) = cutover(&server, 8, async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        server.set(Answer::Status(503));
        tokio::time::sleep(Duration::from_secs(1)).await;
        server.set(Answer::Page { version: "v2", delay: Duration::ZERO });
    })
    .await;
    let served_503 = server.failed.load(Ordering::SeqCst);
    assert!((15..=25).contains(&served_503), "a second of 503s at 20/s: {served_503}");
    assert_eq!(verdicts.len(), 1, "{verdicts:#?}");
    let v = &verdicts[0];
    assert_eq!(v.failures(), served_503, "every 503 the server sent, and nothing else: {v}");
    assert_eq!(v.failed.get(&ErrorKind::Server(503)), Some(&served_503));
    assert_eq!(t.total_failures, served_503);
    // The gap is the outage, to within one request interval.
    let gap = v.longest_gap.as_millis();
    let outage = u128::from(served_503) * 50;
    assert!(gap.abs_diff(outage + 50) <= 60, "gap {gap} ms for {served_503} failed requests");
    assert!(v.to_string().contains(&format!("{served_503} failed ({served_503} 5xx)")), "{v}");
}

/// Runs the built binary's `probe` command.
fn bluegreen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bluegreen")).arg("probe").args(args).output().expect("the binary runs")
}

#[test]
fn probe_json_lines_follow_the_schema_and_fail_on_errors_sets_the_exit_code() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(Server::start(Answer::Page { version: "v1", delay: Duration::ZERO }));
    // v1 for 30 requests, then 502 for 10, then v2.
    let switch = server.switch_after_30(502);
    let out = bluegreen(&[&server.url, "--rate", "20", "--duration", "5s", "--json", "--fail-on-errors"]);
    switch.join().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("failed") && stderr.contains("hint"), "{stderr}");
    let objects: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert!(objects.iter().all(|o| o["schema_version"] == 1), "{stdout}");
    let of = |ty: &str| objects.iter().filter(|o| o["type"] == ty).collect::<Vec<_>>();
    let seconds = of("second");
    assert_eq!(seconds.len(), 5, "{stdout}");
    assert!(seconds.iter().all(|s| s["requests"] == 20 && s["time"].as_str().is_some_and(|t| t.ends_with('Z'))));
    let verdicts = of("verdict");
    assert_eq!(verdicts.len(), 1, "{stdout}");
    let v = verdicts[0];
    let failed = server.failed.load(Ordering::SeqCst);
    assert_eq!((v["from"].as_str(), v["to"].as_str()), (Some("v1"), Some("v2")));
    assert_eq!(v["failed"].as_u64(), Some(failed));
    assert_eq!(v["errors"]["5xx"].as_u64(), Some(failed));
    // Its span: within the run, in order, the settled end before the verdict's time.
    let time = |key: &str| v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}")).to_string();
    let (first, last) = (seconds[0]["time"].as_str().unwrap(), seconds[4]["time"].as_str().unwrap());
    assert!(first <= time("started").as_str() && time("started") < time("settled"), "{v}");
    assert!(time("settled") <= time("time") && time("settled").as_str() <= last, "{v}");
    let summary = of("summary");
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0]["requests"], 100);
    assert_eq!(summary[0]["cutover_failed"].as_u64(), Some(failed));
    assert_eq!(objects.last().unwrap()["type"], "summary", "the summary comes last");
}

#[test]
fn probe_plain_prints_a_line_per_second_without_control_characters() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(Server::start(Answer::Body(
        "<h1>application version: 3\u{1b}[31m</h1><h1>instance-id: i-0\u{1b}[0m</h1>".into(),
    )));
    let out = bluegreen(&[&server.url, "--duration", "2s", "--fail-on-errors"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "nothing failed: {stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].contains(&format!(" probe    {} at 10/s, timeout 2000ms", server.url)), "{stdout}");
    assert_eq!(lines.iter().filter(|l| l.contains(" traffic  10 req  0 failed  3[31m 100%")).count(), 2, "{stdout}");
    assert!(lines.last().unwrap().contains(" summary  20 requests, 0 failed, 0 verdict(s)"), "{stdout}");
    assert!(!stdout.chars().any(|c| c.is_control() && c != '\n'), "{stdout:?}");
}

#[test]
fn probe_refuses_bad_input_with_one_line_and_a_hint() {
    for args in [
        &["https://"][..],
        &["example.com"],
        &["https://127.0.0.1:1/", "--connect-to", "no-port"],
        &["https://127.0.0.1:1/", "--ca-file", "/nonexistent.pem"],
        &["http://127.0.0.1:1/", "--rate", "0"],
        &["http://127.0.0.1:1/", "--rate", "5000"],
        &["http://127.0.0.1:1/", "--version-regex", "(unclosed"],
        &["http://127.0.0.1:1/", "--version-regex", "no group"],
        &["http://127.0.0.1:1/", "--version-header", "bad header"],
    ] {
        let out = bluegreen(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("hint"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "nothing probed: {args:?}");
    }
}

#[test]
fn the_probe_screen_shows_the_mix_and_a_verdict_and_gives_the_terminal_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(Server::start(Answer::Page { version: "v1", delay: Duration::ZERO }));
    let mut screen = crate::pty::Pty::start(&["probe", &server.url, "--rate", "50"], 90, 24);
    screen.wait_for("the mix", |t| t.contains("v1  ") && t.contains("100%") && t.contains("50 req/s"));
    server.set(Answer::Page { version: "v2", delay: Duration::ZERO });
    let text = screen.wait_for("the verdict", |t| t.contains("v1 → v2: 0 failed of "));
    assert!(text.contains("bluegreen probe") && text.contains("q quit"), "{text}");
    screen.press("q");
    assert_eq!(screen.exit_code(), 0);
    screen.given_back().unwrap();
}

/// HTTPS: a throwaway certificate authority made by the test, servers with
/// good, expired and wrong-name certificates, and the binary against them.
mod https {
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use super::{Answer, Server, bluegreen};

    /// A certificate authority and its certificate in a PEM file.
    struct Ca {
        issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
        pem: PathBuf,
    }

    fn ca(name: &str) -> Ca {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, format!("test CA {name}"));
        let issuer = rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap();
        let pem = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("ca-{name}.pem"));
        std::fs::write(&pem, issuer.pem()).unwrap();
        Ca { issuer, pem }
    }

    /// A server certificate for `names`, expired when asked.
    fn leaf(ca: &Ca, names: &[&str], expired: bool) -> Arc<rustls::ServerConfig> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let cert = params.signed_by(&key, &ca.issuer).unwrap();
        bluegreen::net::tls::server_config(vec![cert.der().clone()], key.serialize_der()).unwrap()
    }

    fn page(version: &'static str) -> Answer {
        Answer::Page { version, delay: Duration::ZERO }
    }

    fn text(out: &[u8]) -> String {
        String::from_utf8_lossy(out).into_owned()
    }

    #[test]
    fn with_the_ca_file_a_cutover_over_https_counts_exactly_the_failures_sent() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ca = ca("cutover");
        let server = rt.block_on(Server::start_with(page("v1"), Some(leaf(&ca, &["127.0.0.1"], false))));
        let switch = server.switch_after_30(503);
        let pem = ca.pem.to_str().unwrap();
        let out = bluegreen(&[&server.url, "--ca-file", pem, "--rate", "20", "--duration", "5s", "--json"]);
        switch.join().unwrap();
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        let objects: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let of = |ty: &str| objects.iter().filter(|o| o["type"] == ty).cloned().collect::<Vec<_>>();
        let verdicts = of("verdict");
        assert_eq!(verdicts.len(), 1, "{stdout}");
        let failed = server.failed.load(Ordering::SeqCst);
        assert!(failed > 0);
        assert_eq!(verdicts[0]["failed"].as_u64(), Some(failed), "every 503 sent, no more: {stdout}");
        assert_eq!(verdicts[0]["certificates_verified"], true);
        let summary = &of("summary")[0];
        // Keep-alive: one connection serves the run (a few when requests overlap).
        let handshakes = summary["handshakes"].as_u64().unwrap();
        assert!((1..=10).contains(&handshakes), "{handshakes} handshakes for 100 requests: {stdout}");
        let seconds: u64 = of("second").iter().map(|s| s["handshakes"].as_u64().unwrap()).sum();
        assert_eq!(seconds, handshakes, "each handshake counted in its second");
    }

    #[test]
    fn a_new_connection_per_request_is_a_handshake_per_request() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ca = ca("fresh");
        let server = rt.block_on(Server::start_with(page("v1"), Some(leaf(&ca, &["127.0.0.1"], false))));
        let pem = ca.pem.to_str().unwrap();
        let out = bluegreen(&[&server.url, "--ca-file", pem, "--new-connection", "--duration", "2s", "--plain"]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        let seconds: Vec<&str> = stdout.lines().filter(|l| l.contains(" traffic ")).collect();
        assert_eq!(seconds.len(), 2, "{stdout}");
        for s in seconds {
            assert!(s.contains("  10 TLS handshakes, slowest "), "each request paid its own: {s}");
        }
    }

    #[test]
    fn certificate_problems_are_one_line_with_the_way_out_and_nothing_is_probed() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ca = ca("problems");
        let pem = ca.pem.to_str().unwrap().to_string();
        let cases: [(&str, Arc<rustls::ServerConfig>, bool, &str, &str); 3] = [
            (
                "untrusted",
                leaf(&ca, &["127.0.0.1"], false),
                false,
                "an issuer this machine does not trust",
                "--ca-file",
            ),
            ("expired", leaf(&ca, &["127.0.0.1"], true), true, "has expired", "--insecure"),
            ("wrong name", leaf(&ca, &["shop.example.test"], false), true, "not valid for that name", "--connect-to"),
        ];
        for (case, config, trusted, says, way_out) in cases {
            let server = rt.block_on(Server::start_with(page("v1"), Some(config)));
            let mut args = vec![server.url.as_str(), "--duration", "2s", "--plain"];
            if trusted {
                args.extend(["--ca-file", pem.as_str()]);
            }
            let out = bluegreen(&args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{case}: {stderr}");
            assert_eq!(stderr.trim_end().lines().count(), 1, "{case}: one line: {stderr}");
            assert!(stderr.contains(says) && stderr.contains(way_out), "{case}: {stderr}");
            assert!(out.stdout.is_empty(), "{case}: nothing probed: {}", text(&out.stdout));
        }
        let out = bluegreen(&["https://127.0.0.1:1/", "--ca-file", "/nonexistent/ca.pem"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("--ca-file") && stderr.contains("cannot be read") && stderr.contains("hint"),
            "{stderr}"
        );
        let out = bluegreen(&["https://127.0.0.1:1/", "--connect-to", "nowhere"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("is not HOST:PORT"), "{}", text(&out.stderr));
    }

    #[test]
    fn insecure_probes_an_untrusted_certificate_and_says_so_everywhere() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ca = ca("insecure");
        let server = rt.block_on(Server::start_with(page("v1"), Some(leaf(&ca, &["127.0.0.1"], false))));
        let switch = {
            let answer = server.answer.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(1500));
                *answer.lock().unwrap() = page("v2");
            })
        };
        let out = bluegreen(&[&server.url, "--insecure", "--rate", "20", "--duration", "5s", "--plain"]);
        switch.join().unwrap();
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        let lines: Vec<&str> = stdout.lines().collect();
        assert!(lines[0].ends_with(", insecure (certificates not verified)"), "the header says so: {}", lines[0]);
        let verdicts: Vec<&&str> = lines.iter().filter(|l| l.contains(" verdict ")).collect();
        assert_eq!(verdicts.len(), 1, "{stdout}");
        assert!(verdicts[0].ends_with(" (certificates not verified)"), "and the verdict: {}", verdicts[0]);
    }

    #[test]
    fn connect_to_reaches_another_address_with_the_urls_name() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ca = ca("connect-to");
        let server = rt.block_on(Server::start_with(page("v1"), Some(leaf(&ca, &["shop.example.test"], false))));
        let addr = server.url.trim_start_matches("https://").trim_end_matches('/').to_string();
        let port = addr.rsplit_once(':').unwrap().1;
        let url = format!("https://shop.example.test:{port}/");
        let pem = ca.pem.to_str().unwrap();
        let out = bluegreen(&[&url, "--connect-to", &addr, "--ca-file", pem, "--duration", "2s", "--plain"]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        assert!(stdout.lines().next().unwrap().contains(&format!("via {addr}")), "{stdout}");
        assert!(stdout.contains(" 0 failed  v1 100%"), "the certificate named in SNI was verified: {stdout}");
        let hosts = server.hosts.lock().unwrap().clone();
        assert!(!hosts.is_empty() && hosts.iter().all(|h| *h == format!("shop.example.test:{port}")), "{hosts:?}");
    }

    /// Serves whichever certificate it holds now.
    #[derive(Debug)]
    struct Switching(std::sync::Mutex<Arc<rustls::sign::CertifiedKey>>);

    impl rustls::server::ResolvesServerCert for Switching {
        fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
            Some(self.0.lock().unwrap().clone())
        }
    }

    fn certified(ca: &Ca) -> Arc<rustls::sign::CertifiedKey> {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&key, &ca.issuer).unwrap();
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let signing = provider.key_provider.load_private_key(der).unwrap();
        Arc::new(rustls::sign::CertifiedKey::new(vec![cert.der().clone()], signing))
    }

    #[test]
    fn a_certificate_that_changes_during_the_run_is_said() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ca = ca("changes");
        let switching = Arc::new(Switching(std::sync::Mutex::new(certified(&ca))));
        let config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_cert_resolver(switching.clone());
        let server = rt.block_on(Server::start_with(page("v1"), Some(Arc::new(config))));
        let swap = {
            let (resolver, next, requests) = (switching.clone(), certified(&ca), server.served.clone());
            std::thread::spawn(move || {
                while requests.load(Ordering::SeqCst) < 10 {
                    std::thread::sleep(Duration::from_millis(5));
                }
                *resolver.0.lock().unwrap() = next;
            })
        };
        let pem = ca.pem.to_str().unwrap();
        let out = bluegreen(&[&server.url, "--ca-file", pem, "--new-connection", "--duration", "3s", "--plain"]);
        swap.join().unwrap();
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        let notes: Vec<&str> = stdout.lines().filter(|l| l.contains(" note ")).collect();
        assert_eq!(notes.len(), 1, "one change, said once: {stdout}");
        assert!(notes[0].contains("the server's certificate changed ("), "{}", notes[0]);
    }

    #[test]
    fn the_probe_screen_counts_handshakes_over_https() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ca = ca("screen");
        let server = rt.block_on(Server::start_with(page("v1"), Some(leaf(&ca, &["127.0.0.1"], false))));
        let pem = ca.pem.to_str().unwrap();
        let mut screen = crate::pty::Pty::start(
            &["probe", &server.url, "--ca-file", pem, "--new-connection", "--rate", "20"],
            90,
            24,
        );
        let text = screen.wait_for("handshakes", |t| t.contains("v1  ") && t.contains(" TLS handshakes"));
        assert!(text.contains(&format!("Traffic  {}", server.url)), "{text}");
        screen.press("q");
        assert_eq!(screen.exit_code(), 0);
    }

    #[test]
    fn a_redirecting_listener_is_counted_as_redirects_and_said_once() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt.block_on(Server::start(Answer::Redirect("https://shop.example.test/")));
        let out = bluegreen(&[&server.url, "--duration", "2s", "--plain"]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        let notes: Vec<&str> = stdout.lines().filter(|l| l.contains(" note ")).collect();
        assert_eq!(notes.len(), 1, "said once: {stdout}");
        assert!(notes[0].contains("answers 301 → https://shop.example.test/"), "{}", notes[0]);
        assert!(notes[0].contains("hint: probe https://shop.example.test/"), "{}", notes[0]);
        let seconds: Vec<&str> = stdout.lines().filter(|l| l.contains(" traffic ")).collect();
        assert!(!seconds.is_empty());
        for s in seconds {
            assert!(s.contains("  10 failed") && s.contains("(10 redirect)") && !s.contains(" v"), "{s}");
        }
    }
}
