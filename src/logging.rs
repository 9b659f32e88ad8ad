//! The log file, for when AWS misbehaves: every AWS call with its
//! operation, latency, attempts and request id (never credentials), and
//! what the console did. It never goes to the terminal the console owns.
//! `RUST_LOG` sets the level (default `info`); the SDK's own logging is
//! capped at `debug`, since at `trace` it writes whole response bodies.

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
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive("aws_smithy_runtime=debug".parse().expect("a directive"))
        .add_directive("aws_smithy_runtime_api=debug".parse().expect("a directive"))
        .add_directive("hyper=info".parse().expect("a directive"));
    let subscriber = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).finish();
    // A second start in one process (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok((path, guard))
}
