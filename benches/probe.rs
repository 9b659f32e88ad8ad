//! The prober under load, measured (`cargo bench --bench probe`): against
//! the demo's real load balancer and instances (another process), each rate
//! for a few seconds: the rate actually sent, failures, latency, the CPU
//! the prober spent per 100 requests a second, and memory. The highest
//! rate it keeps without falling behind is the steady rate. With `oha` on
//! the PATH, the same URL at the same rate and concurrency through oha, for
//! comparison.
//! `PROBE_SOAK_MINUTES=10` adds a long run at 200 requests a second that
//! reports memory every minute. `PROBE_TLS=1` measures over HTTPS: the
//! demo serves with `--tls`, and both sides skip verifying its certificate
//! (`--insecure`, oha's too), so the figures are the handshakes and the
//! encryption.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bluegreen::probe::{self, Settings, Traffic};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// CPU time (user + system) this process has used.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    // After the command name: state is field 3, utime 14 and stime 15 (1-based).
    let ticks: u64 = fields.get(11..13).map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10)
}

/// Resident memory in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

struct Target {
    child: Child,
    url: String,
}

impl Target {
    /// The demo, holding still: a real load balancer in front of two
    /// instances, over HTTPS when asked.
    fn start(tls: bool) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
            .args(["demo", "--plain", "--port", "0", "--rate", "1", "--script", "", "--hold"])
            .args(tls.then_some("--tls"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("the demo starts");
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let after = first.split("load balancer: ").nth(1).expect("the URL");
        let url = after.split_whitespace().next().expect("the URL").to_string();
        // Keep reading: the demo stops when nobody reads its lines.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Self { child, url }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Run {
    rate: u32,
    sent_per_s: f64,
    failed: u64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    cpu_per_100: Duration,
    rss_kib: u64,
}

async fn run(url: &str, rate: u32, secs: u64) -> Run {
    let (tx, mut rx) = mpsc::channel(65_536);
    let settings = Settings {
        stop_after: Some(Duration::from_secs(secs)),
        concurrency: CONCURRENCY,
        tls: insecure(url),
        ..Settings::new(url.to_string(), rate)
    };
    let start = Instant::now();
    let cpu_before = cpu();
    let prober = probe::start_at(settings, start, tx);
    let mut traffic = Traffic::new(start);
    let mut last_due = start;
    while let Some(s) = rx.recv().await {
        last_due = last_due.max(s.scheduled);
        traffic.record(s);
    }
    prober.await.unwrap();
    let spent = cpu().saturating_sub(cpu_before);
    let elapsed = last_due.duration_since(start).as_secs_f64() + 1.0 / f64::from(rate);
    #[expect(clippy::cast_precision_loss, reason = "a rate for reading")]
    let sent_per_s = traffic.total_requests as f64 / elapsed;
    let [p50, p99] = traffic.latencies([0.5, 0.99]);
    Run {
        rate,
        sent_per_s,
        failed: traffic.total_failures,
        p50: p50.unwrap_or_default(),
        p99: p99.unwrap_or_default(),
        max: traffic.worst_latency().unwrap_or_default(),
        cpu_per_100: spent.mul_f64(100.0 / f64::from(rate) / secs as f64),
        rss_kib: rss_kib(),
    }
}

/// Over HTTPS, certificates not verified (the demo's are made at start).
fn insecure(url: &str) -> bluegreen::net::tls::TlsOptions {
    bluegreen::net::tls::TlsOptions { insecure: url.starts_with("https://"), ..Default::default() }
}

fn ms(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1000.0)
}

/// What oha measured at the same rate.
struct Oha {
    sent_per_s: f64,
    failed: u64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

/// oha at the same rate and concurrency, if installed. `-q` is open loop,
/// and `--latency-correction` measures from when oha's scheduler released
/// each request (not from the connection becoming free), close to the
/// prober's own measure.
fn oha(url: &str, rate: u32, secs: u64) -> Option<Oha> {
    let out = Command::new("oha")
        .args(["--no-tui", "--latency-correction", "--output-format", "json", "-z", &format!("{secs}s")])
        .args(url.starts_with("https://").then_some("--insecure"))
        .args(["-q", &rate.to_string(), "-c", &CONCURRENCY.to_string(), url])
        .output()
        .ok()?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let secs_at = |v: &serde_json::Value| Duration::from_secs_f64(v.as_f64().unwrap_or(0.0));
    let answered: u64 =
        json["statusCodeDistribution"].as_object()?.values().filter_map(serde_json::Value::as_u64).sum();
    let ok: u64 = json["statusCodeDistribution"]["200"].as_u64().unwrap_or(0);
    // Requests still in flight when the run's time is up are cut short by
    // oha itself, not failed by the server.
    let errors: u64 = json["errorDistribution"]
        .as_object()?
        .iter()
        .filter(|(what, _)| !what.contains("deadline"))
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    Some(Oha {
        sent_per_s: json["summary"]["requestsPerSec"].as_f64()?,
        failed: answered - ok + errors,
        p50: secs_at(&json["latencyPercentiles"]["p50"]),
        p99: secs_at(&json["latencyPercentiles"]["p99"]),
        max: secs_at(&json["summary"]["slowest"]),
    })
}

/// How far `ours` is from `theirs`, in percent of theirs.
fn versus(ours: Duration, theirs: Duration) -> String {
    if theirs.is_zero() {
        return "?".into();
    }
    format!("{:+.0}%", (ours.as_secs_f64() / theirs.as_secs_f64() - 1.0) * 100.0)
}

/// Requests in flight at most, for the prober and oha alike.
const CONCURRENCY: usize = 16;

/// Runs at each rate, for each side.
const ROUNDS: usize = 3;

/// The lowest and highest of `values`, for reading.
fn spread(values: impl Iterator<Item = Duration>) -> String {
    let all: Vec<Duration> = values.collect();
    let (low, high) = (all.iter().min().copied().unwrap_or_default(), all.iter().max().copied().unwrap_or_default());
    format!("{}–{}", ms(low), ms(high))
}

fn median(values: impl Iterator<Item = Duration>) -> Duration {
    let mut all: Vec<Duration> = values.collect();
    all.sort_unstable();
    all.get(all.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let target = Target::start(std::env::var("PROBE_TLS").is_ok_and(|v| v == "1"));
    let secs = 5;
    println!("target: the demo's load balancer at {} (another process)", target.url);
    println!(
        "{ROUNDS} runs of {secs} s at each rate, in turn with oha when installed: the lowest rate sent, all failures, median p50, p99 and CPU, the slowest request"
    );
    println!(
        "{:>6} {:>9} {:>6} {:>8} {:>8} {:>8} {:>14} {:>8}",
        "rate", "sent/s", "failed", "p50", "p99", "max", "CPU/100 req/s", "RSS"
    );
    let mut steady = 0;
    for rate in [10, 100, 200, 500, 1000] {
        // Rounds in turn, so a passing disturbance of the machine touches
        // both sides alike; the medians are reported.
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..ROUNDS {
            ours.push(rt.block_on(run(&target.url, rate, secs)));
            theirs.extend(oha(&target.url, rate, secs));
        }
        let r = Run {
            rate,
            sent_per_s: ours.iter().map(|r| r.sent_per_s).fold(f64::INFINITY, f64::min),
            failed: ours.iter().map(|r| r.failed).sum(),
            p50: median(ours.iter().map(|r| r.p50)),
            p99: median(ours.iter().map(|r| r.p99)),
            max: ours.iter().map(|r| r.max).max().unwrap_or_default(),
            cpu_per_100: median(ours.iter().map(|r| r.cpu_per_100)),
            rss_kib: ours.last().map_or(0, |r| r.rss_kib),
        };
        println!(
            "{:>6} {:>9.1} {:>6} {:>8} {:>8} {:>8} {:>13.1}% {:>6} KiB",
            r.rate,
            r.sent_per_s,
            r.failed,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            r.cpu_per_100.as_secs_f64() * 100.0,
            r.rss_kib
        );
        if r.failed == 0 && r.sent_per_s >= f64::from(rate) * 0.99 && r.p99 < Duration::from_millis(500) {
            steady = rate;
        }
        if !theirs.is_empty() {
            let (p50, p99) = (median(theirs.iter().map(|o| o.p50)), median(theirs.iter().map(|o| o.p99)));
            println!(
                "{:>6} {:>9.1} {:>6} {:>8} {:>8} {:>8}   bluegreen vs oha: p50 {}, p99 {} (p99 by round: {} vs {})",
                "oha",
                theirs.iter().map(|o| o.sent_per_s).fold(f64::INFINITY, f64::min),
                theirs.iter().map(|o| o.failed).sum::<u64>(),
                ms(p50),
                ms(p99),
                ms(theirs.iter().map(|o| o.max).max().unwrap_or_default()),
                versus(r.p50, p50),
                versus(r.p99, p99),
                spread(ours.iter().map(|r| r.p99)),
                spread(theirs.iter().map(|o| o.p99))
            );
        }
    }
    println!("highest steady rate (every request sent on time and answered, p99 < 500 ms): {steady}/s");
    let minutes: u64 = std::env::var("PROBE_SOAK_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(0);
    if minutes > 0 {
        println!("soak: 200 requests a second for {minutes} minute(s) into one set of statistics, memory each minute");
        rt.block_on(soak(&target.url, minutes));
    }
}

/// One prober and one `Traffic` for `minutes`, closing seconds as the
/// console does: memory must level off.
async fn soak(url: &str, minutes: u64) {
    let (tx, mut rx) = mpsc::channel(65_536);
    // A second past the last minute, so that minute is reported too.
    let settings = Settings {
        stop_after: Some(Duration::from_secs(minutes * 60 + 1)),
        tls: insecure(url),
        ..Settings::new(url.to_string(), 200)
    };
    let start = Instant::now();
    let prober = probe::start_at(settings, start, tx);
    let mut traffic = Traffic::new(start);
    let mut next = start + Duration::from_secs(60);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            s = rx.recv() => match s {
                Some(s) => traffic.record(s),
                None => break,
            },
            _ = tick.tick() => {
                traffic.close(Instant::now());
                if Instant::now() >= next {
                    let minute = next.duration_since(start).as_secs() / 60;
                    let (open, closed, recent, verdicts) = traffic.sizes();
                    println!(
                        "  minute {minute:>2}: RSS {} KiB, {} requests, {} failed, p99 {}; kept: {open} open seconds, {closed} closed, {recent} recent requests, {verdicts} verdicts",
                        rss_kib(), traffic.total_requests, traffic.total_failures,
                        ms(traffic.latency(0.99).unwrap_or_default())
                    );
                    next += Duration::from_secs(60);
                }
            }
        }
    }
    prober.await.unwrap();
}
