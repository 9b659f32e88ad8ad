//! The console without a screen, for scripts and CI: `bluegreen status`
//! prints one observation (text, or `--json` in a versioned schema) and
//! `bluegreen wait` follows the active deployment to its end, a line per
//! change. Both exit 0 when the latest deployment succeeded (or there is
//! none), 1 when it failed or stopped, 3 while one is in progress; `wait`
//! exits 124 when its `--timeout` runs out.

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::app::log;
use crate::cloud::Cloud;
use crate::cloud::aws::{self, Target};
use crate::domain::{Deployment, DeploymentStatus, Environment, Lifecycle, Observation, clean};
use crate::exit::{Failure, SIGINT, SIGPIPE, SIGTERM};

/// The version of `status --json`'s layout.
pub const SCHEMA_VERSION: u32 = 1;

/// How the latest deployment stands, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// No deployment yet.
    None,
    Succeeded,
    Failed,
    Stopped,
    InProgress,
}

impl Standing {
    pub fn of(obs: &Observation) -> Self {
        match obs.latest() {
            None => Self::None,
            Some(d) if d.is_active() => Self::InProgress,
            Some(d) => match d.status {
                DeploymentStatus::Succeeded => Self::Succeeded,
                DeploymentStatus::Stopped => Self::Stopped,
                _ => Self::Failed,
            },
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
            Self::InProgress => "in_progress",
        }
    }

    /// 0, 1 or 3, as a result for [`crate::exit::report`].
    pub fn result(self) -> Result<(), Failure> {
        match self {
            Self::None | Self::Succeeded => Ok(()),
            Self::Failed | Self::Stopped => Err(Failure::Quiet(1)),
            Self::InProgress => Err(Failure::Quiet(3)),
        }
    }
}

fn role(obs: &Observation, e: &Environment) -> &'static str {
    let sides = obs.sides();
    if sides.blue.is_some_and(|(n, _)| n == e.asg) {
        "blue"
    } else if sides.green.is_some_and(|(n, _)| n == e.asg) {
        "green"
    } else {
        "other"
    }
}

fn deployment_json(d: &Deployment) -> Value {
    json!({
        "id": d.id,
        "status": d.status.as_str(),
        "is_rollback": d.is_rollback(),
        "revision": d.revision,
        "original_asg": d.original_asg,
        "replacement_asg": d.replacement_asg,
        "created": d.created_at.rfc3339(),
        "completed": d.completed_at.map(crate::domain::At::rfc3339),
        "overview": {
            "pending": d.overview.pending, "in_progress": d.overview.in_progress, "succeeded": d.overview.succeeded,
            "failed": d.overview.failed, "skipped": d.overview.skipped, "ready": d.overview.ready,
        },
        "error": d.error.as_ref().map(|e| json!({"code": clean(&e.code, 100), "message": clean(&e.message, 500)})),
    })
}

/// The observation as `status --json` prints it (every text cleaned of
/// control characters).
pub fn to_json(obs: &Observation) -> Value {
    let environments: Vec<Value> = obs
        .environments
        .iter()
        .map(|e| {
            json!({
                "asg": e.asg,
                "role": role(obs, e),
                "min": e.min, "desired": e.desired, "max": e.max,
                "attached": e.attached_to(&obs.load_balancer),
                "serving": e.serving(),
                "instances": e.instances.iter().map(|i| json!({
                    "id": i.id,
                    "private_ip": i.private_ip,
                    "lifecycle": i.lifecycle.as_str(),
                    "health": i.health.as_str(),
                    "target": i.target.as_ref().map(|t| t.state.as_str()),
                    "version": i.version,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "schema_version": SCHEMA_VERSION,
        "time": obs.at.rfc3339(),
        "region": obs.region,
        "application": obs.group.application,
        "deployment_group": obs.group.name,
        "autoscaling_groups": obs.group.autoscaling_groups,
        "load_balancer": {"kind": obs.load_balancer.kind.as_str(), "name": obs.load_balancer.name, "url": obs.load_balancer.url},
        "environments": environments,
        "deployment": obs.latest().map(deployment_json),
        "outcome": Standing::of(obs).word(),
    })
}

/// The observation as a few lines of text.
pub fn to_text(obs: &Observation) -> Vec<String> {
    let mut lines = vec![format!(
        "{}/{} in {}: the group uses {}",
        obs.group.application,
        obs.group.name,
        obs.region,
        obs.group.autoscaling_groups.join(", ")
    )];
    for e in &obs.environments {
        let in_service = e.instances.iter().filter(|i| i.lifecycle == Lifecycle::InService).count();
        let versions: std::collections::BTreeSet<&str> =
            e.instances.iter().filter_map(|i| i.version.as_deref()).collect();
        lines.push(format!(
            "{:<5} {}  {in_service}/{} InService  {}  {}",
            role(obs, e).to_uppercase(),
            e.asg,
            e.instances.len(),
            if e.serving() { "serving" } else { "not serving" },
            versions.into_iter().collect::<Vec<_>>().join(" ")
        ));
    }
    match obs.latest() {
        None => lines.push("no deployment yet".into()),
        Some(d) => {
            let what = d.revision.as_deref().unwrap_or("?");
            let kind = if d.is_rollback() { "rollback " } else { "" };
            let mut line = format!("{kind}deployment {} of {what}: {}", d.id, d.status);
            if let Some(e) = &d.error {
                line = format!("{line} ({}: {})", e.code, e.message);
            }
            lines.push(line);
        }
    }
    lines.into_iter().map(|l| clean(&l, 500)).collect()
}

fn write_failed(e: &std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Failure::Signal(SIGPIPE);
    }
    Failure::Failed(format!("cannot write the output: {e} (hint: is the disk full?)"))
}

/// `bluegreen status`.
pub async fn status(target: &Target, json: bool, mut out: impl Write) -> Result<(), Failure> {
    let cloud = aws::connect(target).await?;
    let obs =
        cloud.observe().await.map_err(|e| Failure::Failed(format!("cannot look at the deployment group: {e}")))?;
    if json {
        writeln!(out, "{}", to_json(&obs)).map_err(|e| write_failed(&e))?;
    } else {
        for line in to_text(&obs) {
            writeln!(out, "{line}").map_err(|e| write_failed(&e))?;
        }
    }
    out.flush().map_err(|e| write_failed(&e))?;
    Standing::of(&obs).result()
}

/// `bluegreen wait`: follows the active deployment until it ends.
pub async fn wait(
    target: &Target,
    timeout: Option<Duration>,
    every: Duration,
    mut out: impl Write,
) -> Result<(), Failure> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt()).map_err(|e| Failure::Failed(e.to_string()))?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| Failure::Failed(e.to_string()))?;
    let cloud = aws::connect(target).await?;
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut prev =
        cloud.observe().await.map_err(|e| Failure::Failed(format!("cannot look at the deployment group: {e}")))?;
    let mut say = |line: String| writeln!(out, "{line}").and_then(|()| out.flush()).map_err(|e| write_failed(&e));
    let Some(id) = prev.active.as_ref().map(|d| d.id.clone()) else {
        let standing = Standing::of(&prev);
        let last = prev.latest().map_or(String::new(), |d| format!("; the last, {}, {}", d.id, d.status));
        say(format!("{} nothing to wait for: no deployment in progress{last}", prev.at))?;
        return standing.result();
    };
    say(format!(
        "{} waiting for deployment {id} ({})",
        prev.at,
        prev.active.as_ref().map_or("", |d| d.status.as_str())
    ))?;
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            let status = prev.active.as_ref().map_or("ended", |d| d.status.as_str()).to_string();
            return Err(Failure::TimedOut(format!(
                "deployment {id} is still {status} after {} (hint: a longer --timeout, or bluegreen status)",
                crate::domain::short(timeout.unwrap_or_default())
            )));
        }
        let pause = left.map_or(every, |l| l.min(every));
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = int.recv() => return Err(Failure::Signal(SIGINT)),
            _ = term.recv() => return Err(Failure::Signal(SIGTERM)),
        }
        let next = match cloud.observe().await {
            Ok(o) => o,
            Err(e) => {
                say(clean(&format!("could not look: {e}; trying again"), 500))?;
                continue;
            }
        };
        for entry in log::diff(&prev, &next) {
            say(clean(&format!("{} {}", entry.at, entry.text), 500))?;
        }
        let ended = next.active.as_ref().is_none_or(|d| d.id != id);
        if ended {
            let done = next.last.as_ref().filter(|d| d.id == id).or(next.latest());
            let standing = done.map_or(Standing::None, |d| match d.status {
                DeploymentStatus::Succeeded => Standing::Succeeded,
                DeploymentStatus::Stopped => Standing::Stopped,
                _ => Standing::Failed,
            });
            let status = done.map_or("ended", |d| d.status.as_str());
            say(format!("{} deployment {id} ended: {status}", next.at))?;
            return standing.result();
        }
        prev = next;
    }
}
