//! One second of probing: how many requests were due in it, how many
//! failed and of which kind, which versions answered, and the slowest
//! request. Its mix (each version's share of all requests, failed requests
//! as a share of their own) is the one definition the traffic panel, the
//! event log and `--plain` use.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::ErrorKind;

/// The name failed requests go by in a mix.
pub const FAILED: &str = "failed";
/// One second of probing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Second {
    /// Seconds since probing started.
    pub index: u64,
    pub requests: u32,
    pub failures: u32,
    /// Successful answers by version.
    pub versions: BTreeMap<String, u32>,
    /// Failed requests by kind.
    pub errors: BTreeMap<ErrorKind, u32>,
    /// The slowest request's latency.
    pub worst: Duration,
    /// TLS handshakes its requests paid for (new connections over HTTPS),
    /// and the slowest of them.
    pub handshakes: u32,
    pub worst_handshake: Duration,
    /// When each kind of answer (a version, or [`FAILED`]) was first due
    /// in this second, from the second's start: where a change in the mix
    /// took place within it.
    pub firsts: BTreeMap<String, Duration>,
    /// …and when each was last due: where one stopped.
    pub lasts: BTreeMap<String, Duration>,
}

impl Second {
    /// What was served this second, as shares of all its requests in
    /// percent: each version, then failed requests as a share of their own,
    /// so a version never reads 100% while requests fail.
    pub fn mix(&self) -> Vec<(String, u32)> {
        let all = self.requests.max(1);
        let pct = |n: u32| (n * 100 + all / 2) / all;
        let mut mix: Vec<(String, u32)> = self.versions.iter().map(|(v, n)| (v.clone(), pct(*n))).collect();
        if self.failures > 0 {
            mix.push((FAILED.to_string(), pct(self.failures)));
        }
        mix
    }

    /// The kinds of answer this second had: its versions, and `failed`.
    pub fn classes(&self) -> Vec<String> {
        self.mix().into_iter().map(|(class, _)| class).collect()
    }

    /// When the first request of a kind of answer not in `before` was due,
    /// from the second's start; none when every kind was there before.
    pub fn first_new(&self, before: &[String]) -> Option<Duration> {
        self.firsts.iter().filter(|(class, _)| !before.contains(class)).map(|(_, at)| *at).min()
    }

    /// When the last request of a kind of answer in `gone` was due, from
    /// the second's start (the latest of them).
    pub fn last_of(&self, gone: &[String]) -> Option<Duration> {
        self.lasts.iter().filter(|(class, _)| gone.contains(class)).map(|(_, at)| *at).max()
    }

    /// `v1 50% v2 30% failed 20%`.
    pub fn mix_words(&self) -> String {
        self.mix().iter().map(|(c, p)| format!("{c} {p}%")).collect::<Vec<_>>().join(" ")
    }

    /// `2 5xx, 1 refused`.
    pub fn error_words(&self) -> String {
        super::error_words(self.errors.iter().map(|(k, n)| (k, u64::from(*n))))
    }
}

impl fmt::Display for Second {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} req  {} failed", self.requests, self.failures)?;
        for (v, p) in self.mix().iter().filter(|(v, _)| v != FAILED) {
            write!(f, "  {v} {p}%")?;
        }
        if self.failures > 0 {
            write!(f, "  ({})", self.error_words())?;
        }
        if self.handshakes > 0 {
            let slowest = crate::domain::millis(self.worst_handshake);
            let s = if self.handshakes == 1 { "" } else { "s" };
            write!(f, "  {} TLS handshake{s}, slowest {slowest}", self.handshakes)?;
        }
        Ok(())
    }
}
