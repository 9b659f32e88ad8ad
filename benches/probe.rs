//! The prober under load, measured (`cargo bench --bench probe`): against
//! the demo's real load balancer and instances (another process), each rate
//! for a few seconds: the rate actually sent, failures, latency, the CPU
//! the prober spent per 100 requests a second, and memory. The highest
//! rate it keeps without falling behind is the steady rate. With `oha` on
//! the PATH, the same URL at the same rate through oha, for comparison.
//! `PROBE_SOAK_MINUTES=10` adds a long run at 200 requests a second that
//! reports memory every minute.

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
    /// The demo, holding still: a real load balancer in front of two instances.
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
            .args(["demo", "--plain", "--port", "0", "--rate", "1", "--script", "", "--hold"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("the demo starts");
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let url = first.split("load balancer: ").nth(1).expect("the URL").trim().to_string();
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
    let settings = Settings { stop_after: Some(Duration::from_secs(secs)), ..Settings::new(url.to_string(), rate) };
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
    Run {
        rate,
        sent_per_s,
        failed: traffic.total_failures,
        p50: traffic.latency(0.5).unwrap_or_default(),
        p99: traffic.latency(0.99).unwrap_or_default(),
        max: traffic.worst_latency().unwrap_or_default(),
        cpu_per_100: spent.mul_f64(100.0 / f64::from(rate) / secs as f64),
        rss_kib: rss_kib(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1000.0)
}

/// oha at the same rate, if installed: its summary's lines that matter.
fn oha(url: &str, rate: u32, secs: u64) -> Option<String> {
    let out = Command::new("oha")
        .args(["--no-tui", "-z", &format!("{secs}s"), "-q", &rate.to_string(), "-c", "16", url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let pick = |key: &str| text.lines().find(|l| l.trim_start().starts_with(key)).map_or("?", str::trim).to_string();
    Some(format!("{}; {}; {}; {}", pick("Success rate"), pick("Requests/sec"), pick("Average"), pick("99.00%")))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let target = Target::start();
    let secs = 5;
    println!("target: the demo's load balancer at {} (another process)", target.url);
    println!(
        "{:>6} {:>9} {:>6} {:>8} {:>8} {:>8} {:>14} {:>8}",
        "rate", "sent/s", "failed", "p50", "p99", "max", "CPU/100 req/s", "RSS"
    );
    let mut steady = 0;
    for rate in [10, 100, 200, 500, 1000] {
        let r = rt.block_on(run(&target.url, rate, secs));
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
        if let Some(o) = oha(&target.url, rate, secs) {
            println!("       oha at {rate}/s: {o}");
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
    let settings =
        Settings { stop_after: Some(Duration::from_secs(minutes * 60)), ..Settings::new(url.to_string(), 200) };
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
                    println!(
                        "  minute {minute:>2}: RSS {} KiB, {} requests, {} failed, p99 {}, kept {:?}",
                        rss_kib(), traffic.total_requests, traffic.total_failures,
                        ms(traffic.latency(0.99).unwrap_or_default()), traffic.sizes()
                    );
                    next += Duration::from_secs(60);
                }
            }
        }
    }
    prober.await.unwrap();
}
