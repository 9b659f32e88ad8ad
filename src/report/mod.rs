//! The outputs without a screen, for people reading a log and for scripts:
//! the console's lines (`--plain`), `status` and `wait` (text and JSON),
//! the probe's lines and JSON. They share one writer, which ends quietly
//! when its reader goes away (`| head`), one way to watch the signals that
//! end a run, and one schema version for every JSON they print.

pub mod fleet;
pub mod lines;
pub mod probe;
pub mod status;

use std::io::{self, Write};

use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::exit::{Failure, SIGINT, SIGPIPE, SIGTERM};

/// The version of every JSON layout printed here; it grows only with
/// fields added.
pub const SCHEMA_VERSION: u32 = 1;

/// Lines to a reader: each written whole and flushed.
#[derive(Debug)]
pub struct Out<W: Write> {
    pub(crate) inner: W,
}

impl<W: Write> Out<W> {
    pub fn new(inner: W) -> Self {
        Self { inner }
    }

    /// Writes one line and flushes it.
    pub fn line(&mut self, text: &str) -> Result<(), Failure> {
        writeln!(self.inner, "{text}").and_then(|()| self.inner.flush()).map_err(failed)
    }

    /// Writes `text` as it is (a document with its own line ends), then flushes.
    pub fn text(&mut self, text: &[u8]) -> Result<(), Failure> {
        self.inner.write_all(text).and_then(|()| self.inner.flush()).map_err(failed)
    }

    /// Writes lines, then flushes once.
    pub fn lines<'a>(&mut self, lines: impl IntoIterator<Item = &'a str>) -> Result<(), Failure> {
        for text in lines {
            writeln!(self.inner, "{text}").map_err(failed)?;
        }
        self.inner.flush().map_err(failed)
    }
}

/// A write that failed: the reader went away (end quietly, as SIGPIPE
/// would), or something else to say.
#[expect(clippy::needless_pass_by_value, reason = "used as map_err(failed)")]
fn failed(e: io::Error) -> Failure {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return Failure::Signal(SIGPIPE);
    }
    Failure::Failed(format!("cannot write the output: {e} (hint: is the disk full?)"))
}

/// SIGINT and SIGTERM, which end a run without a screen (after what it
/// printed so far, and its summary where it has one).
#[derive(Debug)]
pub struct Interrupts {
    int: Signal,
    term: Signal,
}

impl Interrupts {
    /// Starts watching; from now on the signals no longer kill the process.
    pub fn new() -> Result<Self, Failure> {
        let watch = |kind| signal(kind).map_err(|e| Failure::Failed(format!("cannot watch signals: {e}")));
        Ok(Self { int: watch(SignalKind::interrupt())?, term: watch(SignalKind::terminate())? })
    }

    /// Waits for one; gives the failure it ends the run with.
    pub async fn recv(&mut self) -> Failure {
        tokio::select! {
            _ = self.int.recv() => Failure::Signal(SIGINT),
            _ = self.term.recv() => Failure::Signal(SIGTERM),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that went away.
    struct Gone;

    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A disk that is full.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("No space left on device"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_reader_that_went_away_ends_quietly_and_a_full_disk_says_so() {
        assert_eq!(Out::new(Gone).line("x"), Err(Failure::Signal(SIGPIPE)));
        assert_eq!(Failure::Signal(SIGPIPE).line(), None, "nothing on stderr");
        let full = Out::new(Full).lines(["a", "b"]).unwrap_err();
        assert!(full.line().is_some_and(|l| l.contains("No space left") && l.contains("hint")), "{full:?}");
        let mut out = Out::new(Vec::new());
        out.lines(["a", "b"]).unwrap();
        out.line("c").unwrap();
        assert_eq!(out.inner, b"a\nb\nc\n");
    }
}
