//! The log file, for when AWS misbehaves: every AWS call with its
//! operation, latency, attempts and request id (never credentials), and
//! what the console did. It never goes to the terminal the console owns.
//! `RUST_LOG` sets the level (default `info`: a line per AWS call and the
//! console's own, none of the SDK's internals); the SDK's own logging is
//! capped at `debug` even when `RUST_LOG` asks for `trace`, since there it
//! writes whole response bodies. The file rotates by size ([`Rotating`]).
//!
//! Every state file (the log, the audit log, recordings) is created so that
//! only its owner may read it, and bluegreen's state directory so that
//! only its owner may list it: a shared workstation's other users see none
//! of it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::exit::Failure;

/// bluegreen's directory for state: `$XDG_STATE_HOME/bluegreen`, else
/// `~/.local/state/bluegreen`.
pub fn state_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| Path::new(&h).join(".local/state")))?;
    Some(base.join("bluegreen"))
}

/// Creates `dir` (and its missing parents) only its owner may list; the
/// state directory itself, made readable by an older bluegreen, is
/// tightened. A directory the user named is left as it is.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    private_dir_in(dir, state_dir().as_deref())
}

/// [`private_dir`], with bluegreen's state directory `state`.
fn private_dir_in(dir: &Path, state: Option<&Path>) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let ours = state.is_some_and(|state| dir.starts_with(state));
    if ours {
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

fn parent(path: &Path) -> Option<&Path> {
    path.parent().filter(|d| !d.as_os_str().is_empty())
}

/// Opens `path` to append, creating it (and its directory, see
/// [`private_dir`]) only its owner may read; a file of bluegreen's state
/// directory made readable before is tightened.
pub fn open_private(path: &Path) -> std::io::Result<File> {
    open_private_in(path, state_dir().as_deref())
}

/// [`open_private`], with bluegreen's state directory `state`.
fn open_private_in(path: &Path, state: Option<&Path>) -> std::io::Result<File> {
    if let Some(dir) = parent(path) {
        private_dir_in(dir, state)?;
    }
    let file = OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    if state.is_some_and(|state| path.starts_with(state)) && file.metadata()?.permissions().mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Creates a new file at `path` only its owner may read (never over one
/// that is there).
pub fn create_private(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = parent(path) {
        private_dir(dir)?;
    }
    OpenOptions::new().create_new(true).write(true).mode(0o600).open(path)
}

/// The log's size at which it rotates, and how many files are kept in all
/// (`bluegreen.log`, `.1`, `.2`): at most 30 MB.
pub const ROTATE_AT: u64 = 10 * 1024 * 1024;
pub const KEPT: usize = 3;

/// A file that, before a write would take it past `limit`, is renamed
/// `PATH.1` (the older ones to `.2` and on, the oldest beyond `keep`
/// files dropped) and started again. A write is never split across files.
#[derive(Debug)]
pub struct Rotating {
    path: PathBuf,
    file: File,
    written: u64,
    limit: u64,
    keep: usize,
}

impl Rotating {
    pub fn open(path: &Path, limit: u64, keep: usize) -> std::io::Result<Self> {
        let file = open_private(path)?;
        let written = file.metadata()?.len();
        Ok(Self { path: path.to_path_buf(), file, written, limit, keep: keep.max(1) })
    }

    fn numbered(&self, n: usize) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        for n in (1..self.keep).rev() {
            let from = if n == 1 { self.path.clone() } else { self.numbered(n - 1) };
            if from.exists() {
                std::fs::rename(&from, self.numbered(n))?;
            }
        }
        if self.keep == 1 {
            std::fs::remove_file(&self.path)?;
        }
        self.file = open_private(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

impl Write for Rotating {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written > 0 && self.written + buf.len() as u64 > self.limit {
            self.rotate()?;
        }
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// What is logged: `RUST_LOG`'s levels (or `info`), the SDK's internals
/// and hyper's never at `trace`.
fn filter(rust_log: Option<&str>) -> EnvFilter {
    let Some(wanted) = rust_log.filter(|w| !w.trim().is_empty()) else { return EnvFilter::new("info") };
    let filter = EnvFilter::try_new(wanted).unwrap_or_else(|_| EnvFilter::new("info"));
    if !wanted.to_ascii_lowercase().contains("trace") {
        return filter;
    }
    ["aws_smithy_runtime=debug", "aws_smithy_runtime_api=debug", "hyper=debug", "hyper_util=debug"]
        .into_iter()
        .fold(filter, |f, d| f.add_directive(d.parse().expect("a directive")))
}

/// Starts logging to `path` (or the default file); keep the guard until
/// the end so the last lines are written.
pub fn init(path: Option<PathBuf>) -> Result<(PathBuf, WorkerGuard), Failure> {
    let path = match path {
        Some(p) => p,
        None => state_dir()
            .ok_or_else(|| Failure::Usage("no place for the log file (hint: --log-file PATH, or set HOME)".into()))?
            .join("bluegreen.log"),
    };
    let cannot = |e: std::io::Error| {
        Failure::Usage(format!("cannot write the log file {}: {e} (hint: --log-file PATH)", path.display()))
    };
    let file = Rotating::open(&path, ROTATE_AT, KEPT).map_err(cannot)?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter(std::env::var("RUST_LOG").ok().as_deref()))
        .finish();
    // A second start in one process (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok((path, guard))
}

/// [`init`] for the commands that need no log file to work (`status`,
/// `wait`): a log file when one can be written, else none.
pub fn try_init() -> Option<WorkerGuard> {
    init(None).ok().map(|(_, guard)| guard)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    use super::{KEPT, ROTATE_AT, Rotating, create_private, open_private, open_private_in, private_dir};

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn state_files_are_their_owners_only_and_never_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let made = dir.path().join("a/b");
        private_dir(&made).unwrap();
        assert_eq!((mode(&dir.path().join("a")), mode(&made)), (0o700, 0o700));
        let log = made.join("x.log");
        open_private(&log).unwrap().write_all(b"one\n").unwrap();
        open_private(&log).unwrap().write_all(b"two\n").unwrap();
        assert_eq!((mode(&log), std::fs::read_to_string(&log).unwrap().as_str()), (0o600, "one\ntwo\n"), "appended");
        let new = made.join("r.jsonl");
        create_private(&new).unwrap();
        assert_eq!(mode(&new), 0o600);
        assert_eq!(create_private(&new).unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn what_an_older_bluegreen_left_readable_in_the_state_directory_is_tightened_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let set =
            |p: &std::path::Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        let (state, other) = (dir.path().join("state"), dir.path().join("elsewhere"));
        for d in [&state, &other] {
            std::fs::create_dir_all(d.join("sessions")).unwrap();
            set(&d.join("sessions"), 0o755);
            std::fs::write(d.join("sessions/old.log"), "").unwrap();
            set(&d.join("sessions/old.log"), 0o644);
        }
        for d in [&state, &other] {
            open_private_in(&d.join("sessions/old.log"), Some(&state)).unwrap();
        }
        assert_eq!((mode(&state.join("sessions")), mode(&state.join("sessions/old.log"))), (0o700, 0o600));
        assert_eq!((mode(&other.join("sessions")), mode(&other.join("sessions/old.log"))), (0o755, 0o644));
        // A file in a directory not there yet: the directory is made.
        open_private_in(&dir.path().join("new/x.log"), None).unwrap();
        assert_eq!(mode(&dir.path().join("new")), 0o700);
    }

    #[test]
    fn the_log_rotates_at_ten_megabytes_never_early_and_never_empty() {
        assert_eq!((ROTATE_AT, KEPT), (10 * 1_048_576, 3));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bluegreen.log");
        let one = std::path::PathBuf::from(format!("{}.1", path.display()));
        let mut log = Rotating::open(&path, 100, 3).unwrap();
        log.write_all(&[b'x'; 150]).unwrap();
        assert!(!one.exists(), "a first write longer than the limit goes into the empty file");
        let mut log = Rotating::open(&dir.path().join("b.log"), 100, 3).unwrap();
        log.write_all(&[b'x'; 50]).unwrap();
        log.write_all(&[b'x'; 50]).unwrap();
        assert!(
            !std::path::Path::new(&format!("{}.1", dir.path().join("b.log").display())).exists(),
            "up to the limit"
        );
        log.write_all(b"y").unwrap();
        assert_eq!(std::fs::read(format!("{}.1", dir.path().join("b.log").display())).unwrap().len(), 100);
    }

    #[test]
    fn the_log_rotates_before_a_write_would_pass_its_size_and_keeps_three_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bluegreen.log");
        let mut log = Rotating::open(&path, 100, 3).unwrap();
        let line = |n: usize| format!("{n:0>39}\n"); // 40 bytes
        for n in 0..10 {
            log.write_all(line(n).as_bytes()).unwrap();
        }
        log.flush().unwrap();
        let read = |suffix: &str| std::fs::read_to_string(format!("{}{suffix}", path.display())).unwrap_or_default();
        // Two lines a file (a third would pass 100 bytes); lines are never split.
        assert_eq!(read(""), line(8) + &line(9));
        assert_eq!(read(".1"), line(6) + &line(7));
        assert_eq!(read(".2"), line(4) + &line(5));
        assert!(!std::path::Path::new(&format!("{}.3", path.display())).exists(), "three files in all");
        assert_eq!((mode(&path), mode(std::path::Path::new(&format!("{}.1", path.display())))), (0o600, 0o600));
        // A log opened again counts what it already holds.
        let mut again = Rotating::open(&path, 100, 3).unwrap();
        again.write_all(line(10).as_bytes()).unwrap();
        assert_eq!(read(""), line(10));
        assert_eq!(read(".1"), line(8) + &line(9));
    }
}
