//! The built binary in a pseudo-terminal, as a user runs it: deploy, wait
//! for Ready, promote, and read the screen back; fetch the URL it shows;
//! and every way out or away (SIGINT, Ctrl-Z, SIGTSTP and `fg`) gives the
//! terminal back as it was.

use std::io::{Read, Write};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// The binary running in a pseudo-terminal.
struct Pty {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    /// Every byte the program wrote.
    raw: Arc<Mutex<Vec<u8>>>,
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
}

const ALT_SCREEN_ON: &[u8] = b"\x1b[?1049h";
const ALT_SCREEN_OFF: &[u8] = b"\x1b[?1049l";
const CURSOR_SHOWN: &[u8] = b"\x1b[?25h";

impl Pty {
    fn start(args: &[&str], cols: u16, rows: u16) -> Self {
        let pty = native_pty_system();
        let pair = pty.openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_bluegreen"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let writer: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pair.master.try_clone_reader().unwrap();
        {
            let (parser, writer, raw) = (parser.clone(), writer.clone(), raw.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    // Answer cursor-position queries as a terminal would.
                    if buf[..n].windows(4).any(|w| w == b"\x1b[6n") {
                        let _ = writer.lock().unwrap().write_all(b"\x1b[1;1R");
                    }
                    raw.lock().unwrap().extend_from_slice(&buf[..n]);
                    parser.lock().unwrap().process(&buf[..n]);
                }
            });
        }
        Self { parser, writer, raw, child, master: pair.master }
    }

    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn press(&self, keys: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(keys.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    fn pid(&self) -> u32 {
        self.child.process_id().expect("a process id")
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill").arg(format!("-{name}")).arg(self.pid().to_string()).status().unwrap();
        assert!(ok.success(), "kill -{name}");
    }

    fn resize(&self, cols: u16, rows: u16) {
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        self.parser.lock().unwrap().screen_mut().set_size(rows, cols);
    }

    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let text = self.text();
            if done(&text) {
                return text;
            }
            assert!(Instant::now() < deadline, "waited for {what}; the screen reads:\n{text}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The process state letter from /proc (`T` when stopped).
    fn state(&self) -> char {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        stat.rsplit(") ").next().and_then(|s| s.chars().next()).unwrap_or('?')
    }

    fn wait_state(&self, what: &str, done: impl Fn(char) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(self.state()) {
            assert!(Instant::now() < deadline, "waited for the process to be {what}; it is {}", self.state());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the terminal is back to what a shell expects: the alternate
    /// screen left and the cursor shown after the program last took them,
    /// and the line discipline echoing and in canonical mode.
    fn given_back(&self) -> Result<(), String> {
        let raw = self.raw.lock().unwrap().clone();
        let last = |pat: &[u8]| raw.windows(pat.len()).rposition(|w| w == pat);
        let on = last(ALT_SCREEN_ON).ok_or("the alternate screen was never entered")?;
        match (last(ALT_SCREEN_OFF), last(CURSOR_SHOWN)) {
            (Some(off), Some(shown)) if off > on && shown > on => {}
            other => return Err(format!("alternate screen or cursor not restored: {other:?} after {on}")),
        }
        let tty = self.master.tty_name().ok_or("no tty name")?;
        let stty = Command::new("stty").arg("-a").arg("-F").arg(&tty).output().map_err(|e| e.to_string())?;
        let flags = String::from_utf8_lossy(&stty.stdout).replace(';', " ");
        let words: Vec<&str> = flags.split_whitespace().collect();
        if words.contains(&"echo") && words.contains(&"icanon") {
            Ok(())
        } else {
            Err(format!("the line discipline is still raw: {flags}"))
        }
    }

    fn alt_screens_entered(&self) -> usize {
        self.raw.lock().unwrap().windows(ALT_SCREEN_ON.len()).filter(|w| *w == ALT_SCREEN_ON).count()
    }

    fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            assert!(Instant::now() < deadline, "the program did not end");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn console(text: &str) -> bool {
    text.contains("BLUE · original · serving") && text.contains("v1  █")
}

/// The traffic panel's lines (right of the event log).
fn traffic_panel(text: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(at) = line.find("┌ Traffic") {
            inside = true;
            out.push(line[at..].to_string());
            continue;
        }
        if inside {
            let cells: Vec<&str> = line.split('│').collect();
            if cells.len() >= 4 {
                out.push(cells[3].trim().to_string());
            }
        }
    }
    out
}

#[test]
fn deploy_promote_in_a_real_terminal() {
    let mut screen = Pty::start(&["demo", "--port", "0", "--speed", "4"], 120, 40);
    screen.wait_for("the console", console);
    screen.press("d");
    screen.wait_for("the deploy plan", |t| t.contains("Plan: Deploy v2"));
    screen.press("y");
    screen.wait_for("Ready", |t| t.contains(" Ready ") && t.contains("ready-wait"));
    screen.press("p");
    screen.wait_for("the promote plan", |t| t.contains("Plan: Reroute traffic to green now"));
    screen.press("y");
    let text = screen.wait_for("green serving v2 only", |t| {
        let panel = traffic_panel(t);
        t.contains("GREEN · replacement · serving")
            && panel.iter().any(|l| l.starts_with("v2") && l.ends_with("100%"))
            && !panel.iter().any(|l| l.starts_with("v1 "))
    });
    let panel = traffic_panel(&text);
    assert!(panel.iter().any(|l| l.contains(" 0 failed in the last 60s")), "no failed request: {panel:#?}");
    assert!(text.contains("BLUE · original · idle"), "{text}");

    let url = text
        .split("Traffic  ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the URL on screen")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let body = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let client = bluegreen::demo::http::client(false);
            let req = hyper::Request::get(url).body(bluegreen::demo::http::Body::default()).unwrap();
            let resp = client.request(req).await.unwrap();
            let bytes = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
            String::from_utf8_lossy(&bytes).into_owned()
        })
    })
    .join()
    .unwrap();
    assert!(body.starts_with("<h1>application version: 2</h1>"), "{body}");

    screen.press("q");
    assert_eq!(screen.exit_code(), 0);
    screen.given_back().unwrap();
}

#[test]
fn sigint_from_outside_exits_130_and_gives_the_terminal_back() {
    let mut screen = Pty::start(&["demo", "--port", "0"], 100, 30);
    screen.wait_for("the console", console);
    screen.signal("INT");
    assert_eq!(screen.exit_code(), 130, "SIGINT ends it like q, with 130");
    screen.given_back().unwrap();
}

#[test]
fn ctrl_z_suspends_and_fg_takes_the_screen_back() {
    let mut screen = Pty::start(&["demo", "--port", "0"], 100, 30);
    screen.wait_for("the console", console);
    screen.press("\x1a");
    screen.wait_state("stopped", |s| s == 'T');
    screen.given_back().unwrap();
    let entered = screen.alt_screens_entered();
    screen.signal("CONT");
    screen.wait_state("running again", |s| s != 'T');
    screen.wait_for("the console again", |t| console(t) && !t.contains('$'));
    assert!(screen.alt_screens_entered() > entered, "it took the alternate screen again");
    screen.press("d");
    screen.wait_for("keys work after resuming", |t| t.contains("Plan: Deploy v2"));
    screen.press("\x1b");
    // A lone Esc, not the start of Alt-q.
    screen.wait_for("the plan closed", |t| !t.contains("Plan: Deploy v2"));
    screen.press("q");
    assert_eq!(screen.exit_code(), 0);
    screen.given_back().unwrap();
}

#[test]
fn sigtstp_from_outside_suspends_too() {
    let mut screen = Pty::start(&["demo", "--port", "0"], 100, 30);
    screen.wait_for("the console", console);
    screen.signal("TSTP");
    screen.wait_state("stopped", |s| s == 'T');
    screen.given_back().unwrap();
    screen.signal("CONT");
    screen.wait_state("running again", |s| s != 'T');
    screen.wait_for("a repaint", console);
    screen.press("q");
    assert_eq!(screen.exit_code(), 0);
}

#[test]
fn keys_pressed_on_a_too_small_screen_do_nothing() {
    let mut screen = Pty::start(&["demo", "--port", "0"], 60, 20);
    screen.wait_for("the notice", |t| t.contains("terminal too small"));
    screen.press("dy\r");
    std::thread::sleep(Duration::from_millis(500));
    screen.resize(120, 40);
    let text = screen.wait_for("the console", console);
    std::thread::sleep(Duration::from_secs(2));
    let text = if text.contains("Deployment · none yet") { screen.text() } else { text };
    assert!(text.contains("Deployment · none yet"), "nothing was deployed:\n{text}");
    assert!(!text.contains("Plan:"), "no plan was opened:\n{text}");
    screen.press("q");
    assert_eq!(screen.exit_code(), 0);
}

#[test]
fn hold_is_refused_where_the_console_would_open() {
    let mut screen = Pty::start(&["demo", "--port", "0", "--hold"], 100, 30);
    assert_eq!(screen.exit_code(), 2);
    let text = screen.wait_for("the error", |t| t.contains("--hold only applies to --plain"));
    assert!(text.contains("hint"), "{text}");
}
