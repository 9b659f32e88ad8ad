//! The console at rest: how much of a core it uses and how many bytes it
//! writes to the terminal per second when nobody presses a key and nothing
//! changes but the traffic strip (the prober at its default 10 requests a
//! second). Measured from outside, on the built binary in a 120×40
//! pseudo-terminal: CPU from `/proc/PID/stat` (user + system time of all
//! its threads), bytes as read from the terminal's master side.
//!
//! - `aws`: `bluegreen` against a local moto server and the tests'
//!   scripted CodeDeploy endpoint (both outside the measured process),
//!   probing a local page server with `--url`.
//! - `demo`: `bluegreen demo`, whose world, instance servers and load
//!   balancer run in the measured process too.
//!
//! ```sh
//! cargo bench --bench rest            # a minute each
//! REST_SECONDS=20 cargo bench --bench rest
//! ```

#[path = "../tests/aws/codedeploy.rs"]
#[allow(dead_code)]
mod codedeploy;
#[path = "../tests/aws/env.rs"]
#[allow(dead_code)]
mod env;
#[path = "../tests/aws/moto.rs"]
#[allow(dead_code)]
mod moto;
#[path = "../tests/pty.rs"]
#[allow(dead_code)]
mod pty;

use std::time::Duration;

use codedeploy::{FakeCodeDeploy, GroupSettings};
use env::{Env, KEY_ID, SECRET};
use pty::Pty;

/// CPU time (user + system) the process has used so far.
fn cpu(pid: u32, ticks_per_second: f64) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the process runs");
    let fields: Vec<&str> = stat.rsplit(") ").next().unwrap_or_default().split_whitespace().collect();
    // After the command's name: state is field 3, utime 14 and stime 15.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    Duration::from_secs_f64(ticks / ticks_per_second)
}

fn ticks_per_second() -> f64 {
    let out = std::process::Command::new("getconf").arg("CLK_TCK").output().expect("getconf");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(100.0)
}

struct Rest {
    cpu_percent: f64,
    bytes_per_second: f64,
}

/// Lets the screen settle, then measures `seconds` of rest.
fn measure(screen: &Pty, ready: &str, seconds: u64) -> Rest {
    screen.wait_for(ready, |t| t.contains(ready));
    std::thread::sleep(Duration::from_secs(10));
    let hz = ticks_per_second();
    let (cpu0, bytes0) = (cpu(screen.pid(), hz), screen.bytes());
    std::thread::sleep(Duration::from_secs(seconds));
    let (cpu1, bytes1) = (cpu(screen.pid(), hz), screen.bytes());
    Rest {
        cpu_percent: 100.0 * cpu1.saturating_sub(cpu0).as_secs_f64() / seconds as f64,
        bytes_per_second: (bytes1 - bytes0) as f64 / seconds as f64,
    }
}

/// A stand-in for the load balancer: the tutorial's page, version 1.
async fn page_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = vec![0u8; 4096];
                let body = "<h1>application version: 1</h1><h1>instance-id: i-0page</h1>";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 || stream.write_all(answer.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("http://{addr}/")
}

fn main() {
    let seconds: u64 = std::env::var("REST_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let state = moto::scratch("rest-home");
    std::fs::create_dir_all(&state).unwrap();

    let aws = runtime.block_on(async {
        let region = moto::region();
        let env = Env::alb(region, 2).await;
        let fake = FakeCodeDeploy::start(env, GroupSettings::tutorial(true)).await;
        let url = page_server().await;
        let vars = [
            ("HOME", state.display().to_string()),
            ("XDG_STATE_HOME", state.display().to_string()),
            ("AWS_ENDPOINT_URL", moto::moto().url.clone()),
            ("AWS_ENDPOINT_URL_CODEDEPLOY", fake.url.clone()),
            ("AWS_ACCESS_KEY_ID", KEY_ID.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
            ("AWS_REGION", region.to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ];
        let screen = tokio::task::spawn_blocking(move || {
            let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let screen = Pty::start_with(&["--url", &url], &vars, 120, 40);
            let rest = measure(&screen, "total ", seconds);
            screen.press("q");
            rest
        });
        let rest = screen.await.unwrap();
        drop(fake);
        rest
    });
    let demo = {
        let screen = Pty::start_with(&["demo", "--port", "0"], &[("HOME", &state.display().to_string())], 120, 40);
        let rest = measure(&screen, "total ", seconds);
        screen.press("q");
        rest
    };
    println!("at rest for {seconds} s, 120×40, probing at 10 requests a second:");
    println!("{:<6} {:>12} {:>14}", "", "CPU", "bytes/s");
    for (name, r) in [("aws", aws), ("demo", demo)] {
        println!("{name:<6} {:>10.2}% {:>14.0}", r.cpu_percent, r.bytes_per_second);
    }
}
