//! The built binary in a pseudo-terminal, as a user runs it: keys in, the
//! screen read back with a terminal emulator, the process's state and the
//! terminal's modes checked from outside.

use std::io::{Read, Write};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// The binary running in a pseudo-terminal.
pub struct Pty {
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
    pub fn start(args: &[&str], cols: u16, rows: u16) -> Self {
        Self::start_with(args, &[], cols, rows)
    }

    /// Starts it with these environment variables set (and the rest inherited).
    pub fn start_with(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Self {
        let pty = native_pty_system();
        let pair = pty.openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_bluegreen"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
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

    pub fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn press(&self, keys: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(keys.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("a process id")
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill").arg(format!("-{name}")).arg(self.pid().to_string()).status().unwrap();
        assert!(ok.success(), "kill -{name}");
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        self.parser.lock().unwrap().screen_mut().set_size(rows, cols);
    }

    pub fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
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
    pub fn state(&self) -> char {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        stat.rsplit(") ").next().and_then(|s| s.chars().next()).unwrap_or('?')
    }

    pub fn wait_state(&self, what: &str, done: impl Fn(char) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(self.state()) {
            assert!(Instant::now() < deadline, "waited for the process to be {what}; it is {}", self.state());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the terminal is back to what a shell expects: the alternate
    /// screen left and the cursor shown after the program last took them,
    /// and the line discipline echoing and in canonical mode.
    /// The bytes written before a stop may still be on their way from the
    /// pseudo-terminal to the reader thread: the check is retried for up to
    /// two seconds.
    pub fn given_back(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match self.given_back_now() {
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                done => return done,
            }
        }
    }

    fn given_back_now(&self) -> Result<(), String> {
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

    /// How many bytes the program has written so far.
    #[allow(dead_code, reason = "read by benches/rest.rs")]
    pub fn bytes(&self) -> usize {
        self.raw.lock().unwrap().len()
    }

    pub fn alt_screens_entered(&self) -> usize {
        self.raw.lock().unwrap().windows(ALT_SCREEN_ON.len()).filter(|w| *w == ALT_SCREEN_ON).count()
    }

    pub fn exit_code(&mut self) -> u32 {
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
