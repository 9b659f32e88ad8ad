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
}

struct Server {
    url: String,
    answer: Arc<Mutex<Answer>>,
    /// Requests answered with a 5xx.
    failed: Arc<AtomicU64>,
    /// Requests read, whatever their answer.
    served: Arc<AtomicU64>,
}

impl Server {
    async fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(answer));
        let failed = Arc::new(AtomicU64::new(0));
        let served = Arc::new(AtomicU64::new(0));
        let (a, f, n) = (answer.clone(), failed.clone(), served.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, a.clone(), f.clone(), n.clone()));
            }
        });
        Self { url, answer, failed, served }
    }

    fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }
}

/// HTTP/1.1 with keep-alive, by hand: each request's answer is decided
/// when it arrives.
async fn serve(mut stream: TcpStream, answer: Arc<Mutex<Answer>>, failed: Arc<AtomicU64>, served: Arc<AtomicU64>) {
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
        buf.drain(..end);
        served.fetch_add(1, Ordering::SeqCst);
        let now = answer.lock().unwrap().clone();
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
                let _ = stream.set_linger(Some(Duration::ZERO));
                return;
            }
        };
        let head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\ncontent-type: text/html\r\n\r\n", body.len());
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
    // The switch follows the requests, not the clock (a loaded machine may
    // start the binary late): v1 for 30 requests, then 502 for 10, then v2.
    let switch = {
        let (answer, requests) = (server.answer.clone(), server.served.clone());
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            let at = |n: u64| {
                while requests.load(Ordering::SeqCst) < n && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            };
            at(30);
            *answer.lock().unwrap() = Answer::Status(502);
            at(40);
            *answer.lock().unwrap() = Answer::Page { version: "v2", delay: Duration::ZERO };
        })
    };
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
        &["https://example.com/"][..],
        &["example.com"],
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
