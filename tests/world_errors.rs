//! The world answers wrong-state calls with AWS's errors, and a call that
//! fails changes nothing.

use bluegreen::cloud::sim::World;
use bluegreen::cloud::{Call, CallOutput, WaitType};
use bluegreen::domain::{DeploymentStatus, Hook};

use super::support::{after, pass, play, world};

fn code(w: &mut World, call: &Call) -> String {
    let before = w.observe();
    let err = w.apply(call).expect_err("the call must fail");
    assert_eq!(w.observe(), before, "a failed {} changed the world", call.operation());
    assert!(!err.message.is_empty());
    err.code
}

fn active_id(w: &World) -> String {
    w.observe().active.expect("an active deployment").id
}

fn cont(id: &str, wait: WaitType) -> Call {
    Call::ContinueDeployment { deployment_id: id.into(), wait }
}

fn create(w: &World, key: &str) -> Call {
    let g = &w.observe().group;
    Call::CreateDeployment {
        application: g.application.clone(),
        group: g.name.clone(),
        bucket: "bluegreen-app-bucket".into(),
        key: key.into(),
        bundle: "zip".into(),
        version: None,
        etag: None,
    }
}

#[test]
fn continue_before_ready() {
    let mut w = after("manual-reroute", "deploy");
    let id = active_id(&w);
    assert_eq!(code(&mut w, &cont(&id, WaitType::ReadyWait)), "DeploymentIsNotInReadyStateException");
}

#[test]
fn termination_wait_while_ready() {
    let mut w = after("manual-reroute", "deploy; wait Ready");
    let id = active_id(&w);
    assert_eq!(code(&mut w, &cont(&id, WaitType::TerminationWait)), "DeploymentIsNotInReadyStateException");
}

#[test]
fn continue_after_completion() {
    let mut w = after("manual-reroute", "deploy; wait Ready; promote; wait Succeeded");
    let id = w.history()[0].id.clone();
    assert_eq!(code(&mut w, &cont(&id, WaitType::ReadyWait)), "DeploymentAlreadyCompletedException");
    let stop = Call::StopDeployment { deployment_id: id, auto_rollback: true };
    assert_eq!(code(&mut w, &stop), "DeploymentAlreadyCompletedException");
}

#[test]
fn second_active_deployment() {
    let mut w = after("manual-reroute", "deploy");
    let call = create(&w, "bluegreen-app/newversion-v2.zip");
    assert_eq!(code(&mut w, &call), "DeploymentLimitExceededException");
}

#[test]
fn unknown_and_malformed_ids() {
    let mut w = world("manual-reroute");
    assert_eq!(code(&mut w, &cont("d-ABCDEFGHI", WaitType::ReadyWait)), "DeploymentDoesNotExistException");
    assert_eq!(code(&mut w, &cont("nonsense", WaitType::ReadyWait)), "InvalidDeploymentIdException");
    let bad_rev = create(&w, "nope.zip");
    assert_eq!(code(&mut w, &bad_rev), "RevisionDoesNotExistException");
    let mut bad_app = create(&w, "bluegreen-app/newversion-v2.zip");
    if let Call::CreateDeployment { application, .. } = &mut bad_app {
        *application = "other".into();
    }
    assert_eq!(code(&mut w, &bad_app), "ApplicationDoesNotExistException");
    let bad_group = Call::UpdateDeploymentGroup {
        application: "bluegreen-app".into(),
        group: "x".into(),
        autoscaling_groups: vec![],
    };
    assert_eq!(code(&mut w, &bad_group), "DeploymentGroupDoesNotExistException");
}

#[test]
fn auto_scaling_and_load_balancer_errors() {
    let mut w = world("manual-reroute");
    let arn = w.observe().load_balancer.target_group_arn.unwrap();
    let attach = Call::AttachTargetGroups { asg: "ghost".into(), target_group_arns: vec![arn.clone()] };
    assert_eq!(code(&mut w, &attach), "ValidationError");
    let wrong_tg = Call::AttachTargetGroups { asg: "bluegreen-asg".into(), target_group_arns: vec!["arn:x".into()] };
    assert_eq!(code(&mut w, &wrong_tg), "ValidationError");
    let classic = Call::AttachClassicLoadBalancers { asg: "bluegreen-asg".into(), names: vec!["bluegreen-alb".into()] };
    assert_eq!(code(&mut w, &classic), "ValidationError", "an ALB world has no classic load balancer");
    let reg = Call::RegisterTargets { target_group_arn: "arn:x".into(), instance_ids: vec!["i-1".into()] };
    assert_eq!(code(&mut w, &reg), "TargetGroupNotFound");
    let reg = Call::RegisterTargets { target_group_arn: arn.clone(), instance_ids: vec!["i-0nothere".into()] };
    assert_eq!(code(&mut w, &reg), "InvalidTarget");
    let dereg = Call::DeregisterTargets { target_group_arn: arn, instance_ids: vec!["i-0nothere".into()] };
    assert_eq!(code(&mut w, &dereg), "InvalidTarget");
    let update = Call::UpdateDeploymentGroup {
        application: "bluegreen-app".into(),
        group: "bluegreen-dg".into(),
        autoscaling_groups: vec!["ghost".into()],
    };
    assert_eq!(code(&mut w, &update), "InvalidAutoScalingGroupException");
    assert_eq!(code(&mut w, &Call::DeleteAutoScalingGroup { asg: "ghost".into(), force: true }), "ValidationError");
    assert_eq!(
        code(&mut w, &Call::DeleteAutoScalingGroup { asg: "bluegreen-asg".into(), force: false }),
        "ResourceInUse"
    );
}

#[test]
fn registering_a_pending_instance_is_refused() {
    let mut w = after("manual-reroute", "deploy");
    pass(&mut w, 5);
    let obs = w.observe();
    let green = obs.active.unwrap().replacement_asg.unwrap();
    let pending = obs.environments.iter().find(|e| e.asg == green).unwrap().instances[0].id.clone();
    let call = Call::RegisterTargets {
        target_group_arn: obs.load_balancer.target_group_arn.unwrap(),
        instance_ids: vec![pending],
    };
    assert_eq!(code(&mut w, &call), "InvalidTarget");
}

#[test]
fn stop_without_rollback_leaves_green_running() {
    let mut w = after("manual-reroute", "deploy; wait Ready");
    let id = active_id(&w);
    let out = w.apply(&Call::StopDeployment { deployment_id: id, auto_rollback: false }).unwrap();
    assert!(matches!(out, CallOutput::Stopping { ref status, .. } if status == "Succeeded"));
    let h = w.history();
    assert_eq!(h.len(), 1, "no rollback deployment");
    assert_eq!(h[0].status, DeploymentStatus::Stopped);
    assert_eq!(h[0].error.as_ref().unwrap().code, "MANUAL_STOP");
    let green = h[0].replacement_asg.clone().unwrap();
    assert!(w.observe().environment(&green).unwrap().all_in_service());
}

#[test]
fn stop_with_rollback_while_traffic_moves_reroutes_to_blue() {
    let mut w = after("manual-reroute", "deploy; wait Ready; promote; wait AllowTraffic");
    let id = active_id(&w);
    let out = w.apply(&Call::StopDeployment { deployment_id: id.clone(), auto_rollback: true }).unwrap();
    assert!(matches!(out, CallOutput::Stopping { ref status, .. } if status == "Pending"));
    play(&mut w, "wait Succeeded");
    pass(&mut w, 60);
    let h = w.history();
    assert_eq!(h[1].creator.as_str(), "codeDeployRollback");
    assert_eq!(h[1].rollback.as_ref().unwrap().triggering_deployment_id.as_deref(), Some(id.as_str()));
    assert_eq!(h[0].rollback.as_ref().unwrap().rollback_deployment_id.as_deref(), Some(h[1].id.as_str()));
    assert_eq!(super::support::serving(&w), ["bluegreen-asg"]);
    assert_eq!(w.observe().group.autoscaling_groups, ["bluegreen-asg"]);
}

#[test]
fn ready_wait_runs_out() {
    let mut w = after("manual-reroute", "deploy; wait Ready");
    pass(&mut w, 61 * 60);
    let d = &w.history()[0];
    assert_eq!(d.status, DeploymentStatus::Stopped);
    assert_eq!(d.error.as_ref().unwrap().code, "TIMEOUT");
}

#[test]
fn failed_hook_carries_its_log_tail() {
    let w = after("hook-fails", "deploy; wait Failed");
    let d = &w.history()[0];
    assert_eq!(d.error.as_ref().unwrap().code, "HOOK_EXECUTION_FAILURE");
    let failed = d.targets.iter().find_map(|t| t.failure()).expect("a failed event");
    assert_eq!(failed.hook, Hook::ValidateService);
    let diag = failed.diagnostics.as_ref().unwrap();
    assert_eq!(diag.error_code, "ScriptFailed");
    assert!(diag.log_tail.iter().any(|l| l.contains("Connection refused")));
}

#[test]
fn failed_health_checks_take_a_target_out_and_passing_ones_bring_it_back() {
    use bluegreen::domain::TargetState;
    let mut w = world("manual-reroute");
    let id = w.observe().environments[0].instances[0].id.clone();
    let state = |w: &World| {
        let obs = w.observe();
        obs.environments[0].instances.iter().find(|i| i.id == id).unwrap().target.clone().unwrap()
    };
    w.report_health(&id, false);
    pass(&mut w, 25);
    let t = state(&w);
    assert_eq!(t.state, TargetState::Unhealthy);
    assert_eq!(t.reason.as_deref(), Some("Target.FailedHealthChecks"));
    assert!(!w.instances().iter().find(|v| v.id == id).unwrap().routable(), "no requests go to it");
    assert_eq!(super::support::serving(&w), ["bluegreen-asg"], "the other instance still serves");
    w.report_health(&id, true);
    pass(&mut w, 25);
    assert_eq!(state(&w).state, TargetState::Healthy);
}
