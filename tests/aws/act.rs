//! The keys act on AWS (moto and the scripted CodeDeploy endpoint), exactly
//! once and on the record: deploy, promote, reattach blue and clean up, read
//! back by describing moto and the endpoint; a lost answer is not sent
//! again; throttling is tried again and done once; read-only sends nothing;
//! refusals say why and call nothing; the audit log has a line per attempt.

use std::time::Duration;

use bluegreen::app::{App, PlanEnd};
use bluegreen::cloud::aws::Target;
use bluegreen::cloud::aws::act::MUTATIONS;
use bluegreen::cloud::{Call, Cloud};
use bluegreen::domain::DeploymentStatus;
use serde_json::Value;

use super::codedeploy::{Fault, GroupSettings};
use super::env::{Env, SECRET};
use super::moto::{region, scratch};
use super::{Console, World};

fn status_is(app: &App, status: &DeploymentStatus) -> bool {
    app.obs().and_then(|o| o.latest()).is_some_and(|d| d.status == *status)
}

fn ended(app: &App) -> Option<PlanEnd> {
    if app.running().is_some() || matches!(app.overlay(), bluegreen::app::Overlay::Plan(_)) {
        return None;
    }
    app.plan_end().cloned()
}

fn done(app: &App) -> bool {
    matches!(ended(app), Some(PlanEnd::Done(_)))
}

async fn world(name: &str, read_only: bool) -> (World, std::path::PathBuf) {
    let audit = scratch(&format!("audit-{name}.jsonl"));
    let _ = std::fs::remove_file(&audit);
    let target = Target { read_only, audit_log: Some(audit.clone()), ..Target::default() };
    let world = World::with_target(Env::alb(region(), 2).await, GroupSettings::tutorial(true), target).await;
    (world, audit)
}

fn audit_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(|l| serde_json::from_str(l).expect("JSON")).collect()
}

/// From Ready: `p` until green serves after success, then `r` puts the
/// kept originals back and the deployment group points at them again.
async fn promote_then_reattach(c: &mut Console, world: &World, green: &str) {
    c.keys("p y");
    c.until("promoted", done).await;
    c.until("success, green serving", |a| {
        status_is(a, &DeploymentStatus::Succeeded)
            && a.obs().is_some_and(|o| o.environment(green).is_some_and(bluegreen::domain::Environment::serving))
    })
    .await;
    c.keys("r <end> y");
    c.until("reattached", done).await;
    assert!(c.status().contains("bluegreen-asg is attached and serves again"), "{}", c.status());
    assert_eq!(world.fake.group_asgs(), ["bluegreen-asg"], "the deployment group points at the original again");
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_promote_reattach_clean_up_on_aws() {
    let (world, audit) = world("flow", false).await;
    let mut c = Console::new(&world);
    c.until("the first look", |a| a.obs().is_some()).await;

    c.keys("d y");
    c.until("the deployment created", done).await;
    assert!(c.status().starts_with("deployment d-TEST00001 created"), "{}", c.status());
    c.until("Ready", |a| status_is(a, &DeploymentStatus::Ready)).await;
    let green = c.app().obs().unwrap().active.as_ref().unwrap().replacement_asg.clone().unwrap();
    // The Ready window, from the deployment's own settings: an hour after
    // green's install ended, then it stops (STOP_DEPLOYMENT).
    let d = c.app().obs().unwrap().active.clone().unwrap();
    let installed = d.green_targets().flat_map(|t| &t.events).filter_map(|e| e.ended_at).max().unwrap();
    assert_eq!(
        d.wait,
        Some(bluegreen::domain::Wait::Reroute { until: Some(installed + Duration::from_secs(3600)), stops: true })
    );
    c.until("the Ready countdown", |a| {
        a.log().newest().any(|e| e.text == "reroute within 60m, then the deployment stops")
    })
    .await;
    assert!(world.env.group_exists(&green).await, "green exists in moto");

    promote_then_reattach(&mut c, &world, &green).await;
    let obs = world.cloud.observe().await.unwrap();
    assert!(obs.environment("bluegreen-asg").unwrap().serving(), "the original is attached and healthy");
    assert!(!obs.environment(&green).unwrap().attached_to(&obs.load_balancer), "green is detached");

    c.keys(&format!("c {green} <enter>"));
    c.until("cleaned up", done).await;
    assert!(!world.env.group_exists(&green).await, "green is deleted in moto");
    assert!(world.env.group_exists("bluegreen-asg").await, "the original is untouched");

    assert_eq!(world.fake.count("CreateDeployment"), 1, "exactly once");
    assert_eq!(world.fake.count("ContinueDeployment"), 1, "exactly once");
    assert_eq!(world.fake.count("UpdateDeploymentGroup"), 1);

    let lines = audit_lines(&audit);
    let ops: Vec<&str> = lines.iter().map(|l| l["operation"].as_str().unwrap()).collect();
    assert_eq!(
        ops,
        [
            "CreateDeployment",
            "ContinueDeployment",
            "AttachLoadBalancerTargetGroups",
            "DetachLoadBalancerTargetGroups",
            "UpdateDeploymentGroup",
            "DeleteAutoScalingGroup"
        ],
        "one line per mutation"
    );
    for l in &lines {
        assert_eq!(l["outcome"], "done", "{l}");
        assert!(l["request_id"].as_str().is_some_and(|r| !r.is_empty()), "a request id: {l}");
        assert!(l["caller"].as_str().is_some_and(|c| c.starts_with("arn:aws:")), "who: {l}");
    }
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(!text.contains(SECRET), "no secret in the audit log");

    // What the adapter really sent, against the policies.
    let read_only = policy("read-only");
    let operator = policy("operator");
    for op in world.cloud.calls().counts().keys() {
        assert!(operator.contains(op), "the operator policy misses {op}");
        if !MUTATIONS.contains(&op.as_str()) {
            assert!(read_only.contains(op), "the read-only policy misses {op}");
        }
    }
    for m in MUTATIONS {
        assert!(!read_only.contains(&m.to_string()), "the read-only policy allows {m}");
    }
}

fn policy(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(format!("{}/assets/iam/{name}.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_is_not_sent_again_and_the_screen_says_what_happened() {
    let (world, audit) = world("lost", false).await;
    let mut c = Console::new(&world);
    c.until("the first look", |a| a.obs().is_some()).await;
    c.keys("d y");
    c.until("Ready", |a| status_is(a, &DeploymentStatus::Ready)).await;
    // CodeDeploy does it, but the answer comes after the client gave up.
    world.fake.fault(Fault::Hold { operation: "ContinueDeployment".into(), times: 1, hold: Duration::from_secs(8) });
    c.keys("p y");
    c.until("the plan to stop", |a| ended(a).is_some()).await;
    let Some(PlanEnd::Failed(why)) = ended(c.app()) else { panic!("{:?}", ended(c.app())) };
    assert!(why.contains("ContinueDeployment: no answer (Timeout)"), "{why}");
    assert!(why.contains("it was not sent again"), "{why}");
    assert!(why.contains("is InProgress") || why.contains("is Succeeded"), "says what it sees now: {why}");
    tokio::time::sleep(Duration::from_secs(9)).await;
    assert_eq!(world.fake.count("ContinueDeployment"), 1, "never sent twice");
    let lines = audit_lines(&audit);
    let last = lines.last().unwrap();
    assert_eq!((last["operation"].as_str(), last["outcome"].as_str()), (Some("ContinueDeployment"), Some("unknown")));
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_tried_again_and_done_once() {
    let (world, audit) = world("throttled", false).await;
    let mut c = Console::new(&world);
    c.until("the first look", |a| a.obs().is_some()).await;
    world.fake.fault(Fault::Throttle { operation: "CreateDeployment".into(), times: 1 });
    c.keys("d y");
    c.until("the deployment created", done).await;
    assert_eq!(world.fake.count("CreateDeployment"), 2, "refused once for its rate, then done");
    let obs = world.cloud.observe().await.unwrap();
    assert_eq!(obs.active.iter().count() + usize::from(obs.last.is_some()), 1, "one deployment");
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["outcome"].as_str(), lines[0]["error_code"].as_str()),
        (Some("failed"), Some("ThrottlingException"))
    );
    assert_eq!((lines[1]["outcome"].as_str(), lines[1]["attempt"].as_u64()), (Some("done"), Some(2)));
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_sends_no_mutation_whatever_the_keys() {
    let (world, audit) = world("read-only", true).await;
    let mut c = Console::new(&world);
    c.until("the first look", |a| a.obs().is_some()).await;
    c.keys("d y p y r y c bluegreen-asg <enter>");
    assert!(c.status().contains("read-only"), "{}", c.status());
    assert!(!c.app().offers(bluegreen::cloud::plan::Intent::Deploy), "dimmed in the footer");
    // Even a call made past the keys is refused in the port.
    let call = Call::DeleteAutoScalingGroup { asg: "bluegreen-asg".into(), force: true };
    let refused = world.cloud.apply(call).await.unwrap_err();
    assert_eq!(refused.code, "ReadOnly");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent: Vec<String> =
        world.cloud.calls().counts().into_keys().filter(|op| MUTATIONS.contains(&op.as_str())).collect();
    assert!(sent.is_empty(), "no mutating call left the process: {sent:?}");
    assert_eq!(world.fake.count("CreateDeployment"), 0);
    assert!(world.env.group_exists("bluegreen-asg").await);
    assert!(audit_lines(&audit).is_empty(), "nothing attempted, nothing recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_say_why_and_call_nothing() {
    let (world, _) = world("refusals", false).await;
    let mut c = Console::new(&world);
    c.until("the first look", |a| a.obs().is_some()).await;
    c.keys("p");
    assert_eq!(c.status(), "promote: nothing waits for a promote");
    c.keys("c");
    assert!(
        c.status().starts_with("clean up: nothing to clean up"),
        "the serving group, the group's own: {}",
        c.status()
    );
    c.keys("d y");
    c.until("Ready", |a| status_is(a, &DeploymentStatus::Ready)).await;
    c.keys("c");
    assert!(c.status().contains("belong to d-TEST00001"), "not a group of the active deployment: {}", c.status());
    let sent: Vec<String> =
        world.cloud.calls().counts().into_keys().filter(|op| MUTATIONS.contains(&op.as_str())).collect();
    assert_eq!(sent, ["codedeploy:CreateDeployment"], "only the deployment was sent");
    let obs = world.cloud.observe().await.unwrap();
    assert!(matches!(obs.active.as_ref().map(|d| &d.status), Some(DeploymentStatus::Ready)));
}

/// A group that terminates its originals after a wait: the console counts
/// the wait down from the deployment's own settings, and `p` ends it only
/// once the original group's name is typed back (ContinueDeployment with
/// TERMINATION_WAIT, once); then moto has no original group.
#[tokio::test(flavor = "multi_thread")]
async fn the_termination_wait_counts_down_and_p_ends_it_once_the_name_is_typed() {
    let settings = GroupSettings { terminate_minutes: Some(5), ..GroupSettings::tutorial(false) };
    let world = World::new(Env::alb(region(), 2).await, settings).await;
    let mut c = Console::new(&world);
    c.until("the first look", |a| a.obs().is_some()).await;
    c.keys("d y");
    c.until("the termination wait", |a| {
        a.obs().and_then(|o| o.active.as_ref()).is_some_and(|d| d.stage() == bluegreen::domain::Stage::TerminationWait)
    })
    .await;
    let obs = c.app().obs().unwrap().clone();
    let d = obs.active.as_ref().unwrap();
    let blocked = d.targets.iter().flat_map(|t| &t.events).filter_map(|e| e.ended_at).max().unwrap();
    let Some(bluegreen::domain::Wait::Termination { until: Some(until) }) = d.wait else {
        panic!("a termination wait with its end: {:?}", d.wait)
    };
    assert_eq!(
        until,
        blocked + Duration::from_secs(5 * 60),
        "the last block hook's end plus the deployment's 5 minutes"
    );
    c.until("the countdown in the log", |a| {
        a.log().newest().any(|e| e.text == "blue is terminated in 5m; r puts it back until then")
    })
    .await;
    let json = bluegreen::report::status::to_json(&obs);
    assert_eq!(json["deployment"]["wait"]["for"], "termination");
    assert_eq!(json["deployment"]["wait"]["then"], "terminate");
    assert_eq!(json["deployment"]["wait"]["until"], until.rfc3339());

    // A wrong name changes nothing; the right one terminates.
    c.keys("p blue <enter>");
    assert_eq!(world.fake.count("ContinueDeployment"), 0, "not with another name");
    c.keys("<esc> p bluegreen-asg <enter>");
    c.until("terminated", done).await;
    c.until("success", |a| status_is(a, &DeploymentStatus::Succeeded)).await;
    assert_eq!(world.fake.count("ContinueDeployment"), 1, "exactly once");
    for _ in 0..50 {
        if !world.env.group_exists("bluegreen-asg").await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!world.env.group_exists("bluegreen-asg").await, "the originals are gone in moto");
    c.until("the original told gone", |a| a.log().newest().any(|e| e.text == "ASG bluegreen-asg deleted")).await;
}

/// The blog's own load balancer: a deployment promoted behind a Classic
/// Load Balancer, then `r` puts the kept originals back (AttachLoadBalancers
/// to the original, DetachLoadBalancers from the copy, the deployment group
/// pointed back). moto's classic load balancer replaces the registered
/// instances on an attach (FACTS §8), so the end state is read from
/// DescribeInstanceHealth rather than assumed.
#[tokio::test(flavor = "multi_thread")]
async fn reattach_behind_a_classic_load_balancer() {
    let audit = scratch("audit-classic.jsonl");
    let _ = std::fs::remove_file(&audit);
    let target = Target { audit_log: Some(audit.clone()), ..Target::default() };
    let world = World::with_target(Env::classic(region(), 2).await, GroupSettings::tutorial(true), target).await;
    let mut c = Console::new(&world);
    c.until("the first look", |a| a.obs().is_some()).await;
    assert_eq!(c.app().obs().unwrap().load_balancer.kind, bluegreen::domain::LoadBalancerKind::Classic);
    c.keys("d y");
    c.until("Ready", |a| status_is(a, &DeploymentStatus::Ready)).await;
    let green = c.app().obs().unwrap().active.as_ref().unwrap().replacement_asg.clone().unwrap();
    promote_then_reattach(&mut c, &world, &green).await;
    let obs = world.cloud.observe().await.unwrap();
    let blue = obs.environment("bluegreen-asg").unwrap();
    assert!(blue.serving() && blue.attached_to(&obs.load_balancer), "the original is attached and in service");
    assert!(!obs.environment(&green).unwrap().attached_to(&obs.load_balancer), "green is detached");
    let ops: Vec<String> = audit_lines(&audit).iter().map(|l| l["operation"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        ops,
        [
            "CreateDeployment",
            "ContinueDeployment",
            "AttachLoadBalancers",
            "DetachLoadBalancers",
            "UpdateDeploymentGroup"
        ],
        "the classic calls, once each"
    );
}
