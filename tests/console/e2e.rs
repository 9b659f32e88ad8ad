//! The built binary in a pseudo-terminal, as a user runs it: deploy, wait
//! for Ready, promote, and read the screen back; fetch the URL it shows;
//! and every way out or away (SIGINT, Ctrl-Z, SIGTSTP and `fg`) gives the
//! terminal back as it was.

use std::time::Duration;

use crate::pty::Pty;

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
    screen.wait_for("Ready", |t| t.contains(" Ready ") && t.contains("reroute within 60m, then the deployment stops"));
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
            let client = bluegreen::net::client(false);
            let req = hyper::Request::get(url).body(bluegreen::net::Body::default()).unwrap();
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
