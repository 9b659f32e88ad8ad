//! Memory stays flat over many cycles: the demo binary plays deploy,
//! promote, reattach and clean up again and again while its resident set
//! is read after every cycle. Ignored by default (minutes); run it by name:
//!
//! ```sh
//! SOAK_CYCLES=225 cargo test --release soak -- --ignored --nocapture
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
#[ignore = "minutes long; run by name"]
fn soak_memory_is_flat_over_many_cycles() {
    let cycles: usize = std::env::var("SOAK_CYCLES").ok().and_then(|n| n.parse().ok()).unwrap_or(225);
    let cycle = "deploy; wait Ready; promote; wait Succeeded; reattach; cleanup";
    let script = vec![cycle; cycles].join("; ");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .args(["demo", "--plain", "--port", "0", "--speed", "100", "--script", &script])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let pid = child.id();
    let mut samples = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.contains("console ") && line.ends_with("deleted with its instances") {
            samples.push(rss_kib(pid));
            let n = samples.len();
            if n == 1 || n % 25 == 0 || n == cycles {
                println!("cycle {n:>4}: RSS {:.1} MiB", samples[n - 1] as f64 / 1024.0);
            }
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(samples.len(), cycles, "every cycle ended with a clean up");
    // After the rings fill (event log, traffic windows, the world's kept
    // history), the resident set stops growing: compare the last quarter
    // with the second quarter.
    let quarter = cycles / 4;
    let second = samples[quarter..2 * quarter].iter().max().copied().unwrap_or(0);
    let last = samples[3 * quarter..].iter().max().copied().unwrap_or(0);
    println!("max RSS, 2nd quarter {second} KiB, last quarter {last} KiB");
    assert!(last <= second + second / 10, "RSS still growing: {second} KiB → {last} KiB");
}
