//! A deployment group for scripts and CI, as `status` and `wait` print
//! it: a few lines of text, or one JSON object in the versioned schema,
//! and how the latest deployment stands, for the exit code (0 succeeded or
//! none, 1 failed or stopped, 3 in progress).

use serde_json::{Value, json};

use super::SCHEMA_VERSION;
use crate::domain::{At, Deployment, DeploymentStatus, Environment, Lifecycle, Observation, Wait, clean, why};
use crate::exit::Failure;

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

fn deployment_json(d: &Deployment, now: At) -> Value {
    let wait = d.wait.as_ref().filter(|_| d.is_active()).map(|w| {
        let (waits_for, until, then) = match w {
            Wait::Reroute { until, stops } => ("reroute", until, if *stops { "stop" } else { "continue" }),
            Wait::Termination { until } => ("termination", until, "terminate"),
        };
        json!({
            "for": waits_for,
            "until": until.map(At::rfc3339),
            "then": then,
            "countdown": why::countdown(d, now),
        })
    });
    json!({
        "wait": wait,
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
        "error": d.error.as_ref().map(|e| error_json(d, e)),
    })
}

/// The error, the step to take (`hint`, within schema 1), and the first
/// failed hook (`hook`) when one failed.
fn error_json(d: &Deployment, e: &crate::domain::ErrorInfo) -> Value {
    let mut out = json!({"code": clean(&e.code, 100), "message": clean(&e.message, 500)});
    if let Some(f) = why::failure(d) {
        out["hint"] = json!(f.hint);
    }
    if let Some((t, ev)) = why::first_failed(d)
        && let Some(h) = why::hook(ev)
    {
        let diag = ev.diagnostics.as_ref();
        out["hook"] = json!({
            "instance": t.instance_id,
            "hook": ev.hook.as_str(),
            "script": diag.and_then(|x| x.script.as_deref()).map(|s| clean(s, 200)),
            "error_code": diag.map(|x| clean(&x.error_code, 64)),
            "exit_code": diag.and_then(|x| why::exit_code(&x.message)),
            "what": clean(&h.what, 300),
            "log_tail": h.tail.iter().map(|l| clean(l, 300)).collect::<Vec<_>>(),
            "hint": h.hint,
        });
    }
    out
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
        "deployment": obs.latest().map(|d| deployment_json(d, obs.at)),
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
            if let Some(c) = why::countdown(d, obs.at) {
                lines.push(format!("  {c}"));
            }
            if let Some((t, ev)) = why::first_failed(d)
                && let Some(h) = why::hook(ev)
            {
                lines.push(format!("  {} on {}: {}", ev.hook, t.instance_id, h.what));
                lines.extend(h.tail.iter().map(|l| format!("  │ {l}")));
            }
            if let Some(f) = why::failure(d) {
                lines.push(format!("  hint: {}", f.hint));
            }
            if let Some(drift) = why::drift(obs) {
                lines.push(format!("  {drift}"));
            }
        }
    }
    lines.into_iter().map(|l| clean(&l, 500)).collect()
}
