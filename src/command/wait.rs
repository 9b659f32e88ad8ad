//! `bluegreen wait`: follows the deployment in progress until it ends, a
//! line per change; exits as `status` does, or 124 when `--timeout` runs
//! out. It never changes anything.

use std::time::Duration;

use tokio::time::Instant;

use super::runtime;
use crate::app::log;
use crate::cloud::Cloud;
use crate::cloud::aws::{self, Target};
use crate::domain::{DeploymentStatus, clean};
use crate::exit::Failure;
use crate::report::status::Standing;
use crate::report::{Interrupts, Out};

/// Which group, for how long, how often.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    /// Give up after this long [default: no limit].
    pub timeout: Option<Duration>,
    /// How often to look.
    pub every: Duration,
}

/// Follows the active deployment until it ends.
pub fn follow(opts: &Options) -> Result<(), Failure> {
    runtime()?.block_on(follow_on(opts))
}

async fn follow_on(opts: &Options) -> Result<(), Failure> {
    let _log = crate::logging::try_init();
    let mut interrupts = Interrupts::new()?;
    let target = Target { read_only: true, ..opts.target.clone() };
    let cloud = aws::connect(&target).await?;
    let deadline = opts.timeout.map(|t| Instant::now() + t);
    let mut prev =
        cloud.observe().await.map_err(|e| Failure::Failed(format!("cannot look at the deployment group: {e}")))?;
    let mut out = Out::new(std::io::stdout());
    let Some(id) = prev.active.as_ref().map(|d| d.id.clone()) else {
        let standing = Standing::of(&prev);
        let last = prev.latest().map_or(String::new(), |d| format!("; the last, {}, {}", d.id, d.status));
        out.line(&format!("{} nothing to wait for: no deployment in progress{last}", prev.at))?;
        return standing.result();
    };
    let status = prev.active.as_ref().map_or("", |d| d.status.as_str());
    out.line(&format!("{} waiting for deployment {id} ({status})", prev.at))?;
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            let status = prev.active.as_ref().map_or("ended", |d| d.status.as_str()).to_string();
            return Err(Failure::TimedOut(format!(
                "deployment {id} is still {status} after {} (hint: a longer --timeout, or bluegreen status)",
                crate::domain::short(opts.timeout.unwrap_or_default())
            )));
        }
        let pause = left.map_or(opts.every, |l| l.min(opts.every));
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            failure = interrupts.recv() => return Err(failure),
        }
        let next = match cloud.observe().await {
            Ok(o) => o,
            Err(e) => {
                out.line(&clean(&format!("could not look: {e}; trying again"), 500))?;
                continue;
            }
        };
        for entry in log::diff(&prev, &next) {
            out.line(&clean(&format!("{} {}", entry.at, entry.text), 500))?;
        }
        if next.active.as_ref().is_none_or(|d| d.id != id) {
            let done = next.last.as_ref().filter(|d| d.id == id).or(next.latest());
            let standing = done.map_or(Standing::None, |d| match d.status {
                DeploymentStatus::Succeeded => Standing::Succeeded,
                DeploymentStatus::Stopped => Standing::Stopped,
                _ => Standing::Failed,
            });
            let status = done.map_or("ended", |d| d.status.as_str());
            out.line(&format!("{} deployment {id} ended: {status}", next.at))?;
            return standing.result();
        }
        prev = next;
    }
}
