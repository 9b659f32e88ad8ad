//! Each row of the key table: in each observed situation, what each key
//! plans or why it refuses.

use bluegreen::cloud::plan::{Confirm, Intent, Plan, Refusal, Step, plan};
use bluegreen::cloud::{Call, WaitType};
use bluegreen::domain::{Observation, Stage};

use super::support::{after, pass, world};

fn keys(obs: &Observation) -> [Result<Plan, Refusal>; 4] {
    Intent::ALL.map(|k| plan(obs, k, 0))
}

fn refused(r: &Result<Plan, Refusal>) -> String {
    match r {
        Ok(p) => panic!("expected a refusal, got plan {}", p.title),
        Err(Refusal(why)) => why.clone(),
    }
}

fn calls(p: &Plan) -> Vec<&'static str> {
    p.steps
        .iter()
        .map(|s| match s {
            Step::Call(c) => c.operation(),
            Step::Wait { .. } => "wait",
        })
        .collect()
}

#[test]
fn idle_one_group_serving() {
    let obs = world("manual-reroute").observe();
    let [d, p, r, c] = keys(&obs);
    let d = d.unwrap();
    assert_eq!(calls(&d), ["CreateDeployment"]);
    assert!(d.title.contains("v2"), "newest revision first: {}", d.title);
    assert_eq!(d.choices.len(), 2);
    let older = plan(&obs, Intent::Deploy, 1).unwrap();
    assert!(matches!(&older.steps[0], Step::Call(Call::CreateDeployment { key, .. }) if key.contains("v1")));
    assert_eq!(refused(&p), "nothing waits for a promote");
    assert_eq!(refused(&r), "blue is already serving");
    assert!(refused(&c).starts_with("nothing to clean up"));
}

#[test]
fn active_installing() {
    let mut w = world("manual-reroute");
    super::support::play(&mut w, "deploy");
    pass(&mut w, 20);
    let obs = w.observe();
    assert_eq!(obs.active.as_ref().unwrap().stage(), Stage::Installing);
    let [d, p, r, c] = keys(&obs);
    assert!(refused(&d).starts_with("a deployment is already running"));
    assert_eq!(refused(&p), "green is still installing");
    let r = r.unwrap();
    assert!(matches!(&r.steps[..], [Step::Call(Call::StopDeployment { auto_rollback: true, .. })]));
    assert!(r.title.contains("blue never stopped serving"));
    assert!(refused(&c).contains("belong to"));
}

#[test]
fn active_ready() {
    let obs = after("manual-reroute", "deploy; wait Ready").observe();
    let [d, p, r, c] = keys(&obs);
    assert!(refused(&d).starts_with("a deployment is already running"));
    let p = p.unwrap();
    assert!(matches!(&p.steps[..], [Step::Call(Call::ContinueDeployment { wait: WaitType::ReadyWait, .. })]));
    assert_eq!(p.confirm, Confirm::Key);
    assert!(matches!(&r.unwrap().steps[..], [Step::Call(Call::StopDeployment { auto_rollback: true, .. })]));
    assert!(c.is_err());
}

#[test]
fn active_traffic_moving() {
    let obs = after("manual-reroute", "deploy; wait Ready; promote; wait registered").observe();
    assert_eq!(obs.active.as_ref().unwrap().stage(), Stage::TrafficMoving);
    let [d, p, r, c] = keys(&obs);
    assert!(d.is_err());
    assert_eq!(refused(&p), "traffic is already moving");
    let r = r.unwrap();
    assert!(r.title.contains("reroutes to the originals"), "{}", r.title);
    assert!(c.is_err());
}

#[test]
fn active_termination_wait() {
    let obs = after("terminate", "deploy; wait termination-wait").observe();
    let d = obs.active.as_ref().unwrap();
    assert_eq!(d.stage(), Stage::TerminationWait);
    let [_, p, r, c] = keys(&obs);
    let p = p.unwrap();
    assert!(matches!(&p.steps[..], [Step::Call(Call::ContinueDeployment { wait: WaitType::TerminationWait, .. })]));
    assert_eq!(p.confirm, Confirm::Typed("bluegreen-asg".into()), "terminating needs the group typed back");
    assert!(matches!(&r.unwrap().steps[..], [Step::Call(Call::StopDeployment { auto_rollback: true, .. })]));
    assert!(c.is_err());
}

#[test]
fn succeeded_originals_terminated() {
    let mut w = after("terminate", "deploy; wait Succeeded");
    pass(&mut w, 60);
    let obs = w.observe();
    let [d, p, r, c] = keys(&obs);
    assert_eq!(calls(&d.unwrap()), ["CreateDeployment"]);
    assert_eq!(refused(&p), "nothing waits for a promote");
    assert_eq!(refused(&r), "the originals were terminated: deploy the previous revision with d");
    assert!(c.is_err(), "the only group serves");
}

#[test]
fn succeeded_originals_kept() {
    let mut w = after("manual-reroute", "deploy; wait Ready; promote; wait Succeeded");
    pass(&mut w, 60);
    let obs = w.observe();
    let [d, p, r, c] = keys(&obs);
    assert!(d.unwrap().title.contains("v3"), "the next revision is registered");
    assert_eq!(refused(&p), "nothing waits for a promote");
    let r = r.unwrap();
    assert_eq!(
        calls(&r),
        ["AttachLoadBalancerTargetGroups", "wait", "DetachLoadBalancerTargetGroups", "wait", "UpdateDeploymentGroup"]
    );
    let c = c.unwrap();
    assert_eq!(c.choices, ["bluegreen-asg"], "the kept original is idle");
    assert_eq!(c.confirm, Confirm::Typed("bluegreen-asg".into()));
}

#[test]
fn failed_green_left_running() {
    let mut w = after("hook-fails", "deploy; wait Failed; wait Succeeded");
    pass(&mut w, 60);
    let obs = w.observe();
    let green = w.history()[0].replacement_asg.clone().unwrap();
    assert!(obs.environment(&green).is_some_and(|e| !e.instances.is_empty()), "green is left running");
    let [d, p, r, c] = keys(&obs);
    assert!(d.is_ok());
    assert_eq!(refused(&p), "nothing waits for a promote");
    assert_eq!(refused(&r), "blue is already serving");
    let c = c.unwrap();
    assert_eq!(c.choices, [green.as_str()], "green is an idle leftover");
    assert!(matches!(&c.steps[..], [Step::Call(Call::DeleteAutoScalingGroup { asg, force: true })] if *asg == green));
}

#[test]
fn classic_reattach_uses_load_balancer_calls() {
    let mut w = after("tutorial", "deploy; wait Succeeded");
    pass(&mut w, 60);
    let r = plan(&w.observe(), Intent::Reattach, 0).unwrap();
    assert_eq!(calls(&r), ["AttachLoadBalancers", "wait", "DetachLoadBalancers", "wait", "UpdateDeploymentGroup"]);
}

#[test]
fn preconditions_are_checked_again() {
    let ready = after("manual-reroute", "deploy; wait Ready");
    let p = plan(&ready.observe(), Intent::Promote, 0).unwrap();
    let later = after("manual-reroute", "deploy; wait Ready; promote; wait Succeeded").observe();
    for pre in &p.preconditions {
        assert!(pre.check(&ready.observe()).is_ok());
    }
    let err = p.preconditions[0].check(&later).unwrap_err();
    assert!(err.contains("no longer"), "{err}");
}

#[test]
fn steps_show_service_operation_and_parameters() {
    let obs = world("manual-reroute").observe();
    let d = plan(&obs, Intent::Deploy, 0).unwrap();
    let Step::Call(call) = &d.steps[0] else { panic!() };
    assert_eq!(
        d.steps[0].to_string(),
        format!(
            "deploy CreateDeployment applicationName=bluegreen-app deploymentGroupName=bluegreen-dg revision=s3://bluegreen-app-bucket/bluegreen-app/newversion-v2.zip (zip)"
        )
    );
    assert!(call.cli().starts_with("aws deploy create-deployment --application-name bluegreen-app"));
}

#[test]
fn a_pick_past_the_end_of_the_choices_is_the_last_choice() {
    let obs = world("manual-reroute").observe();
    let p = plan(&obs, Intent::Deploy, 99).unwrap();
    assert_eq!(p.picked, 1);
    assert!(matches!(&p.steps[0], Step::Call(Call::CreateDeployment { key, .. }) if key.ends_with("v1.zip")));
    let mut w = world("hook-fails");
    super::support::play(&mut w, "deploy; wait Failed; wait Succeeded");
    let p = plan(&w.observe(), Intent::CleanUp, 99).unwrap();
    assert_eq!((p.picked, p.choices.len()), (0, 1));
}

#[test]
fn kept_originals_that_are_gone_were_not_terminated() {
    // KEEP_ALIVE: after success the originals are kept; when someone deletes
    // their group, r says there are none, not that CodeDeploy terminated them.
    let mut w = after("manual-reroute", "deploy; wait Ready; promote; wait Succeeded");
    pass(&mut w, 120);
    w.apply(&Call::DeleteAutoScalingGroup { asg: "bluegreen-asg".into(), force: true }).unwrap();
    let r = plan(&w.observe(), Intent::Reattach, 0);
    assert_eq!(refused(&r), "no kept originals to reattach");
    let mut w = after("terminate", "deploy; wait Succeeded");
    pass(&mut w, 120);
    let r = plan(&w.observe(), Intent::Reattach, 0);
    assert_eq!(refused(&r), "the originals were terminated: deploy the previous revision with d");
}

#[test]
fn preconditions_fail_when_the_situation_moved_on() {
    use bluegreen::cloud::plan::Precondition;
    let mut w = after("manual-reroute", "deploy; wait Ready");
    let obs = w.observe();
    let id = obs.active.as_ref().unwrap().id.clone();
    let ready = Precondition::DeploymentAt { deployment_id: id.clone(), stage: Stage::Ready };
    assert!(ready.check(&obs).is_ok());
    let other = Precondition::DeploymentAt { deployment_id: "d-OTHER0000".into(), stage: Stage::Ready };
    assert!(other.check(&obs).is_err(), "another deployment");
    let installing = Precondition::DeploymentAt { deployment_id: id.clone(), stage: Stage::Installing };
    assert!(installing.check(&obs).is_err(), "another stage");
    let active = Precondition::DeploymentActive { deployment_id: id.clone() };
    assert!(active.check(&obs).is_ok());
    assert!(Precondition::DeploymentActive { deployment_id: "d-OTHER0000".into() }.check(&obs).is_err());
    let green = obs.active.as_ref().unwrap().replacement_asg.clone().unwrap();
    let kept_green = Precondition::GroupKept { asg: green.clone() };
    assert!(kept_green.check(&obs).is_ok(), "installed green: in service, no traffic");
    let kept_blue = Precondition::GroupKept { asg: "bluegreen-asg".into() };
    assert_eq!(kept_blue.check(&obs), Err("bluegreen-asg already serves traffic".into()));
    super::support::play(&mut w, "promote; wait Succeeded");
    let obs = w.observe();
    assert_eq!(active.check(&obs), Err(format!("deployment {id} has ended")));
    assert!(ready.check(&obs).is_err());
    assert!(Precondition::GroupKept { asg: "nope".into() }.check(&obs).is_err());
}

#[test]
fn a_group_with_instances_out_of_service_is_not_kept() {
    use bluegreen::cloud::plan::Precondition;
    let mut w = world("manual-reroute");
    super::support::play(&mut w, "deploy");
    pass(&mut w, 5);
    let obs = w.observe();
    let green = obs.active.as_ref().unwrap().replacement_asg.clone().unwrap();
    let kept = Precondition::GroupKept { asg: green.clone() };
    assert_eq!(
        kept.check(&obs),
        Err(format!("{green} has instances that are not InService")),
        "green is still launching"
    );
}

#[test]
fn deploying_a_bundle_overwritten_since_its_registration_is_warned_of() {
    let obs = after("bundle-overwritten", "").observe();
    let [d, ..] = keys(&obs);
    let d = d.unwrap();
    assert_eq!(d.title, "Deploy v2 to bluegreen-dg");
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    let w = &d.warnings[0];
    assert!(w.starts_with("s3://bluegreen-app-bucket/bluegreen-app/newversion-v2.zip was overwritten after v2 was registered (ETag now 7215ee9c"), "{w}");
    assert!(w.ends_with("push it again (bluegreen push) and deploy that"), "{w}");
    assert!(d.choices[0].contains("⚠ overwritten since"), "{:?}", d.choices);
    let older = plan(&obs, Intent::Deploy, 1).unwrap();
    assert!(older.warnings.is_empty(), "v1 is as registered: {:?}", older.warnings);
    let fine = after("manual-reroute", "").observe();
    assert!(keys(&fine)[0].as_ref().unwrap().warnings.is_empty());
}
