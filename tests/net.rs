//! The network face in real time (seconds): instance servers, the load
//! balancer and the prober against each other, then the whole demo as a
//! user runs it.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use bluegreen::cloud::Call;
use bluegreen::cloud::Cloud;
use bluegreen::cloud::sim::World;
use bluegreen::cloud::sim::WorldClock;
use bluegreen::demo::instance::{InstanceServer, Page};
use bluegreen::demo::lb::{self, Backend, LoadBalancer};
use bluegreen::demo::runtime;
use bluegreen::domain::At;
use bluegreen::probe::{self, ErrorKind, Outcome, Reader, Settings, Traffic};
use tokio::sync::mpsc;
use tokio::time::Instant;

fn page(id: &str, version: &str) -> Page {
    Page { instance_id: id.into(), private_ip: "10.200.11.9".into(), version: Some(version.into()), fails_until: None }
}

/// The version and instance the tutorial's page names.
fn read_page(body: &str) -> (Option<String>, Option<String>) {
    Reader::default().read(&hyper::HeaderMap::new(), body)
}

fn clock() -> WorldClock {
    WorldClock::new(At::from_secs(1_000), 1.0)
}

async fn get(url: &str) -> (u16, String) {
    let client = bluegreen::net::client(false);
    let req = hyper::Request::get(url).body(bluegreen::net::Body::default()).unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(5), client.request(req)).await.unwrap().unwrap();
    let status = resp.status().as_u16();
    let body = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn refused(addr: SocketAddr) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_err()
}

async fn load_balancer() -> LoadBalancer {
    LoadBalancer::start(lb::bind(0).await.unwrap()).unwrap()
}

#[tokio::test]
async fn proxy_only_reaches_healthy_registered_targets() {
    let a = InstanceServer::start(page("i-0aaa", "v1"), clock()).unwrap();
    let b = InstanceServer::start(page("i-0bbb", "v1"), clock()).unwrap();
    let lb = load_balancer().await;

    let (status, body) = get(&lb.url()).await;
    assert_eq!(status, 503, "no healthy target: 503 as an ALB answers ({body})");

    lb.set_routes(vec![Backend { instance_id: "i-0aaa".into(), addr: a.addr }]);
    for _ in 0..6 {
        let (status, body) = get(&lb.url()).await;
        assert_eq!(status, 200);
        assert_eq!(read_page(&body).1.as_deref(), Some("i-0aaa"), "only the registered healthy target answers");
    }

    lb.set_routes(vec![
        Backend { instance_id: "i-0aaa".into(), addr: a.addr },
        Backend { instance_id: "i-0bbb".into(), addr: b.addr },
    ]);
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(read_page(&get(&lb.url()).await.1).1.unwrap());
    }
    assert!(seen.windows(2).all(|w| w[0] != w[1]), "round robin alternates: {seen:?}");
    let _ = (a.stop().await, b.stop().await, lb.stop().await);
}

#[tokio::test]
async fn draining_finishes_requests_in_flight() {
    let a = InstanceServer::start(page("i-0aaa", "v1"), clock()).unwrap();
    let b = InstanceServer::start(page("i-0bbb", "v2"), clock()).unwrap();
    let a_addr = a.addr;
    let lb = load_balancer().await;
    lb.set_routes(vec![Backend { instance_id: "i-0aaa".into(), addr: a.addr }]);

    let url = format!("{}?delay_ms=800", lb.url());
    let slow = tokio::spawn(async move { get(&url).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Deregistered: no new requests; then terminated while the slow one is in flight.
    lb.set_routes(vec![Backend { instance_id: "i-0bbb".into(), addr: b.addr }]);
    let stopping = a.stop();
    for _ in 0..3 {
        let (status, body) = get(&lb.url()).await;
        assert_eq!((status, read_page(&body).1.as_deref()), (200, Some("i-0bbb")), "new requests go elsewhere");
    }
    let (status, body) = slow.await.unwrap();
    assert_eq!(status, 200, "the request in flight finished");
    assert_eq!(read_page(&body), (Some("v1".into()), Some("i-0aaa".into())));
    stopping.await.unwrap();
    assert!(refused(a_addr).await, "a terminated instance's port is closed");
    let _ = (b.stop().await, lb.stop().await);
}

#[tokio::test]
async fn prober_reads_the_page_and_counts_503s() {
    let start = clock();
    let healthy = InstanceServer::start(page("i-0aaa", "v1"), start).unwrap();
    let mut flaky_page = page("i-0bbb", "v2");
    flaky_page.fails_until = Some(start.now() + Duration::from_secs(3600));
    let flaky = InstanceServer::start(flaky_page, start).unwrap();

    for (server, want_failures) in [(&healthy, false), (&flaky, true)] {
        let (tx, mut rx) = mpsc::channel(64);
        let prober = probe::start_at(Settings::new(format!("http://{}/", server.addr), 20), Instant::now(), tx);
        let mut traffic = Traffic::new(Instant::now());
        while traffic.total_requests < 10 {
            traffic.record(rx.recv().await.unwrap());
        }
        prober.abort();
        if want_failures {
            assert_eq!(traffic.total_failures, traffic.total_requests, "every 503 is counted");
            assert!(traffic.recent.iter().all(|s| s.outcome == Outcome::Failed(ErrorKind::Server(503))));
        } else {
            assert_eq!(traffic.total_failures, 0);
            let served = &traffic.recent[0].outcome;
            assert_eq!(*served, Outcome::Served { version: "v1".into(), instance: Some("i-0aaa".into()) });
        }
    }
    let health = get(&format!("http://{}/health", flaky.addr)).await;
    assert_eq!(health.0, 200, "the flaky instance's health check still passes");
}

#[tokio::test]
async fn a_deleted_groups_ports_are_closed() {
    let world = World::new(&bluegreen::cloud::sim::Scenario::load("manual-reroute").unwrap());
    let demo = runtime::start(world, 5.0, lb::bind(0).await.unwrap()).unwrap();
    let before = demo.control.addresses().await.unwrap();
    assert_eq!(before.len(), 2, "blue's two instances serve");
    let (status, _) = get(&demo.url).await;
    assert_eq!(status, 200);

    demo.cloud.apply(Call::DeleteAutoScalingGroup { asg: "bluegreen-asg".into(), force: true }).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    for addr in before.values() {
        while !refused(*addr).await {
            assert!(Instant::now() < deadline, "{addr} still accepts connections");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(get(&demo.url).await.0, 503, "no target left");
    demo.control.stop().await;
}

/// Runs the built binary with `--plain` and gives its lines.
fn plain(args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .args(["demo", "--plain", "--port", "0", "--rate", "20"])
        .args(args)
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "exit {:?}\n{text}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    text.lines().map(str::to_string).collect()
}

/// A verdict's text after its span (`cutover 09:02:21–09:02:42 v1 → v2: …`
/// gives `v1 → v2: …`), checking the span reads as two times in order.
fn judged(verdict: &str) -> &str {
    let rest = verdict.strip_prefix("cutover ").unwrap_or_else(|| panic!("{verdict}"));
    let (span, rest) = rest.split_once(' ').unwrap();
    let (from, to) = span.split_once('–').unwrap_or_else(|| panic!("a span in {verdict}"));
    assert!(from.len() == 8 && to.len() == 8 && from <= to, "{verdict}");
    rest
}

/// `(failed, "v1 100%"-style shares)` of each traffic line.
fn traffic(lines: &[String]) -> Vec<(u32, String)> {
    lines
        .iter()
        .filter_map(|l| l.split_once(" traffic  "))
        .map(|(_, rest)| {
            let failed = rest.split("  ").nth(1).and_then(|f| f.split(' ').next()).unwrap().parse().unwrap();
            let shares = rest.splitn(3, "  ").nth(2).unwrap_or_default().to_string();
            (failed, shares)
        })
        .collect()
}

#[test]
fn manual_reroute_story_serves_v1_then_v2_then_v1_without_a_failed_request() {
    // Each version serves alone for a while (100 world seconds are 5 real
    // ones at this speed) so that each cutover settles and gets its verdict
    // however loaded the machine is.
    let script = "deploy; wait Ready; promote; wait Succeeded; sleep 100; reattach; cleanup";
    let lines = plain(&["--speed", "4", "--script", script]);
    assert!(lines[0].contains("load balancer: http://127.0.0.1:"), "the URL comes first: {}", lines[0]);
    let seconds = traffic(&lines);
    assert!(seconds.len() > 10, "{lines:#?}");
    for (failed, shares) in &seconds {
        assert_eq!(*failed, 0, "a failed request in a second with {shares}\n{lines:#?}");
    }
    // Seconds served by one version only, in order, repeats folded: the mixed
    // seconds of each cutover fall between them.
    let mut phases: Vec<&str> = seconds.iter().map(|(_, s)| s.as_str()).filter(|s| s.ends_with(" 100%")).collect();
    phases.dedup();
    assert_eq!(phases, ["v1 100%", "v2 100%", "v1 100%"], "{seconds:?}");
    assert!(lines.iter().any(|l| l.contains("summary") && l.ends_with(" 0 failed")));
    // One verdict per cutover, each saying nothing was dropped.
    let verdicts: Vec<&str> = lines.iter().filter_map(|l| l.split_once(" verdict  ").map(|(_, v)| v)).collect();
    assert_eq!(verdicts.len(), 2, "{lines:#?}");
    assert!(judged(verdicts[0]).starts_with("v1 → v2: 0 failed of "), "{verdicts:?}");
    assert!(judged(verdicts[1]).starts_with("v2 → v1: 0 failed of "), "{verdicts:?}");
}

#[test]
fn flaky_green_shows_failed_requests() {
    let lines = plain(&["--speed", "4", "--scenario", "flaky-green"]);
    let failed: u32 = traffic(&lines).iter().map(|(f, _)| f).sum();
    assert!(failed > 0, "the negative control must fail some requests\n{lines:#?}");
    // The verdict counts every one of them: the cutover spans all the
    // failing seconds.
    let verdict = lines.iter().find_map(|l| l.split_once(" verdict  ").map(|(_, v)| v.to_string()));
    let verdict = verdict.unwrap_or_else(|| panic!("a verdict\n{lines:#?}"));
    assert!(judged(&verdict).starts_with(&format!("v1 → v2: {failed} failed ({failed} 5xx) of ")), "{verdict}");
}

#[test]
fn bad_input_gets_one_line_and_a_hint() {
    for args in [&["--scenario", "nope"][..], &["--speed", "0"], &["--script", "deploy; dance"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
            .args(["demo", "--plain", "--port", "0"])
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("hint"), "{err}");
        assert!(out.stdout.is_empty(), "nothing started: {}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn a_refused_story_step_stops_with_one_line_and_a_hint() {
    let out = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .args(["demo", "--plain", "--port", "0", "--script", "promote"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("nothing waits for a promote") && err.contains("hint"), "{err}");
}

#[tokio::test]
async fn the_printed_url_serves_the_page_from_alternating_instances() {
    /// The demo runs until killed, also when the test fails.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_bluegreen"))
            .args(["demo", "--plain", "--port", "0", "--rate", "1", "--script", "", "--hold"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    // The reader is kept: the demo ends quietly when nobody reads its lines.
    let (first, _reader) = tokio::task::spawn_blocking(move || {
        let mut reader = std::io::BufReader::new(stdout);
        let mut first = String::new();
        std::io::BufRead::read_line(&mut reader, &mut first).unwrap();
        (first, reader)
    })
    .await
    .unwrap();
    let url = first.split("load balancer: ").nth(1).expect("URL on the first line").trim().to_string();
    let mut ids = Vec::new();
    for _ in 0..8 {
        let (status, body) = get(&url).await;
        assert_eq!(status, 200);
        let (version, id) = read_page(&body);
        assert_eq!(version.as_deref(), Some("v1"));
        assert!(body.starts_with("<h1>application version: 1</h1><h1>instance-id: i-0"), "{body}");
        ids.push(id.unwrap());
    }
    // The demo's own prober shares the round robin, so a user's requests see
    // both instances without strictly alternating (the proxy test checks that).
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 2, "both instances answer: {ids:?}");
}

/// The demo scripted through a reroute at `speed`, printed as `--plain`
/// prints it, and the screen's event log of the same session: traffic is
/// told at the world time of its requests, in order with the world's events.
async fn traffic_told_in_world_time(speed: f64) {
    use bluegreen::app::log::Kind;
    use bluegreen::cloud::sim::story;
    use bluegreen::session::{Player, Session};

    let scenario = bluegreen::cloud::sim::Scenario::load("manual-reroute").unwrap();
    let pace = scenario.timing.pace * speed;
    let world = World::new(&scenario);
    let demo = runtime::start(world, pace, lb::bind(0).await.unwrap()).unwrap();
    let actions = story::parse("deploy; wait Ready; promote; wait Succeeded; sleep 30").unwrap();
    let setup = bluegreen::app::Setup { url: demo.url.clone(), ..Default::default() };
    let mut session = Session::build(demo.cloud, setup)
        .fed(demo.feed)
        .probe(Settings::new(demo.url.clone(), 20))
        .tick(Duration::from_millis(250))
        .story(Some(Player::new(actions, Duration::from_secs(3600))))
        .start();
    let mut out = Vec::new();
    bluegreen::report::lines::print(&mut session, &mut out, &[], false).await.unwrap();
    demo.control.stop().await;
    let lines: Vec<String> = String::from_utf8(out).unwrap().lines().map(str::to_string).collect();

    // `HH:MM:SS kind text` → (time, kind, text).
    let parse = |l: &str| {
        let (at, rest) = l.split_once(' ').unwrap();
        let (kind, text) = rest.split_once(' ').unwrap();
        (at.to_string(), kind.to_string(), text.trim_start().to_string())
    };
    let parsed: Vec<(String, String, String)> = lines.iter().map(|l| parse(l)).collect();
    let world_at = |what: &str, last: bool| {
        let mut found = parsed.iter().filter(|(_, k, t)| k == "world" && t.contains(what)).map(|(at, ..)| at.clone());
        let at = if last { found.next_back() } else { found.next() };
        secs(&at.unwrap_or_else(|| panic!("no world line with {what:?}\n{lines:#?}")))
    };
    let registered = world_at("registered with", false);
    let deregistered = world_at("deregistered from", true);
    let moved = world_at("now uses CodeDeploy_", false);
    // A traffic second spans `pace` world seconds: stamps are good to one.
    let width = pace.ceil() as i64 + 1;

    // The screen's log: no "serves v1" after the group moved to green, the
    // mixed seconds between green's registration and blue's deregistration.
    let log: Vec<_> = session.app().log().newest().cloned().collect();
    let serves: Vec<_> = log.iter().rev().filter(|e| e.kind == Kind::Traffic).collect();
    assert!(serves.len() >= 2, "v1, then v2 at least: {log:#?}");
    for e in &serves {
        let at = secs(&e.at.to_string());
        if e.text.contains("v1") {
            assert!(at < moved, "{} at {} after the group moved at {moved}\n{lines:#?}", e.text, e.at);
        }
        if e.text.contains("v1") && e.text.contains("v2") {
            assert!(registered - width <= at && at <= deregistered + width, "{} at {}\n{lines:#?}", e.text, e.at);
        }
    }
    let times: Vec<_> = log.iter().map(|e| e.at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "the screen's log is in time order");

    // `--plain` tells the same: its mixed seconds in the same window, and
    // each change the screen logged is a printed second (stamped at its
    // start; the change at its first answer of a new kind, or just after
    // the last of a kind that went away: within a second's width).
    for (at, kind, text) in &parsed {
        if kind == "traffic" && text.contains("v1") {
            assert!(secs(at) < moved, "{text} at {at}\n{lines:#?}");
        }
        if kind == "traffic" && text.contains("v1 ") && text.contains("v2 ") {
            assert!(registered - width <= secs(at) && secs(at) <= deregistered + width, "{text} at {at}");
        }
    }
    for e in &serves {
        let mix = e.text.trim_start_matches("load balancer serves ").to_string();
        let mix: Vec<&str> = mix.split_whitespace().collect();
        let printed = parsed.iter().any(|(at, kind, text)| {
            kind == "traffic"
                && (secs(&e.at.to_string()) - secs(at)).abs() <= width
                && text.split("  ").skip(2).collect::<Vec<_>>().join(" ").split_whitespace().eq(mix.iter().copied())
        });
        assert!(printed, "the screen's {:?} at {} is a printed second\n{lines:#?}", e.text, e.at);
    }
    let verdict = log.iter().find(|e| e.kind == Kind::Verdict).expect("a verdict");
    let plain_verdict = parsed.iter().find(|(_, k, _)| k == "verdict").expect("a printed verdict");
    assert_eq!(plain_verdict.2, verdict.text, "the same verdict on both");
    assert_eq!(plain_verdict.0, verdict.at.to_string());
    // An expected cutover is judged from the second of the promote's key
    // (a second spans `pace` world seconds), to after blue's deregistration.
    let (from, to) = judged_span(&verdict.text);
    let promoted = parsed
        .iter()
        .find(|(_, k, t)| k == "console" && t.starts_with("promote:"))
        .map(|(at, ..)| secs(at))
        .expect("a promote");
    assert!(promoted - width <= from && from <= registered, "{}\n{lines:#?}", verdict.text);
    assert!(to <= deregistered + 2 * width, "{}\n{lines:#?}", verdict.text);
}

/// Seconds of the day of `HH:MM:SS`.
fn secs(clock: &str) -> i64 {
    clock.split(':').fold(0, |acc, part| acc * 60 + part.parse::<i64>().unwrap())
}

/// A verdict's span in seconds of the day.
fn judged_span(verdict: &str) -> (i64, i64) {
    let span = verdict.strip_prefix("cutover ").and_then(|r| r.split(' ').next()).unwrap();
    let (from, to) = span.split_once('–').unwrap();
    (secs(from), secs(to))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_is_told_in_world_time_at_eight_times_speed() {
    traffic_told_in_world_time(8.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_is_told_in_world_time_at_real_speed() {
    traffic_told_in_world_time(1.0).await;
}

#[test]
fn the_demo_over_tls_plays_its_reroute_with_a_verdict() {
    let state = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("tls-demo-state");
    let out = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .args(["demo", "--plain", "--port", "0", "--rate", "20", "--tls", "--speed", "4"])
        .env("XDG_STATE_HOME", &state)
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines[0].contains("load balancer: https://127.0.0.1:"), "{}", lines[0]);
    // Its authority is saved for curl --cacert and probe --ca-file.
    let ca = state.join("bluegreen/demo-ca.pem");
    assert!(
        lines[0].ends_with(&format!("its certificate authority made at start in {}", ca.display())),
        "{}",
        lines[0]
    );
    assert!(std::fs::read_to_string(&ca).unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    let seconds = traffic(&lines);
    assert!(seconds.iter().all(|(failed, _)| *failed == 0), "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.contains(" traffic ") && l.contains(" TLS handshake")),
        "handshakes counted: {lines:#?}"
    );
    let verdict = lines.iter().find_map(|l| l.split_once(" verdict  ").map(|(_, v)| v.to_string()));
    let verdict = verdict.unwrap_or_else(|| panic!("a verdict\n{lines:#?}"));
    assert!(judged(&verdict).starts_with("v1 → v2: 0 failed of "), "{verdict}");
    assert!(lines.last().unwrap().ends_with(" 0 failed"), "{lines:#?}");
}
