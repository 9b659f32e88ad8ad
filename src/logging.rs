//! The log file, for when AWS misbehaves: every AWS call with its
//! operation, latency, attempts and request id (never credentials), and
//! what the console did. It never goes to the terminal the console owns.
//! `RUST_LOG` sets the level (default `info`: a line per AWS call and the
//! console's own, none of the SDK's internals); the SDK's own logging is
//! capped at `debug` even when `RUST_LOG` asks for `trace`, since there it
//! writes whole response bodies.

use std::fs::OpenOptions;
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
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(cannot)?;
    }
    let file = OpenOptions::new().create(true).append(true).open(&path).map_err(cannot)?;
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
