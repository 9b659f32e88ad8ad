//! The demo binary checks what it is given before anything starts, says
//! what is wrong in one line with a hint, and ends with the exit code that
//! says how it ended: 2 bad input, 1 a story that cannot go on, 124 a wait
//! ran out, 130 interrupted.

use std::io::BufRead;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn bluegreen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bluegreen")).args(args).output().expect("the binary runs")
}

fn demo(args: &[&str]) -> Output {
    let mut all = vec!["demo", "--plain", "--port", "0"];
    all.extend_from_slice(args);
    bluegreen(&all)
}

/// One line on stderr with a hint, nothing on stdout, and this exit code.
fn refused(out: &Output, code: i32, says: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "exit code; stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("hint"), "a hint: {err}");
    assert!(err.contains(says), "'{says}' in: {err}");
    assert!(err.len() < 1200, "a short line, not an echo of the input ({} bytes)", err.len());
}

fn scenario_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bluegreen-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// The manual-reroute scenario with `line` added under `[table]`.
fn with(table: &str, line: &str) -> String {
    let base = bluegreen::cloud::sim::scenario::BUILTIN[0].1;
    if base.contains(&format!("[{table}]")) {
        base.replace(&format!("[{table}]"), &format!("[{table}]\n{line}"))
    } else {
        format!("{base}\n[{table}]\n{line}\n")
    }
}

#[test]
fn a_story_waiting_for_an_event_that_does_not_exist_is_refused() {
    refused(&demo(&["--script", "deploy; wait Foo"]), 2, "no such event");
}

#[test]
fn a_wait_the_scenario_can_never_satisfy_is_refused_up_front() {
    let out = demo(&["--scenario", "tutorial", "--script", "deploy; wait Ready; promote"]);
    refused(&out, 2, "reroutes automatically");
    assert!(out.stdout.is_empty(), "nothing started");
    refused(&demo(&["--script", "deploy; wait hook-failed"]), 2, "no lifecycle hook fails");
}

#[test]
fn a_wait_that_can_no_longer_happen_ends_the_story() {
    let out = demo(&["--speed", "20", "--script", "wait Ready"]);
    refused(&out, 1, "can no longer happen");
}

#[test]
fn a_wait_past_its_limit_ends_with_124() {
    let out = demo(&["--speed", "20", "--wait-limit", "60", "--script", "deploy; wait Succeeded"]);
    refused(&out, 124, "did not happen within 60s");
}

#[test]
fn scenario_values_out_of_range_are_refused_with_the_range() {
    let cases = [
        (with("timing", "pace = 1e-300"), "timing.pace"),
        (
            with("timing", "launch_seconds = [1, 9223372036854775807]"),
            "timing.launch_seconds is 9223372036854775807 (hint: from 1 to 3600)",
        ),
        (with("timing", "health_interval_seconds = 0"), "timing.health_interval_seconds is 0 (hint: from 1 to 300)"),
        (with("group", "instances = 501"), "group.instances is 501 (hint: from 1 to 500)"),
        (with("group", "ready_wait_minutes = 99999"), "group.ready_wait_minutes"),
        (
            format!(
                "{}\n[[faults]]\nkind = \"hook-fails\"\nhook = \"Dance\"\ninstance = 0\nlog_tail = \"x\"\n",
                bluegreen::cloud::sim::scenario::BUILTIN[0].1.replace("[expect]", "[expect_]")
            )
            .replace("[expect_]", "[expect]"),
            "",
        ),
    ];
    for (n, (text, says)) in cases.iter().enumerate() {
        let path = scenario_file(&format!("range{n}"), text);
        let out = demo(&["--scenario", path.to_str().unwrap()]);
        refused(&out, 2, says);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn an_unknown_hook_in_a_fault_is_refused() {
    let base = bluegreen::cloud::sim::scenario::BUILTIN[3].1; // hook-fails
    let path = scenario_file("hook", &base.replace("hook = \"ValidateService\"", "hook = \"Dance\""));
    refused(&demo(&["--scenario", path.to_str().unwrap()]), 2, "hook 'Dance' (hint: one of ApplicationStop");
}

#[test]
fn a_huge_value_does_not_come_back_as_a_huge_error() {
    let long = "x".repeat(60_000);
    let text = with("group", &format!("asg = \"{long}\""));
    let path = scenario_file("huge", &text);
    refused(&demo(&["--scenario", path.to_str().unwrap()]), 2, "group.asg");
    let path = scenario_file("toobig", &format!("# {}\n", "y".repeat(5_000_000)));
    refused(&demo(&["--scenario", path.to_str().unwrap()]), 2, "bytes");
    let path = scenario_file("badtoml", &format!("name = \"{long}\n"));
    refused(&demo(&["--scenario", path.to_str().unwrap()]), 2, "compare with a built-in scenario");
}

#[test]
fn an_explicit_port_that_is_taken_is_an_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = bluegreen(&["demo", "--plain", "--port", &port, "--script", ""]);
    refused(&out, 2, &format!("cannot listen on 127.0.0.1:{port}"));
}

#[test]
fn the_default_port_falls_back_and_says_so() {
    // Hold 8080 if it is free; if something else holds it, it is taken all the same.
    let _held = TcpListener::bind("127.0.0.1:8080");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .args(["demo", "--plain", "--script", "", "--hold"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.contains("load balancer: http://127.0.0.1:"), "{first}");
    assert!(first.trim_end().ends_with("(port 8080 is taken)"), "the first line says so: {first}");
    assert!(!first.contains(":8080/"), "{first}");
}

#[test]
fn plain_exits_130_on_sigint() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .args(["demo", "--plain", "--port", "0", "--script", "", "--hold"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep reading: a closed pipe would end it with a write error instead.
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let rest = std::thread::spawn(move || std::io::Read::read_to_end(&mut out, &mut Vec::new()));
    let status = child.wait().unwrap();
    let _ = rest.join();
    assert_eq!(status.code(), Some(130));
}

#[test]
fn plain_fails_when_its_output_cannot_be_written() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let out = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .args(["demo", "--plain", "--port", "0", "--speed", "20", "--script", "sleep 1"])
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write the output"), "{err}");
}

#[test]
fn plain_lines_come_out_in_time_order() {
    let out = demo(&["--speed", "8", "--rate", "20", "--script", "deploy; wait Ready; promote; wait Succeeded"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let times: Vec<&str> = text.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert!(times.len() > 40, "{text}");
    let kinds: std::collections::BTreeSet<&str> = text.lines().filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert!(kinds.contains("traffic") && kinds.contains("world") && kinds.contains("console"), "{kinds:?}");
    for pair in times.windows(2) {
        assert!(pair[0] <= pair[1], "{} then {}\n{text}", pair[0], pair[1]);
    }
}

#[test]
fn a_group_that_cannot_have_its_open_files_is_refused() {
    let base = bluegreen::cloud::sim::scenario::BUILTIN[0].1;
    let path = scenario_file("big", &base.replace("[group]", "[group]\ninstances = 500"));
    let bin = env!("CARGO_BIN_EXE_bluegreen");
    let script =
        format!("ulimit -n 1024 && exec {bin} demo --plain --port 0 --scenario {} --script ''", path.display());
    let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    refused(&out, 2, "open files");
    // With only the soft limit low, it is raised to the hard one.
    let script =
        format!("ulimit -Sn 1024 && exec {bin} demo --plain --port 0 --scenario {} --script ''", path.display());
    let mut child = Command::new("sh").arg("-c").arg(&script).stdout(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("load balancer:"), "it starts: {first}");
    let _ = child.kill();
    let _ = child.wait_timeout_or_kill(Duration::from_secs(5));
}

trait WaitTimeout {
    fn wait_timeout_or_kill(&mut self, limit: Duration) -> Option<std::process::ExitStatus>;
}

impl WaitTimeout for std::process::Child {
    fn wait_timeout_or_kill(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(s)) = self.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.kill();
        self.wait().ok()
    }
}

#[test]
fn completions_and_manual_pages_come_from_the_command_line_itself() {
    for shell in ["bash", "zsh", "fish"] {
        let out = bluegreen(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["demo", "probe", "wait-limit", "read-only", "fail-on-errors"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    let page = String::from_utf8(bluegreen(&["manual"]).stdout).unwrap();
    assert!(page.contains(".TH bluegreen 1") && page.contains("\\-\\-read\\-only"), "{page}");
    let demo = String::from_utf8(bluegreen(&["manual", "demo"]).stdout).unwrap();
    assert!(demo.contains(".TH bluegreen-demo 1") && demo.contains("\\-\\-scenario"), "{demo}");
    refused(&bluegreen(&["manual", "nope"]), 2, "no command 'nope'");
}
