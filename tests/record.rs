//! Recordings through the built binary: a demo session recorded, replayed
//! with `--plain` (the same lines), cast (valid asciicast v2, the same bytes
//! twice, the verdict on its last frame), and bad files refused in a line.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const STORY: &str = "deploy; wait Ready; promote; wait Succeeded; sleep 100; reattach; cleanup";

fn bluegreen(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .env("XDG_STATE_HOME", state)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn lines(out: &Output) -> Vec<String> {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "exit {:?}\n{text}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    text.lines().map(str::to_string).collect()
}

/// One line on stderr with a hint, exit 2, nothing on stdout.
fn refused(out: &Output, says: &str) {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "exit 2: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("hint") && err.contains(says), "'{says}' with a hint: {err}");
    assert!(out.stdout.is_empty(), "nothing printed: {}", String::from_utf8_lossy(&out.stdout));
    assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "no control characters: {err:?}");
}

#[test]
fn a_recorded_demo_replays_as_it_printed_and_casts_the_same_bytes_twice() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let file = dir.path().join("recordings").join("cutover.jsonl");
    let file_arg = file.to_str().unwrap();
    let args = ["demo", "--plain", "--port", "0", "--speed", "20", "--script", STORY, "--record", file_arg];
    let live = lines(&bluegreen(&state, &args));
    assert!(live.iter().any(|l| l.contains("Reattach blue")), "the story reattached: {live:#?}");
    assert!(live.iter().any(|l| l.contains("deleted with its instances")), "and cleaned up: {live:#?}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600, "only its owner reads a recording");
    assert_eq!(mode(file.parent().unwrap()), 0o700, "a directory made for it only its owner lists");
    assert!(!state.join("bluegreen/sessions").exists(), "the demo records only when asked");
    // For people reading it: the plans, the calls they made, the verdicts, the end.
    let text = std::fs::read_to_string(&file).unwrap();
    for said in [
        r#""plan":{"event":"shown","text":"Reroute traffic to green now"#,
        r#""plan":{"event":"confirmed","text":"Reroute traffic to green now"#,
        r#""plan":{"event":"done","text":"d-"#,
        r#""call":{"operation":"ContinueDeployment""#,
        r#""verdict":"cutover 09:"#,
        r#""end":{"reason":"quit"}"#,
    ] {
        assert!(text.contains(said), "{said} in the recording");
    }

    // Replayed with no network at all: the same lines, apart from the
    // summary the live run printed after the traffic it kept measuring.
    let replayed = lines(&bluegreen(&state, &["replay", "--plain", file_arg]));
    let body = |l: &[String]| l.iter().filter(|l| !l.contains(" summary ")).cloned().collect::<Vec<_>>();
    assert_eq!(body(&replayed), body(&live), "replay --plain prints what --plain printed");
    assert!(replayed.last().unwrap().contains(" summary "), "{replayed:#?}");

    // The cast: asciicast v2, times never going back, drawn the same twice.
    let cast = dir.path().join("cutover.cast");
    let cast_arg = cast.to_str().unwrap();
    let out = bluegreen(&state, &["replay", file_arg, "--cast", cast_arg, "--size", "120x40"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&cast).unwrap();
    std::fs::remove_file(&cast).unwrap();
    assert!(bluegreen(&state, &["replay", file_arg, "--cast", cast_arg, "--size", "120x40"]).status.success());
    assert_eq!(std::fs::read(&cast).unwrap(), bytes, "the same recording casts the same bytes");
    let text = String::from_utf8(bytes).unwrap();
    let mut rows = text.lines();
    let header: serde_json::Value = serde_json::from_str(rows.next().unwrap()).unwrap();
    assert_eq!(
        (header["version"].as_u64(), header["width"].as_u64(), header["height"].as_u64()),
        (Some(2), Some(120), Some(40))
    );
    let mut screen = vt100::Parser::new(40, 120, 0);
    let (mut last, mut frames) = (0.0, 0);
    for row in rows {
        let event: serde_json::Value = serde_json::from_str(row).expect("every line is JSON");
        let (time, kind, data) = (event[0].as_f64().unwrap(), event[1].as_str().unwrap(), event[2].as_str().unwrap());
        assert!(time >= last, "times never go back: {time} after {last}");
        assert!(time - last <= 2.0 + 1e-6, "no pause over the idle limit: {time} after {last}");
        assert_eq!(kind, "o");
        screen.process(data.as_bytes());
        last = time;
        frames += 1;
    }
    assert!(frames > 20, "{frames} frames");
    let end = screen.screen().contents();
    let verdict = end.contains("Verdicts (newest first):") && end.contains("cutover 09:");
    assert!(verdict && end.contains("replay · demo · manual-reroute"), "the last frame shows the verdict:\n{end}");
}

#[test]
fn bad_recordings_are_one_line_with_a_hint_and_a_cut_last_line_is_read_up_to() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    };
    let replay = |path: &str| bluegreen(&state, &["replay", "--plain", path]);
    refused(&replay(&write("empty.jsonl", b"")), "the file is empty");
    refused(&replay(&dir.path().join("missing.jsonl").display().to_string()), "cannot read the recording");
    let header = r#"{"schema_version":1,"bluegreen":"0.1.0","commit":"x","mode":"aws","source":"aws","start":"2026-11-27T09:00:00Z","first":[[1795683600000,"aws","watching a/b in us-east-1"]]}"#;
    let tick = r#"{"t":10,"tick":{"world":1795683600000,"pace":1.0,"real":10}}"#;
    refused(&replay(&write("v2.jsonl", header.replace(":1,", ":2,").as_bytes())), "its schema_version is 2");
    refused(
        &replay(&write("not-json.jsonl", format!("{header}\n{{\"t\":\n{tick}\n").as_bytes())),
        "line 2 is not JSON",
    );
    let escape = tick.replace("\"pace\"", "\"x\":\"\\u001b[2J\",\"pace\"");
    refused(&replay(&write("escape.jsonl", format!("{header}\n{escape}\n").as_bytes())), "control character");
    let notice = format!("{{\"t\":20,\"notice\":\"{}\"}}", "x".repeat(10 * 1024 * 1024));
    refused(&replay(&write("huge.jsonl", format!("{header}\n{notice}\n").as_bytes())), "10.0 MB long");
    refused(
        &replay(&write(
            "back.jsonl",
            format!("{header}\n{}\n{tick}\n", tick.replace("\"t\":10", "\"t\":99")).as_bytes(),
        )),
        "goes back in time",
    );
    refused(&replay(&write("no-header.jsonl", format!("{tick}\n").as_bytes())), "not a recording's header");

    // Killed mid-line: read up to the last whole line, with a note.
    let cut = write("cut.jsonl", format!("{header}\n{tick}\n{{\"t\":20,\"noti").as_bytes());
    let out = replay(&cut);
    let printed = lines(&out);
    assert_eq!(
        printed.first().map(String::as_str),
        Some("09:00:00 aws      watching a/b in us-east-1"),
        "{printed:#?}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the last line (3) is cut short: read up to line 2"), "{err}");

    refused(&bluegreen(&state, &["replay", &cut, "--speed", "5000"]), "--speed 5000 is out of range");
    refused(&bluegreen(&state, &["replay", &cut, "--cast", "x.cast", "--size", "20x5"]), "--size '20x5'");
}

/// Records the demo's story to `file` (fast), failing the test if it fails.
fn record_demo(state: &Path, file: &Path) {
    let file = file.to_str().unwrap();
    lines(&bluegreen(state, &["demo", "--plain", "--port", "0", "--speed", "20", "--script", STORY, "--record", file]));
}

#[test]
fn the_replay_console_pauses_jumps_to_the_promote_and_the_verdict_and_cannot_act() {
    let dir = tempfile::tempdir().unwrap();
    let (state, file) = (dir.path().join("state"), dir.path().join("cutover.jsonl"));
    record_demo(&state, &file);
    let state_env = state.to_str().unwrap();
    let screen =
        crate::pty::Pty::start_with(&["replay", file.to_str().unwrap()], &[("XDG_STATE_HOME", state_env)], 120, 40);
    screen.wait_for("the replay", |t| t.contains("replay · demo · manual-reroute") && t.contains(" replay playing 1×"));
    screen.press(" ");
    screen.wait_for("paused", |t| t.contains(" replay paused 1×"));
    screen.press("\x1b[H");
    screen.wait_for("the start", |t| t.contains("the start"));
    let bar = |t: &str| t.lines().last().unwrap_or_default().to_string();
    let mut seen = Vec::new();
    for want in ["ContinueDeployment sent", "a cutover's verdict"] {
        for _ in 0..30 {
            if bar(&screen.text()).contains(want) {
                break;
            }
            let before = screen.text();
            screen.press("]");
            screen.wait_for("the next moment", |t| bar(t) != bar(&before));
            seen.push(bar(&screen.text()));
        }
        assert!(bar(&screen.text()).contains(want), "`]` reaches {want}: {seen:#?}");
    }
    let verdict = screen.text();
    assert!(verdict.contains("cutover 09:"), "the verdict is on screen:\n{verdict}");
    screen.press("[");
    screen.wait_for("a moment back", |t| bar(t) != bar(&verdict) && bar(t).contains("moment "));
    screen.press("p");
    screen.wait_for("the refusal", |t| bar(t).contains("a recording cannot act"));
    assert!(!screen.text().contains("Plan:"), "no plan opens");
    screen.press("q");
    let mut screen = screen;
    assert_eq!(screen.exit_code(), 0);
    screen.given_back().unwrap();
}

#[test]
fn a_session_killed_with_sigkill_leaves_a_recording_that_replays() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("killed.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .args(["demo", "--plain", "--port", "0", "--speed", "5", "--script", STORY, "--record", file.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("\"end\""), "killed before its end");
    let out = bluegreen(&dir.path().join("state"), &["replay", "--plain", file.to_str().unwrap()]);
    let printed = lines(&out);
    assert!(printed.iter().any(|l| l.contains("deployment d-") && l.contains("created")), "{printed:#?}");
    assert!(printed.last().unwrap().contains(" summary "), "{printed:#?}");
}
