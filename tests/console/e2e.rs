//! The built binary in a pseudo-terminal, as a user runs it: deploy, wait
//! for Ready, promote, and read the screen back; then fetch the URL it shows.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl Screen {
    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn press(&self, keys: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(keys.as_bytes()).unwrap();
        w.flush().unwrap();
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
    let pty = native_pty_system();
    let pair = pty.openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_bluegreen"));
    cmd.args(["demo", "--port", "0", "--speed", "4"]);
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let parser = Arc::new(Mutex::new(vt100::Parser::new(40, 120, 0)));
    let writer: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
    let mut reader = pair.master.try_clone_reader().unwrap();
    {
        let (parser, writer) = (parser.clone(), writer.clone());
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
                parser.lock().unwrap().process(&buf[..n]);
            }
        });
    }
    let screen = Screen { parser, writer };

    screen.wait_for("the console", |t| t.contains("BLUE · original · serving") && t.contains("v1  █"));
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
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "q did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
}
