//! Why a deployment failed and what to do next: one table of CodeDeploy's
//! deployment error codes (`errorInformation.code`) and one of its
//! lifecycle error codes (`diagnostics.errorCode`), each with the step to
//! take; and a failed hook told with its script, exit code and the last
//! lines of its log. Every surface (the event log, the deployment panel,
//! `--plain`, `status`) says a failure through [`failure`] and [`hook`].

use super::{At, Deployment, Hook, LifecycleEvent, Observation, Revision, Stage, Stored, Target, Wait};

/// The step to take after a deployment ended with `code`.
pub fn deployment_hint(code: &str) -> &'static str {
    match code {
        "AGENT_ISSUE" => {
            "the CodeDeploy agent did not answer: on an instance, `systemctl status codedeploy-agent`; it needs outbound HTTPS to CodeDeploy and S3 and an instance profile that may read the bundle"
        }
        "ALARM_ACTIVE" => {
            "a CloudWatch alarm of the deployment group is in ALARM: fix what it watches, then deploy again"
        }
        "APPLICATION_MISSING" => {
            "the application was deleted after the deployment was created: create it again, then deploy"
        }
        "AUTOSCALING_VALIDATION_ERROR" | "AUTO_SCALING_CONFIGURATION" => {
            "Auto Scaling refused the copy of the group: check the original group's launch template (or configuration) still exists, its subnets have room, and it has no lifecycle hook that never completes"
        }
        "AUTO_SCALING_IAM_ROLE_PERMISSIONS" => {
            "CodeDeploy's service role cannot launch green: a group made from a launch template needs ec2:RunInstances, ec2:CreateTags and iam:PassRole beside AWSCodeDeployRole (assets/iam/codedeploy-service-role.json), then deploy again"
        }
        "CODEDEPLOY_RESOURCE_CANNOT_BE_FOUND" => {
            "something the deployment group names is gone (a group, a target group, the role): check its settings"
        }
        "CUSTOMER_APPLICATION_UNHEALTHY" => {
            "the application failed its health checks: read the failed hooks' log tails and the target group's health check"
        }
        "DEPLOYMENT_GROUP_MISSING" => {
            "the deployment group was deleted after the deployment was created: create it again, then deploy"
        }
        "ECS_UPDATE_ERROR" | "INVALID_ECS_SERVICE" | "INVALID_LAMBDA_CONFIGURATION" | "INVALID_LAMBDA_FUNCTION" => {
            "an ECS or Lambda deployment error: bluegreen follows EC2 deployments; see the CodeDeploy console"
        }
        "ELASTIC_LOAD_BALANCING_INVALID" | "MISSING_ELB_INFORMATION" => {
            "the deployment group's load balancer is missing or wrong: name an existing target group (or classic load balancer) in its load balancer info"
        }
        "ELB_INVALID_INSTANCE" => {
            "an instance could not be registered with the load balancer: it must be running, in the load balancer's VPC and in one of its zones"
        }
        "HEALTH_CONSTRAINTS" => {
            "too many instances failed for the deployment configuration's minimum healthy hosts: read the failed hooks, fix the revision, push and deploy again"
        }
        "HEALTH_CONSTRAINTS_INVALID" => {
            "the deployment configuration asks for more healthy instances than the group has: pick one with fewer minimum healthy hosts, or raise the group's capacity"
        }
        "HOOK_EXECUTION_FAILURE" => {
            "a lifecycle hook's script failed: read its exit code and log tail, fix the revision, push and deploy again"
        }
        "IAM_ROLE_MISSING" => {
            "CodeDeploy cannot assume the service role: check it exists and trusts codedeploy.amazonaws.com"
        }
        "IAM_ROLE_PERMISSIONS" => {
            "the service role lacks permissions: attach AWSCodeDeployRole, and for launch-template groups the three actions in assets/iam/codedeploy-service-role.json"
        }
        "INTERNAL_ERROR" => {
            "CodeDeploy failed on its side: deploy again; if it repeats, give AWS Support the deployment id"
        }
        "INVALID_REVISION" => {
            "the revision cannot be used: its appspec.yml is missing or wrong, or the S3 object changed after it was registered; push it again (bluegreen push) and deploy that"
        }
        "MANUAL_STOP" => "someone stopped it (StopDeployment, or r in a console): deploy again when ready",
        "MISSING_BLUE_GREEN_DEPLOYMENT_CONFIGURATION" => {
            "the deployment group has no blue/green settings: set its deployment style and blue/green configuration"
        }
        "MISSING_GITHUB_TOKEN" => "a GitHub revision without a GitHub connection: deploy a revision in S3",
        "NO_EC2_SUBSCRIPTION" => "the account is not subscribed to EC2: finish the account's sign-up",
        "NO_INSTANCES" => {
            "no instances to deploy to: the Auto Scaling group needs instances in service and the deployment group must name it"
        }
        "OVER_MAX_INSTANCES" => "more instances than one deployment may have: ask AWS for a higher quota",
        "RESOURCE_LIMIT_EXCEEDED" => {
            "an account quota was reached (Auto Scaling groups, instances): remove leftovers with c, or ask AWS for a higher quota"
        }
        "REVISION_MISSING" => "the revision's object is gone from S3: push it again and deploy that",
        "THROTTLED" => "AWS throttled the account's calls: wait a minute, then deploy again",
        "TIMEOUT" => {
            "the deployment ran out of time: a hook that never ends (see its log tail), an agent that is not running, or a Ready window that closed; deploy again"
        }
        "CLOUDFORMATION_STACK_FAILURE" => "the stack update that drove the deployment failed: read the stack's events",
        _ => "see the error code in the CodeDeploy User Guide (Error Codes for CodeDeploy)",
    }
}

/// The step to take after a hook ended with `code` (`None` for `Success`).
pub fn hook_hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "Success" => return None,
        "ScriptMissing" => {
            "the script appspec.yml names is not in the bundle: check its path from the bundle's root, push again"
        }
        "ScriptNotExecutable" => "the script is not executable: chmod +x it (or give it a #! line), push again",
        "ScriptTimedOut" => {
            "the script ran past its appspec.yml timeout: the log tail shows what it waited for; fix it or raise the timeout (at most 3600)"
        }
        "ScriptFailed" => "the script exited with an error: the log tail shows why; fix it, push and deploy again",
        _ => {
            "the agent could not run the script: read /var/log/aws/codedeploy-agent/codedeploy-agent.log on the instance"
        }
    })
}

/// The exit code in a lifecycle message (`… failed with exit code 1`).
pub fn exit_code(message: &str) -> Option<i32> {
    let (_, rest) = message.split_once("exit code")?;
    let digits: String = rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().ok()
}

/// How many lines of a hook's log tail are told.
pub const TAIL: usize = 3;

/// A failed hook told in a few lines: what ran and how it ended, the last
/// lines of its log, and the step to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookFailure {
    /// `scripts/validate.sh exited 1 (ScriptFailed)`.
    pub what: String,
    /// The last [`TAIL`] lines of the log tail.
    pub tail: Vec<String>,
    pub hint: Option<&'static str>,
}

/// `event` of `target`, told as a failure (if it failed).
pub fn hook(event: &LifecycleEvent) -> Option<HookFailure> {
    if event.status != super::EventStatus::Failed {
        return None;
    }
    let Some(d) = &event.diagnostics else {
        return Some(HookFailure {
            what: format!("{} failed with no diagnostics", event.hook),
            tail: Vec::new(),
            hint: hook_hint("UnknownError"),
        });
    };
    let script = d.script.clone().unwrap_or_else(|| event.hook.to_string());
    let what = match (d.error_code.as_str(), exit_code(&d.message)) {
        ("ScriptMissing", _) => format!("{script} is missing (ScriptMissing)"),
        ("ScriptNotExecutable", _) => format!("{script} is not executable (ScriptNotExecutable)"),
        ("ScriptTimedOut", _) => format!("{script} timed out (ScriptTimedOut)"),
        (code, Some(n)) => format!("{script} exited {n} ({code})"),
        (code, None) => format!("{script} failed ({code})"),
    };
    let skip = d.log_tail.len().saturating_sub(TAIL);
    let hint = if event.hook == Hook::DownloadBundle {
        Some(
            "the agent could not fetch or check the bundle: an object pushed again under the same key no longer has the registered ETag; push it again (bluegreen push) and deploy that",
        )
    } else {
        hook_hint(&d.error_code)
    };
    Some(HookFailure { what, tail: d.log_tail[skip..].to_vec(), hint })
}

/// The first failed hook of a deployment, with the instance it failed on.
pub fn first_failed(d: &Deployment) -> Option<(&Target, &LifecycleEvent)> {
    d.targets.iter().find_map(|t| t.failure().map(|e| (t, e)))
}

/// A deployment's failure: its error code and message, and the step to
/// take: the failed hook's when a hook failed, else the error code's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentFailure {
    pub code: String,
    pub message: String,
    pub hint: &'static str,
}

/// Why `d` ended as it did, if it has an error.
pub fn failure(d: &Deployment) -> Option<DeploymentFailure> {
    let e = d.error.as_ref()?;
    let from_hook = (e.code == "HOOK_EXECUTION_FAILURE" || e.code == "HEALTH_CONSTRAINTS")
        .then(|| first_failed(d).and_then(|(_, ev)| hook(ev)).and_then(|h| h.hint))
        .flatten();
    let ready_closed = e.code == "TIMEOUT" && e.message.contains("ready wait time");
    let hint = if ready_closed {
        "the Ready window closed before a reroute: deploy again and promote (p) within it, or give the group a longer wait"
    } else {
        from_hook.unwrap_or_else(|| deployment_hint(&e.code))
    };
    Some(DeploymentFailure { code: e.code.clone(), message: e.message.clone(), hint })
}

/// What the deploy plan must say of a revision whose bundle changed in S3
/// after it was registered (the agent checks the ETag and refuses it mid
/// deployment) or is gone.
pub fn bundle_warning(r: &Revision) -> Option<String> {
    let again = "push it again (bluegreen push) and deploy that";
    match &r.stored {
        Stored::Overwritten { etag } => Some(format!(
            "{} was overwritten after {} was registered (ETag now {etag}, registered {}): the agent refuses it at DownloadBundle; {again}",
            r.location(),
            r.label,
            r.etag.as_deref().unwrap_or("?")
        )),
        Stored::Missing => {
            Some(format!("{} is gone from S3: the deployment would fail at DownloadBundle; {again}", r.location()))
        }
        Stored::Unchecked | Stored::Same => None,
    }
}

/// What is wrong with green while the active deployment waits in Ready:
/// instances Auto Scaling added after the install are no deployment
/// targets and run without the revision (a promote sends them traffic);
/// a desired capacity below the installed targets makes the reroute fail.
pub fn green_guards(obs: &Observation) -> Vec<String> {
    let Some(d) = obs.active.as_ref().filter(|d| d.stage() == Stage::Ready) else { return Vec::new() };
    let Some(green) = d.replacement_asg.as_deref().and_then(|n| obs.environment(n)) else { return Vec::new() };
    let targets: Vec<&str> = d.green_targets().map(|t| t.instance_id.as_str()).collect();
    let extra: Vec<&str> = green.instances.iter().map(|i| i.id.as_str()).filter(|id| !targets.contains(id)).collect();
    let revision = d.revision.as_deref().unwrap_or("the new revision");
    let mut out = Vec::new();
    if !extra.is_empty() {
        let (n, was, has, them) =
            if extra.len() == 1 { ("instance", "was", "has", "it") } else { ("instances", "were", "have", "them") };
        out.push(format!(
            "{} green {n} {was} added after the install and {has} no revision ({}): a promote sends {them} traffic without {revision}",
            extra.len(),
            extra.join(", ")
        ));
    }
    if (green.desired as usize) < targets.len() {
        out.push(format!(
            "green's desired capacity fell to {} of {} installed instances during Ready: the reroute fails on the missing ones",
            green.desired,
            targets.len()
        ));
    }
    out
}

/// After a deployment, the deployment group uses CodeDeploy's copy while
/// the tool that made the original group still names that one: the next
/// stack update (or `terraform apply`) fights CodeDeploy.
pub fn drift(obs: &Observation) -> Option<String> {
    if obs.active.is_some() {
        return None;
    }
    let now = obs.group.autoscaling_groups.first()?;
    if obs.environment(now).is_some_and(|e| e.owner.is_some()) {
        return None;
    }
    let named = obs.environments.iter().find(|e| e.owner.is_some() && e.asg != *now)?;
    Some(format!(
        "the deployment group now uses {now}, but {} still names {}: its next update fights CodeDeploy (README: \"The stack and the copy\")",
        named.owner.as_deref().unwrap_or_default(),
        named.asg
    ))
}

/// Time left, in the coarse words a countdown needs: whole minutes
/// (rounded up) from a minute on, seconds below.
pub fn left(now: At, until: At) -> String {
    let secs = until.since(now).as_secs();
    if secs < 60 { format!("{secs}s") } else { format!("{}m", secs.div_ceil(60)) }
}

/// What the deployment waits for and when the wait ends by itself:
/// `reroute within 47m, then the deployment stops`, `blue is terminated in
/// 4m; r puts it back until then`. `None` when it waits for nothing.
pub fn countdown(d: &Deployment, now: At) -> Option<String> {
    if d.status.is_final() {
        return None;
    }
    Some(match d.wait.as_ref()? {
        Wait::Reroute { until: Some(until), stops } => {
            let then = if *stops { "the deployment stops" } else { "it reroutes by itself" };
            if until.since(now).as_secs() == 0 {
                format!("the Ready window has closed: {then} any moment")
            } else {
                format!("reroute within {}, then {then}", left(now, *until))
            }
        }
        Wait::Reroute { until: None, .. } => "green waits for your reroute".into(),
        Wait::Termination { until: Some(until) } if until.since(now).as_secs() > 0 => {
            format!("blue is terminated in {}; r puts it back until then", left(now, *until))
        }
        Wait::Termination { .. } => "blue is being terminated; r may still put it back".into(),
    })
}

/// Where the wait's countdown stands, in seconds: each whole minute left
/// (rounded up), then 30 s and 10 s in the last minute, 0 once it ended;
/// the countdown is told each time this changes.
pub fn countdown_step(d: &Deployment, now: At) -> Option<u64> {
    if d.status.is_final() {
        return None;
    }
    let secs = match d.wait.as_ref()? {
        Wait::Reroute { until: Some(u), .. } | Wait::Termination { until: Some(u) } => u.since(now).as_secs(),
        _ => return None,
    };
    Some(match secs {
        0 => 0,
        1..=10 => 10,
        11..=30 => 30,
        31..=60 => 60,
        _ => secs.div_ceil(60) * 60,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Diagnostics, EventStatus, Hook};

    fn failed(code: &str, message: &str, tail: &[&str]) -> LifecycleEvent {
        LifecycleEvent {
            hook: Hook::ValidateService,
            status: EventStatus::Failed,
            started_at: None,
            ended_at: None,
            diagnostics: Some(Diagnostics {
                error_code: code.into(),
                script: Some("scripts/validate.sh".into()),
                message: message.into(),
                log_tail: tail.iter().map(|s| (*s).to_string()).collect(),
            }),
        }
    }

    #[test]
    fn a_failed_script_says_its_exit_code_its_last_log_lines_and_the_step() {
        let msg = "Script at specified location: scripts/validate.sh run as user root failed with exit code 7";
        let h = hook(&failed("ScriptFailed", msg, &["a", "b", "c", "d"])).unwrap();
        assert_eq!(h.what, "scripts/validate.sh exited 7 (ScriptFailed)");
        assert_eq!(h.tail, ["b", "c", "d"]);
        assert!(h.hint.unwrap().contains("log tail"));
        let h = hook(&failed("ScriptTimedOut", "Script at specified location: x timed out", &["x"])).unwrap();
        assert_eq!(h.what, "scripts/validate.sh timed out (ScriptTimedOut)");
        assert_eq!(h.tail, ["x"]);
        let h = hook(&failed("ScriptMissing", "", &[])).unwrap();
        assert_eq!(h.what, "scripts/validate.sh is missing (ScriptMissing)");
        let h = hook(&failed("ScriptNotExecutable", "", &[])).unwrap();
        assert_eq!(h.what, "scripts/validate.sh is not executable (ScriptNotExecutable)");
        assert!(h.hint.unwrap().contains("chmod +x"));
        let h = hook(&failed("UnknownError", "no exit here", &[])).unwrap();
        assert_eq!(h.what, "scripts/validate.sh failed (UnknownError)");
        assert!(h.hint.unwrap().contains("codedeploy-agent.log"));
        let mut ok = failed("Success", "", &[]);
        ok.status = EventStatus::Succeeded;
        assert_eq!(hook(&ok), None, "only a failure is told");
        let mut bare = failed("x", "", &[]);
        bare.diagnostics = None;
        assert_eq!(hook(&bare).unwrap().what, "ValidateService failed with no diagnostics");
    }

    fn waiting(wait: Wait) -> Deployment {
        use crate::cloud::sim::{Scenario, World, story};
        let mut world = World::new(&Scenario::load("manual-reroute").unwrap());
        story::play(&mut world, story::parse("deploy; wait Ready").unwrap(), std::time::Duration::from_secs(3600))
            .unwrap();
        let mut d = world.observe().active.unwrap();
        d.wait = Some(wait);
        d
    }

    #[test]
    fn a_wait_counts_down_to_what_happens_when_it_ends() {
        let now = At::from_secs(1000);
        let at = |secs: u64| Some(At::from_secs(1000 + secs));
        let d = waiting(Wait::Reroute { until: at(47 * 60 - 30), stops: true });
        assert_eq!(countdown(&d, now).unwrap(), "reroute within 47m, then the deployment stops");
        assert_eq!(countdown_step(&d, now), Some(47 * 60));
        let d = waiting(Wait::Reroute { until: at(40), stops: false });
        assert_eq!(countdown(&d, now).unwrap(), "reroute within 40s, then it reroutes by itself");
        assert_eq!(countdown_step(&d, now), Some(60));
        let soon = |secs: u64| countdown_step(&d, At::from_secs(1000 + 40 - secs));
        assert_eq!(
            [soon(31), soon(30), soon(11), soon(10), soon(1), soon(0)],
            [Some(60), Some(30), Some(30), Some(10), Some(10), Some(0)]
        );
        let d = waiting(Wait::Reroute { until: Some(now), stops: true });
        assert_eq!(countdown(&d, now).unwrap(), "the Ready window has closed: the deployment stops any moment");
        assert_eq!(countdown_step(&d, now), Some(0));
        let d = waiting(Wait::Reroute { until: None, stops: true });
        assert_eq!(countdown(&d, now).unwrap(), "green waits for your reroute");
        assert_eq!(countdown_step(&d, now), None);
        let d = waiting(Wait::Termination { until: at(4 * 60) });
        assert_eq!(countdown(&d, now).unwrap(), "blue is terminated in 4m; r puts it back until then");
        let d = waiting(Wait::Termination { until: Some(At(now.0 + 400)) });
        assert_eq!(countdown(&d, now).unwrap(), "blue is being terminated; r may still put it back");
        let mut done = waiting(Wait::Termination { until: at(60) });
        done.status = crate::domain::DeploymentStatus::Succeeded;
        assert_eq!(
            (countdown(&done, now), countdown_step(&done, now)),
            (None, None),
            "an ended deployment waits for nothing"
        );
        assert_eq!(left(now, At::from_secs(1000 + 61)), "2m");
        assert_eq!(left(now, At::from_secs(1000 + 60)), "1m");
        assert_eq!(left(now, At::from_secs(1000 + 59)), "59s");
    }

    #[test]
    fn green_in_ready_is_guarded_against_instances_added_or_taken_away() {
        use crate::cloud::sim::{Scenario, World, story};
        let mut world = World::new(&Scenario::load("scale-out-in-ready").unwrap());
        story::play(
            &mut world,
            story::parse("deploy; wait Ready; sleep 90").unwrap(),
            std::time::Duration::from_secs(3600),
        )
        .unwrap();
        let obs = world.observe();
        let said = green_guards(&obs);
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].starts_with("1 green instance was added after the install and has no revision (i-0"),
            "{said:?}"
        );
        assert!(said[0].ends_with("a promote sends it traffic without v2"), "{said:?}");
        let mut fewer = obs.clone();
        let green = fewer.active.as_ref().unwrap().replacement_asg.clone().unwrap();
        let env = fewer.environments.iter_mut().find(|e| e.asg == green).unwrap();
        env.instances.truncate(2);
        env.desired = 1;
        assert_eq!(
            green_guards(&fewer),
            [
                "green's desired capacity fell to 1 of 2 installed instances during Ready: the reroute fails on the missing ones"
            ]
        );
        let mut world = World::new(&Scenario::load("manual-reroute").unwrap());
        story::play(&mut world, story::parse("deploy; wait Ready").unwrap(), std::time::Duration::from_secs(3600))
            .unwrap();
        assert!(green_guards(&world.observe()).is_empty(), "nothing to say of a green that was installed whole");
    }

    #[test]
    fn a_stack_that_still_names_the_original_is_said_after_the_cutover() {
        use crate::cloud::sim::{Scenario, World, story};
        let mut world = World::new(&Scenario::load("tutorial").unwrap());
        assert_eq!(drift(&world.observe()), None, "before: the stack's group is the deployment group's");
        story::play(&mut world, story::parse("deploy; wait Succeeded").unwrap(), std::time::Duration::from_secs(3600))
            .unwrap();
        let obs = world.observe();
        let now = &obs.group.autoscaling_groups[0];
        assert_eq!(
            drift(&obs).unwrap(),
            format!(
                "the deployment group now uses {now}, but CloudFormation stack bluegreen still names bluegreen-asg: its next update fights CodeDeploy (README: \"The stack and the copy\")"
            )
        );
        let mut untagged = obs.clone();
        for e in &mut untagged.environments {
            e.owner = None;
        }
        assert_eq!(drift(&untagged), None, "no tool names a group");
        let mut gone = obs.clone();
        gone.environments.retain(|e| e.asg != "bluegreen-asg");
        assert_eq!(drift(&gone), None, "the original is gone: nothing left to fight over");
        assert_eq!(crate::domain::owner([("aws:cloudformation:stack-name", "s1")]).unwrap(), "CloudFormation stack s1");
        assert_eq!(crate::domain::owner([("ManagedBy", "Terraform")]).unwrap(), "Terraform");
        assert_eq!(crate::domain::owner([("terraform", "true")]).unwrap(), "Terraform");
        assert_eq!(crate::domain::owner([("ManagedBy", "hand"), ("Name", "x")]), None);
    }

    /// The deployment of `scenario` after `script`, the first one played.
    fn played(scenario: &str, script: &str) -> Deployment {
        use crate::cloud::sim::{Scenario, World, story};
        let mut world = World::new(&Scenario::load(scenario).unwrap());
        story::play(&mut world, story::parse(script).unwrap(), std::time::Duration::from_secs(3600)).unwrap();
        world.history().remove(0)
    }

    #[test]
    fn a_deployments_step_is_its_failed_hooks_when_a_hook_failed_it() {
        let d = played("hook-fails", "deploy; wait Failed");
        let f = failure(&d).unwrap();
        assert_eq!(f.code, "HOOK_EXECUTION_FAILURE");
        assert_eq!(f.hint, hook_hint("ScriptFailed").unwrap(), "the hook's step, more precise than the code's");
        let mut health = d.clone();
        health.error.as_mut().unwrap().code = "HEALTH_CONSTRAINTS".into();
        assert_eq!(failure(&health).unwrap().hint, hook_hint("ScriptFailed").unwrap());
        let mut stopped = d.clone();
        stopped.error.as_mut().unwrap().code = "MANUAL_STOP".into();
        assert_eq!(
            failure(&stopped).unwrap().hint,
            deployment_hint("MANUAL_STOP"),
            "a stop is a stop, whatever failed"
        );
        let mut none = d.clone();
        none.error = None;
        assert_eq!(failure(&none), None);
        let timeout = played("ready-timeout", "deploy; wait Ready; wait Stopped");
        let f = failure(&timeout).unwrap();
        assert_eq!(f.code, "TIMEOUT");
        assert!(f.hint.starts_with("the Ready window closed before a reroute"), "{}", f.hint);
    }

    #[test]
    fn a_bundle_changed_or_gone_in_s3_is_said_with_the_way_out() {
        let mut r = Revision {
            label: "v2".into(),
            bucket: "b".into(),
            key: "app/v2.zip".into(),
            bundle: "zip".into(),
            version: None,
            etag: Some("aaa".into()),
            registered_at: None,
            description: None,
            stored: Stored::Same,
        };
        assert_eq!(bundle_warning(&r), None);
        r.stored = Stored::Unchecked;
        assert_eq!(bundle_warning(&r), None, "nothing known, nothing said");
        r.stored = Stored::Overwritten { etag: "bbb".into() };
        assert_eq!(
            bundle_warning(&r).unwrap(),
            "s3://b/app/v2.zip was overwritten after v2 was registered (ETag now bbb, registered aaa): the agent refuses it at DownloadBundle; push it again (bluegreen push) and deploy that"
        );
        r.stored = Stored::Missing;
        assert_eq!(
            bundle_warning(&r).unwrap(),
            "s3://b/app/v2.zip is gone from S3: the deployment would fail at DownloadBundle; push it again (bluegreen push) and deploy that"
        );
    }

    #[test]
    fn exit_codes_read_from_the_agents_words() {
        assert_eq!(exit_code("run as user root failed with exit code 1"), Some(1));
        assert_eq!(exit_code("failed with exit code 127 after"), Some(127));
        assert_eq!(exit_code("failed with exit code"), None);
        assert_eq!(exit_code("timed out"), None);
    }

    #[test]
    fn every_lifecycle_code_but_success_has_its_own_step() {
        assert_eq!(hook_hint("Success"), None);
        let codes = ["ScriptMissing", "ScriptNotExecutable", "ScriptTimedOut", "ScriptFailed", "UnknownError"];
        let hints: std::collections::BTreeSet<_> = codes.iter().map(|c| hook_hint(c).unwrap()).collect();
        assert_eq!(hints.len(), codes.len(), "no two codes share a hint");
    }

    #[test]
    fn the_launch_template_trap_names_the_three_actions_and_the_policy() {
        let h = deployment_hint("AUTO_SCALING_IAM_ROLE_PERMISSIONS");
        for want in ["ec2:RunInstances", "ec2:CreateTags", "iam:PassRole", "assets/iam/codedeploy-service-role.json"] {
            assert!(h.contains(want), "{want} in {h}");
        }
        assert!(deployment_hint("NOT_A_CODE").contains("Error Codes for CodeDeploy"));
    }
}
