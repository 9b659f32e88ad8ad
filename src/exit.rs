//! How a run ends, as an exit code and one line for stderr:
//! 0 done, 1 a deployment or a story failed, 2 bad usage or input (nothing
//! was changed), 124 a wait ran out, 130 interrupted (and 128 + N for the
//! other signals that end it).

use std::process::ExitCode;

/// Why a run did not end well.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// Bad usage or input, found before anything changed (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Something was tried and failed (exit 1).
    #[error("{0}")]
    Failed(String),
    /// A wait ran out (exit 124).
    #[error("{0}")]
    TimedOut(String),
    /// Ended by a signal (SIGINT is 130).
    #[error("stopped by signal {0}")]
    Signal(i32),
    /// An exit code that says it all (what the output printed explains it):
    /// `status` and `wait` exit 1 for a failed deployment, 3 for one in
    /// progress.
    #[error("exit {0}")]
    Quiet(u8),
}

impl Failure {
    pub fn code(&self) -> u8 {
        match self {
            Self::Failed(_) => 1,
            Self::Usage(_) => 2,
            Self::TimedOut(_) => 124,
            Self::Signal(n) => 128u8.saturating_add(u8::try_from(*n).unwrap_or(127)),
            Self::Quiet(code) => *code,
        }
    }

    /// The line for stderr; a signal needs none.
    pub fn line(&self) -> Option<String> {
        match self {
            Self::Signal(_) | Self::Quiet(_) => None,
            other => Some(crate::domain::clean(&other.to_string(), 2000)),
        }
    }
}

/// Prints the failure's line (if any) and gives its exit code.
pub fn report(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if let Some(line) = failure.line() {
                eprintln!("bluegreen: {line}");
            }
            ExitCode::from(failure.code())
        }
    }
}

/// SIGINT's number, for [`Failure::Signal`].
pub const SIGINT: i32 = 2;
/// SIGHUP's number.
pub const SIGHUP: i32 = 1;
/// SIGTERM's number.
pub const SIGTERM: i32 = 15;
/// SIGPIPE's number (the reader of our output went away).
pub const SIGPIPE: i32 = 13;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(Failure::Failed(String::new()).code(), 1);
        assert_eq!(Failure::Usage(String::new()).code(), 2);
        assert_eq!(Failure::TimedOut(String::new()).code(), 124);
        assert_eq!(Failure::Signal(SIGINT).code(), 130);
        assert_eq!(Failure::Signal(SIGTERM).code(), 143);
        assert_eq!(Failure::Signal(SIGINT).line(), None);
        assert_eq!(Failure::Usage("a\u{1b}[2Jb".into()).line().as_deref(), Some("a[2Jb"));
    }
}
