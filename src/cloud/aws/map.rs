//! SDK shapes into the domain's: every enum through its wire string (a
//! value this version does not know stays as `Unknown`), every text that
//! AWS sends cleaned of control characters where it enters.

use std::collections::HashMap;

use aws_sdk_codedeploy::types as cd;
use aws_smithy_types::DateTime;

use crate::domain::{
    At, AutoRollback, Creator, Deployment, DeploymentGroup, DeploymentStatus, Diagnostics, Environment, ErrorInfo,
    EventStatus, GreenProvisioning, Health, Hook, Instance, Lifecycle, LifecycleEvent, Overview, ReadyAction, Revision,
    RollbackInfo, Target, TargetHealth, TargetLabel, TargetStatus, TerminationAction, Wait, clean, clean_lines,
};

/// A name or id from AWS, as it may be shown.
pub fn text(s: Option<&str>) -> String {
    clean(s.unwrap_or_default(), 256)
}

pub fn at(t: Option<&DateTime>) -> Option<At> {
    let t = t?;
    let ms = t.secs().checked_mul(1000)? + i64::from(t.subsec_nanos() / 1_000_000);
    u64::try_from(ms).ok().map(At)
}

/// The deployment group and its blue/green settings.
pub fn group(info: &cd::DeploymentGroupInfo, application: &str, name: &str) -> DeploymentGroup {
    let bg = info.blue_green_deployment_configuration();
    let ready = bg.and_then(cd::BlueGreenDeploymentConfiguration::deployment_ready_option);
    let terminate = bg.and_then(cd::BlueGreenDeploymentConfiguration::terminate_blue_instances_on_deployment_success);
    let green = bg.and_then(cd::BlueGreenDeploymentConfiguration::green_fleet_provisioning_option);
    let rollback = info.auto_rollback_configuration();
    DeploymentGroup {
        application: application.to_string(),
        name: name.to_string(),
        autoscaling_groups: info.auto_scaling_groups().iter().filter_map(|g| g.name()).map(|n| text(Some(n))).collect(),
        ready_action: ready
            .and_then(|r| r.action_on_timeout())
            .map_or(ReadyAction::ContinueDeployment, |a| ReadyAction::parse(a.as_str())),
        ready_wait_minutes: ready.map_or(0, |r| u32::try_from(r.wait_time_in_minutes()).unwrap_or(0)),
        termination: terminate
            .and_then(|t| t.action())
            .map_or(TerminationAction::KeepAlive, |a| TerminationAction::parse(a.as_str())),
        termination_wait_minutes: terminate
            .map_or(0, |t| u32::try_from(t.termination_wait_time_in_minutes()).unwrap_or(0)),
        green_provisioning: green
            .and_then(|g| g.action())
            .map_or(GreenProvisioning::CopyAutoScalingGroup, |a| GreenProvisioning::parse(a.as_str())),
        auto_rollback: AutoRollback {
            enabled: rollback.is_some_and(cd::AutoRollbackConfiguration::enabled),
            events: rollback.map(|r| r.events().iter().map(|e| clean(e.as_str(), 64)).collect()).unwrap_or_default(),
        },
        deployment_config: text(info.deployment_config_name()),
    }
}

/// Whether the group deploys blue/green (the console's subject).
pub fn is_blue_green(info: &cd::DeploymentGroupInfo) -> bool {
    info.deployment_style().and_then(|s| s.deployment_type()).is_some_and(|t| *t == cd::DeploymentType::BlueGreen)
}

/// A revision, if it lives in S3 (what the console can deploy): labelled by
/// its file name, with its S3 version or ETag when it has one (the same key
/// is often pushed again).
pub fn revision(loc: &cd::RevisionLocation, registered_at: Option<At>) -> Option<Revision> {
    let s3 = loc.s3_location()?;
    let key = text(s3.key());
    let file = key.rsplit('/').next().unwrap_or(&key);
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let version = s3.version().map(|v| clean(v, 128));
    let etag = s3.e_tag().map(|e| clean(e.trim_matches('"'), 128));
    let suffix = version.as_deref().or(etag.as_deref()).map(|v| format!("@{}", v.chars().take(7).collect::<String>()));
    Some(Revision {
        label: format!("{stem}{}", suffix.unwrap_or_default()),
        bucket: text(s3.bucket()),
        key,
        bundle: s3.bundle_type().map_or_else(|| "zip".to_string(), |b| clean(b.as_str(), 16)),
        version,
        etag,
        registered_at,
        description: None,
        stored: crate::domain::Stored::Unchecked,
    })
}

/// A deployment, with the groups the console tracks it by and its targets.
pub fn deployment(
    info: &cd::DeploymentInfo,
    original_asg: Option<String>,
    replacement_asg: Option<String>,
    targets: Vec<Target>,
) -> Deployment {
    let o = info.deployment_overview();
    let count = |n: Option<i64>| u32::try_from(n.unwrap_or(0)).unwrap_or(0);
    let status =
        info.status().map_or(DeploymentStatus::Unknown("missing".into()), |s| DeploymentStatus::parse(s.as_str()));
    let wait = wait(info, &status, &targets);
    Deployment {
        id: text(info.deployment_id()),
        status,
        creator: info.creator().map_or(Creator::User, |c| Creator::parse(c.as_str())),
        revision: info.revision().and_then(|r| revision(r, None)).map(|r| r.label),
        previous_revision: info.previous_revision().and_then(|r| revision(r, None)).map(|r| r.label),
        original_asg,
        replacement_asg,
        created_at: at(info.create_time()).unwrap_or_default(),
        started_at: at(info.start_time()),
        completed_at: at(info.complete_time()),
        overview: Overview {
            pending: count(o.map(cd::DeploymentOverview::pending)),
            in_progress: count(o.map(cd::DeploymentOverview::in_progress)),
            succeeded: count(o.map(cd::DeploymentOverview::succeeded)),
            failed: count(o.map(cd::DeploymentOverview::failed)),
            skipped: count(o.map(cd::DeploymentOverview::skipped)),
            ready: count(o.map(cd::DeploymentOverview::ready)),
        },
        wait,
        termination_wait_started: info.instance_termination_wait_time_started(),
        error: info.error_information().map(|e| ErrorInfo {
            code: e.code().map_or_else(|| "UNKNOWN".into(), |c| clean(c.as_str(), 64)),
            message: text(e.message()),
        }),
        rollback: info.rollback_info().map(|r| RollbackInfo {
            rollback_deployment_id: r.rollback_deployment_id().map(|s| text(Some(s))),
            triggering_deployment_id: r.rollback_triggering_deployment_id().map(|s| text(Some(s))),
            message: r.rollback_message().map(|s| text(Some(s))),
        }),
        status_messages: info.deployment_status_messages().iter().map(|m| clean(m, 400)).collect(),
        targets,
    }
}

/// What an active deployment waits for, and until when, from its own
/// blue/green settings: Ready began when green's install ended (its last
/// install hook) and lasts `waitTimeInMinutes`; the originals' termination
/// wait began when traffic left them (their last block hook) and lasts
/// `terminationWaitTimeInMinutes`.
fn wait(info: &cd::DeploymentInfo, status: &DeploymentStatus, targets: &[Target]) -> Option<Wait> {
    let bg = info.blue_green_deployment_configuration();
    let last_end = |hooks: &[Hook]| {
        targets
            .iter()
            .flat_map(|t| &t.events)
            .filter(|e| hooks.contains(&e.hook) && e.status == EventStatus::Succeeded)
            .filter_map(|e| e.ended_at)
            .max()
    };
    let after = |since: Option<At>, minutes: i32| {
        let minutes = u64::try_from(minutes).ok()?;
        since.map(|s| s + std::time::Duration::from_secs(minutes * 60))
    };
    if *status == DeploymentStatus::Ready {
        let ready = bg.and_then(cd::BlueGreenDeploymentConfiguration::deployment_ready_option);
        let stops = ready.and_then(|r| r.action_on_timeout()) == Some(&cd::DeploymentReadyAction::StopDeployment);
        let minutes = ready.map_or(0, cd::DeploymentReadyOption::wait_time_in_minutes);
        let since = last_end(Hook::INSTALL).or_else(|| at(info.start_time()));
        return Some(Wait::Reroute { until: after(since, minutes).filter(|_| minutes > 0), stops });
    }
    if info.instance_termination_wait_time_started() && !status.is_final() {
        let terminate =
            bg.and_then(cd::BlueGreenDeploymentConfiguration::terminate_blue_instances_on_deployment_success);
        let minutes = terminate.map_or(0, cd::BlueInstanceTerminationOption::termination_wait_time_in_minutes);
        return Some(Wait::Termination { until: after(last_end(Hook::BLOCK), minutes) });
    }
    None
}

/// One instance target of a deployment with its lifecycle events.
pub fn target(t: &cd::DeploymentTarget) -> Option<Target> {
    let i = t.instance_target()?;
    Some(Target {
        instance_id: text(i.target_id()),
        label: i.instance_label().map_or(TargetLabel::Green, |l| TargetLabel::parse(l.as_str())),
        status: i.status().map_or(TargetStatus::Pending, |s| TargetStatus::parse(s.as_str())),
        updated_at: at(i.last_updated_at()),
        events: i
            .lifecycle_events()
            .iter()
            .map(|e| LifecycleEvent {
                hook: Hook::parse(e.lifecycle_event_name().unwrap_or_default()),
                status: e.status().map_or(EventStatus::Pending, |s| EventStatus::parse(s.as_str())),
                started_at: at(e.start_time()),
                ended_at: at(e.end_time()),
                diagnostics: e.diagnostics().map(|d| Diagnostics {
                    error_code: d.error_code().map_or_else(|| "UnknownError".into(), |c| clean(c.as_str(), 64)),
                    script: d.script_name().map(|s| text(Some(s))),
                    message: clean(d.message().unwrap_or_default(), 600),
                    log_tail: clean_lines(d.log_tail().unwrap_or_default(), 300, 60),
                }),
            })
            .collect(),
    })
}

/// What EC2 says of an instance: its private address and zone.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    pub private_ip: Option<String>,
    pub zone: Option<String>,
}

/// One Auto Scaling group with its instances, as Auto Scaling, EC2 and
/// the load balancer see them together.
pub fn environment(
    g: &aws_sdk_autoscaling::types::AutoScalingGroup,
    health: &HashMap<String, TargetHealth>,
    placements: &HashMap<String, Placement>,
    versions: &HashMap<String, String>,
) -> Environment {
    use aws_sdk_autoscaling::types::TrafficSourceIdentifier;
    let count = |n: Option<i32>| u32::try_from(n.unwrap_or(0)).unwrap_or(0);
    let traffic = g.traffic_sources();
    let by_kind = |kind: &str| -> Vec<String> {
        traffic
            .iter()
            .filter(|t| t.r#type() == Some(kind))
            .filter_map(TrafficSourceIdentifier::identifier)
            .map(|s| clean(s, 256))
            .collect()
    };
    let mut target_groups: Vec<String> = g.target_group_arns().iter().map(|a| clean(a, 256)).collect();
    let mut classic: Vec<String> = g.load_balancer_names().iter().map(|a| clean(a, 256)).collect();
    for arn in by_kind("elbv2") {
        if !target_groups.contains(&arn) {
            target_groups.push(arn);
        }
    }
    for name in by_kind("elb") {
        if !classic.contains(&name) {
            classic.push(name);
        }
    }
    let instances = g
        .instances()
        .iter()
        .map(|i| {
            let id = text(i.instance_id());
            let place = placements.get(&id).cloned().unwrap_or_default();
            Instance {
                private_ip: place.private_ip,
                zone: place.zone.or_else(|| i.availability_zone().map(|z| text(Some(z)))),
                lifecycle: i
                    .lifecycle_state()
                    .map_or(Lifecycle::Unknown("missing".into()), |l| Lifecycle::parse(l.as_str())),
                health: Health::parse(i.health_status().unwrap_or("Healthy")),
                target: health.get(&id).cloned(),
                version: versions.get(&id).cloned(),
                id,
            }
        })
        .collect();
    Environment {
        asg: text(g.auto_scaling_group_name()),
        min: count(g.min_size()),
        desired: count(g.desired_capacity()),
        max: count(g.max_size()),
        target_groups,
        classic_load_balancers: classic,
        instances,
        created_at: g.created_time().and_then(|t| at(Some(t))),
        owner: crate::domain::owner(g.tags().iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))))
            .map(|o| clean(&o, 256)),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_codedeploy::types::{ErrorCode, LifecycleErrorCode};

    use crate::domain::why::{deployment_hint, hook_hint};

    /// The SDK's enums are CodeDeploy's API model: every code it may send
    /// has its own step, none falls through to the general one.
    #[test]
    fn every_error_code_in_the_api_model_has_a_hint() {
        let fallback = deployment_hint("");
        let unhandled: Vec<&str> =
            ErrorCode::values().iter().copied().filter(|c| deployment_hint(c) == fallback).collect();
        assert!(unhandled.is_empty(), "no hint for {unhandled:?}");
        assert!(ErrorCode::values().len() >= 34, "the model's list: {:?}", ErrorCode::values());
        let general = hook_hint("UnknownError");
        for code in LifecycleErrorCode::values() {
            match *code {
                "Success" => assert_eq!(hook_hint(code), None),
                "UnknownError" => assert!(general.is_some()),
                _ => assert_ne!(hook_hint(code), general, "{code} has its own step"),
            }
        }
    }

    /// The README lists every hint as the console says it.
    #[test]
    fn the_readme_lists_every_hint() {
        let readme = include_str!("../../../README.md");
        let rows: Vec<String> = ErrorCode::values()
            .iter()
            .map(|c| format!("| `{c}` | {} |", deployment_hint(c)))
            .chain(LifecycleErrorCode::values().iter().filter_map(|c| hook_hint(c).map(|h| format!("| `{c}` | {h} |"))))
            .collect();
        let missing: Vec<&String> = rows.iter().filter(|r| !readme.contains(r.as_str())).collect();
        assert!(
            missing.is_empty(),
            "rows the README lacks:\n{}",
            missing.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
}
