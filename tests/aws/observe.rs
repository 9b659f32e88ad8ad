//! Observing a deployment group built in moto: groups, instances with their
//! addresses, target health (ALB and classic), the load balancer's DNS name,
//! a deployment's phases with its targets and a failed hook's log tail, the
//! budget of calls, throttling and a hanging call.

use std::time::{Duration, Instant};

use bluegreen::cloud::Cloud;
use bluegreen::domain::{DeploymentStatus, EventStatus, Hook, LoadBalancerKind, Observation, TargetState};

use super::World;
use super::codedeploy::{Fault, GroupSettings};
use super::env::Env;
use super::moto::region;

async fn until(world: &World, what: &str, done: impl Fn(&Observation) -> bool) -> Observation {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let obs = world.cloud.observe().await.expect("an observation");
        if done(&obs) {
            return obs;
        }
        assert!(Instant::now() < deadline, "waited for {what}; last observation: {obs:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alb_environment_as_the_console_sees_it() {
    let env = Env::alb(region(), 2).await;
    let world = World::new(env.clone(), GroupSettings::tutorial(true)).await;
    let obs = world.cloud.observe().await.unwrap();
    assert_eq!((obs.group.application.as_str(), obs.group.name.as_str()), ("bluegreen-app", "bluegreen-dg"));
    assert_eq!(obs.group.autoscaling_groups, ["bluegreen-asg"]);
    assert_eq!(obs.load_balancer.kind, LoadBalancerKind::Application);
    assert_eq!(obs.load_balancer.url, format!("http://{}/", env.dns), "the prober's URL is the ALB's DNS name");
    assert_eq!(obs.load_balancer.target_group_arn.as_deref(), env.target_group.as_ref().map(|(_, a)| a.as_str()));
    assert_eq!(obs.environments.len(), 1);
    let blue = &obs.environments[0];
    assert_eq!((blue.asg.as_str(), blue.instances.len()), ("bluegreen-asg", 2));
    assert!(blue.attached_to(&obs.load_balancer), "{blue:#?}");
    for i in &blue.instances {
        assert!(i.private_ip.as_ref().is_some_and(|ip| ip.starts_with("10.200.")), "{i:#?}");
        assert_eq!(i.lifecycle.as_str(), "InService");
        assert_eq!(i.target.as_ref().map(|t| &t.state), Some(&TargetState::Healthy), "{i:#?}");
    }
    assert!(obs.active.is_none() && obs.last.is_none());
    assert_eq!(obs.revisions.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(), ["newversion-v2", "newversion-v1"]);
    assert_eq!(obs.sides().blue.map(|(n, _)| n), Some("bluegreen-asg"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_classic_load_balancer_and_its_instance_health() {
    let env = Env::classic(region(), 2).await;
    let world = World::new(env.clone(), GroupSettings::tutorial(false)).await;
    let obs = world.cloud.observe().await.unwrap();
    assert_eq!(obs.load_balancer.kind, LoadBalancerKind::Classic);
    assert_eq!(obs.load_balancer.name, "bluegreen-elb");
    assert_eq!(obs.load_balancer.url, format!("http://{}/", env.dns));
    let blue = &obs.environments[0];
    assert!(blue.attached_to(&obs.load_balancer), "{blue:#?}");
    assert!(blue.serving(), "InService at the classic load balancer reads as healthy: {blue:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_through_its_phases() {
    let env = Env::alb(region(), 2).await;
    let world = World::new(env.clone(), GroupSettings::tutorial(true)).await;
    let id = world.deploy().await;
    let obs = until(&world, "green installing", |o| {
        o.active.as_ref().is_some_and(|d| d.replacement_asg.is_some() && d.green_targets().count() == 2)
    })
    .await;
    let d = obs.active.as_ref().unwrap();
    assert_eq!(d.id, id);
    let green = d.replacement_asg.clone().unwrap();
    assert!(green.starts_with("CodeDeploy_bluegreen-dg_"), "{green}");
    assert_eq!(d.original_asg.as_deref(), Some("bluegreen-asg"), "the original is the group's own when it started");
    assert_eq!(obs.sides().green.map(|(n, _)| n), Some(green.as_str()));
    let obs = until(&world, "Ready", |o| o.active.as_ref().is_some_and(|d| d.status == DeploymentStatus::Ready)).await;
    let green_env = obs.environment(&green).expect("the copy is observed");
    assert_eq!(green_env.instances.len(), 2);
    assert!(!green_env.serving(), "green waits in Ready without traffic");
    assert!(obs.environment("bluegreen-asg").unwrap().serving(), "blue still serves");
    let d = obs.active.as_ref().unwrap();
    assert!(
        d.green_targets()
            .all(|t| t.events.iter().any(|e| e.hook == Hook::ValidateService && e.status == EventStatus::Succeeded))
    );
    assert_eq!(d.revision.as_deref(), Some("newversion-v2"));
    assert!(
        green_env.instances.iter().all(|i| i.version.as_deref() == Some("newversion-v2")),
        "green instances run the new revision: {green_env:#?}"
    );

    world.codedeploy.continue_deployment().deployment_id(&id).send().await.unwrap();
    // One observation reads the group, the deployment and the load balancer with separate calls,
    // so the one that first sees the success may have read the others a moment before they
    // changed (seen on a loaded machine): wait until all of them say so.
    let obs = until(&world, "success, the group copying green, green alone serving", |o| {
        o.active.is_none()
            && o.last.is_some()
            && o.group.autoscaling_groups == std::slice::from_ref(&green)
            && o.environment(&green).is_some_and(bluegreen::domain::Environment::serving)
            && o.environment("bluegreen-asg").is_some_and(|e| !e.serving())
    })
    .await;
    let last = obs.last.as_ref().unwrap();
    assert_eq!(last.status, DeploymentStatus::Succeeded);
    assert!(obs.environment(&green).unwrap().serving(), "green serves");
    assert!(!obs.environment("bluegreen-asg").unwrap().serving(), "blue no longer does");
    assert_eq!(obs.sides().blue.map(|(n, _)| n), Some("bluegreen-asg"), "BLUE stays the original after success");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_hook_comes_with_its_log_tail() {
    let env = Env::alb(region(), 2).await;
    let world = World::new(env, GroupSettings::tutorial(true)).await;
    world.fake.fault(Fault::FailHook {
        hook: Hook::ValidateService,
        log_tail: "[stderr]curl: (7) Failed to connect\n\u{1b}[31m[stderr]the page did not answer\u{1b}[0m".into(),
    });
    world.deploy().await;
    let obs =
        until(&world, "the failure", |o| o.last.as_ref().is_some_and(|d| d.status == DeploymentStatus::Failed)).await;
    let d = obs.last.as_ref().unwrap();
    assert_eq!(d.error.as_ref().map(|e| e.code.as_str()), Some("HOOK_EXECUTION_FAILURE"));
    let failed = d.targets.iter().find_map(|t| t.failure()).expect("a failed event");
    assert_eq!(failed.hook, Hook::ValidateService);
    let diag = failed.diagnostics.as_ref().unwrap();
    assert_eq!(diag.error_code, "ScriptFailed");
    assert_eq!(
        diag.log_tail,
        ["[stderr]curl: (7) Failed to connect", "[31m[stderr]the page did not answer[0m"],
        "cleaned of escapes"
    );
}

/// Calls of one observation, leaving out the deployment targets' and the slow cadence's.
async fn calls_of_one_look(world: &World) -> u64 {
    let log = world.cloud.calls();
    let before = log.counts();
    world.cloud.observe().await.unwrap();
    let after = log.counts();
    after
        .iter()
        .filter(|(op, _)| !op.contains("DeploymentTargets"))
        .map(|(op, n)| n - before.get(op).copied().unwrap_or(0))
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_look_makes_the_same_calls_for_2_and_for_200_instances() {
    let mut counts = Vec::new();
    for n in [2, 200] {
        let env = Env::alb(region(), n).await;
        let world = World::new(env, GroupSettings::tutorial(true)).await;
        world.cloud.observe().await.unwrap(); // the first look also reads the slow things
        let idle = calls_of_one_look(&world).await;
        world.deploy().await;
        until(&world, "green's targets", |o| {
            o.active.as_ref().is_some_and(|d| d.green_targets().count() == n as usize)
        })
        .await;
        let active = calls_of_one_look(&world).await;
        counts.push((n, idle, active));
    }
    assert_eq!(counts[0].1, counts[1].1, "idle: {counts:?}");
    assert_eq!(counts[0].2, counts[1].2, "during a deployment: {counts:?}");
    assert!(counts[1].2 <= 8, "at most 8 calls besides the targets: {counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_said_and_the_next_look_waits_longer() {
    let env = Env::alb(region(), 2).await;
    let world = World::new(env, GroupSettings::tutorial(true)).await;
    world.fake.fault(Fault::Throttle { operation: "GetDeploymentGroup".into(), times: 3 });
    let (feed_tx, mut feed) = tokio::sync::mpsc::channel(4);
    let (_hurry, hurry) = tokio::sync::watch::channel(false);
    let watcher = bluegreen::cloud::watch::watch(world.cloud.clone(), feed_tx, hurry, Duration::from_secs(20));
    let first = feed.recv().await.unwrap();
    let bluegreen::cloud::Feed::ObserveFailed { error, retry_in } = first else { panic!("{first:?}") };
    assert!(error.throttled(), "{error:?}");
    assert!(retry_in >= bluegreen::cloud::cadence::STILL.mul_f64(1.6), "doubled: {retry_in:?}");
    assert_eq!(world.fake.count("GetDeploymentGroup"), 4, "the SDK tried 3 times: {:?}", world.fake.calls());
    watcher.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_that_hangs_fails_the_look_not_the_console() {
    let env = Env::alb(region(), 2).await;
    let world = World::new(env, GroupSettings::tutorial(true)).await;
    world.fake.fault(Fault::Hold { operation: "GetDeploymentGroup".into(), times: 10, hold: Duration::from_secs(30) });
    let (feed_tx, mut feed) = tokio::sync::mpsc::channel(4);
    let (_hurry, hurry) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let watcher = bluegreen::cloud::watch::watch(world.cloud.clone(), feed_tx, hurry, Duration::from_secs(2));
    let first = feed.recv().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "the look gave up in time");
    let bluegreen::cloud::Feed::ObserveFailed { error, .. } = first else { panic!("{first:?}") };
    assert_eq!(error.code, "Timeout", "{error:?}");
    watcher.abort();
}

/// Two looks with a whole deployment between them, fed to the console as
/// its watcher would: the log tells the deployment whole, each line at the
/// deployment's own time, in order.
async fn between_two_looks(fails: bool) -> (Vec<bluegreen::app::log::Entry>, Observation) {
    use bluegreen::app::{App, Msg, Setup};
    let env = Env::alb(region(), 2).await;
    let world = World::new(env, GroupSettings::tutorial(false)).await;
    if fails {
        world.fake.fault(Fault::FailHook { hook: Hook::ApplicationStop, log_tail: "[stderr]stop.sh: exit 3".into() });
    }
    let before = world.cloud.observe().await.expect("the first look");
    assert!(before.active.is_none() && before.last.is_none(), "nothing deployed yet");
    let id = world.deploy().await;
    let after = until(&world, "the deployment's end", |o| {
        o.active.is_none() && o.last.as_ref().is_some_and(|d| d.id == id && !d.is_active())
    })
    .await;
    let mut app = App::new(Setup::default(), tokio::time::Instant::now());
    app.update(Msg::Observed(Box::new(before)));
    let seen = app.log().total();
    app.update(Msg::Observed(Box::new(after.clone())));
    (app.log().pushed_since(seen).cloned().collect(), after)
}

/// Within a second of `want` (the scripted endpoint stamps an end when it
/// is asked, a moment after the look began; the log keeps stamps at or
/// before the look).
fn near(at: bluegreen::domain::At, want: bluegreen::domain::At, what: &str) {
    let apart = if at > want { at.since(want) } else { want.since(at) };
    assert!(apart <= Duration::from_secs(1), "{what}: {at:?}, the deployment says {want:?}");
}

/// The entry whose text contains `what`.
fn told<'a>(log: &'a [bluegreen::app::log::Entry], what: &str) -> &'a bluegreen::app::log::Entry {
    log.iter().find(|e| e.text.contains(what)).unwrap_or_else(|| panic!("no line with {what:?} in {log:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_that_fails_between_two_looks_is_told_whole() {
    let (log, obs) = between_two_looks(true).await;
    let d = obs.last.as_ref().unwrap();
    assert_eq!(d.status, DeploymentStatus::Failed);
    let created = told(&log, &format!("deployment {} created (newversion-v2, by user)", d.id));
    let failed = told(&log, "ApplicationStop ✗ failed");
    let ended = told(&log, &format!("deployment {} ended Failed: HOOK_EXECUTION_FAILURE", d.id));
    near(created.at, d.created_at, "at its creation, not at the look");
    near(ended.at, d.completed_at.unwrap(), "at its end");
    assert!(created.at <= failed.at && failed.at <= ended.at, "in order: {log:#?}");
    assert!(failed.text.starts_with("green i-"), "on the green instance: {}", failed.text);
    let pos = |e: &bluegreen::app::log::Entry| log.iter().position(|x| x == e).unwrap();
    assert!(pos(created) < pos(failed) && pos(failed) < pos(ended), "told in order: {log:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_that_succeeds_between_two_looks_is_told_whole() {
    let (log, obs) = between_two_looks(false).await;
    let d = obs.last.as_ref().unwrap();
    assert_eq!(d.status, DeploymentStatus::Succeeded);
    let created = told(&log, &format!("deployment {} created (newversion-v2, by user)", d.id));
    let ended = told(&log, &format!("deployment {} ended Succeeded", d.id));
    near(created.at, d.created_at, "at its creation");
    near(ended.at, d.completed_at.unwrap(), "at its end");
    assert!(created.at <= ended.at && !log.iter().any(|e| e.text.contains("failed")), "{log:#?}");
    // The group it left behind is told too: the copy that now serves.
    told(&log, "CodeDeploy_bluegreen-dg_");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_listener_that_only_redirects_is_said_with_the_url_to_pass() {
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, Certificate, ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
    };
    let env = Env::alb(region(), 1).await;
    let elbv2 = &env.clients.elbv2;
    let lb = elbv2.describe_load_balancers().names("bluegreen-alb").send().await.unwrap();
    let lb_arn = lb.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let listeners = elbv2.describe_listeners().load_balancer_arn(&lb_arn).send().await.unwrap();
    let http = listeners.listeners()[0].listener_arn().unwrap().to_string();
    // As a site set up for HTTPS has it: port 80 redirects, 443 forwards.
    let redirect = Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(
            RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port("443")
                .status_code(RedirectActionStatusCodeEnum::Http301)
                .build(),
        )
        .build();
    elbv2.modify_listener().listener_arn(&http).default_actions(redirect).send().await.unwrap();
    let (_, tg_arn) = env.target_group.clone().unwrap();
    let forward = Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&tg_arn).build();
    let certificate = acm_certificate(&env.region, "shop.example.test").await;
    elbv2
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Https)
        .port(443)
        .certificates(Certificate::builder().certificate_arn(certificate).build())
        .default_actions(forward)
        .send()
        .await
        .expect("an HTTPS listener in moto");

    let world = World::new(env, GroupSettings::tutorial(true)).await;
    assert!(world.cloud.url().starts_with("http://"), "nothing guessed: {}", world.cloud.url());
    let advice = world.cloud.url_advice().expect("the redirect is said");
    assert!(advice.contains("bluegreen-alb's HTTP listener only redirects to HTTPS"), "{advice}");
    assert!(advice.contains("hint: --url https://your.domain/"), "{advice}");

    // With --url, the operator has chosen: nothing to say.
    let env = Env::alb(region(), 1).await;
    let target = bluegreen::cloud::aws::Target { url: Some("https://shop.example.test/".into()), ..Default::default() };
    let world = World::with_target(env, GroupSettings::tutorial(true), target).await;
    assert_eq!(world.cloud.url(), "https://shop.example.test/");
    assert_eq!(world.cloud.url_advice(), None);
}

/// A certificate in moto's ACM (the tests have no ACM client: one JSON
/// request as the SDK would send it, signed with the tests' fake key).
async fn acm_certificate(region: &str, domain: &str) -> String {
    let client = bluegreen::net::client(false);
    let body = serde_json::json!({ "DomainName": domain }).to_string();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/20261203/{region}/acm/aws4_request, SignedHeaders=host, Signature=0",
        super::env::KEY_ID
    );
    let req = hyper::Request::post(&super::moto::moto().url)
        .header("x-amz-target", "CertificateManager.RequestCertificate")
        .header("content-type", "application/x-amz-json-1.1")
        .header("authorization", auth)
        .body(bluegreen::net::Body::from(body))
        .unwrap();
    let resp = client.request(req).await.expect("moto answers");
    let bytes = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}: {bytes:?}"));
    v["CertificateArn"].as_str().unwrap_or_else(|| panic!("{v}")).to_string()
}

/// Two deployments made from outside: the first one's original is neither
/// BLUE nor GREEN after the second. A console that watched them never
/// calls it deleted while it exists, and one that starts afterwards finds
/// it in the group's history; both list it with the other groups, idle,
/// so clean up may offer it.
#[tokio::test(flavor = "multi_thread")]
async fn the_originals_of_earlier_deployments_stay_in_view_while_they_exist() {
    let world = World::new(Env::alb(region(), 2).await, GroupSettings::tutorial(false)).await;
    let mut c = super::Console::new(&world);
    c.until("the first look", |a| a.obs().is_some()).await;
    for round in 1..=2 {
        let id = world.deploy().await;
        let done = |a: &bluegreen::app::App| {
            a.obs().and_then(|o| o.last.as_ref()).is_some_and(|d| d.id == id && d.status == DeploymentStatus::Succeeded)
        };
        c.until(&format!("deployment {round} to succeed"), done).await;
    }
    let first_copy = world.fake.group_asgs()[0].clone();
    assert!(world.env.group_exists("bluegreen-asg").await, "the first original still exists in moto");
    let watched = c.app().obs().unwrap().clone();
    let said: Vec<String> = c.app().log().newest().map(|e| e.text.clone()).collect();
    assert!(!said.iter().any(|l| l.contains("bluegreen-asg deleted")), "never called deleted: {said:#?}");

    let fresh = world.fresh_cloud().await;
    let later = fresh.observe().await.unwrap();
    for obs in [&watched, &later] {
        let sides = obs.sides();
        assert_ne!(sides.blue.map(|b| b.0), Some("bluegreen-asg"));
        assert!(
            sides.leftovers.iter().any(|e| e.asg == "bluegreen-asg"),
            "with the other groups: {:?}",
            sides.leftovers
        );
        assert!(obs.idle_groups().iter().any(|e| e.asg == "bluegreen-asg"), "clean up may offer it");
        assert_ne!(first_copy, "bluegreen-asg");
    }
    assert!(
        fresh.calls().counts().contains_key("autoscaling:DescribeAutoScalingInstances"),
        "the history's originals, by their instances"
    );

    // Once it is deleted, a read says so and it leaves the view.
    world.env.delete_group("bluegreen-asg").await;
    let gone = until(&world, "the original gone", |o| o.environment("bluegreen-asg").is_none()).await;
    assert!(gone.environment(&first_copy).is_some());
}

/// A group Terraform manages (its tags say so): after a deployment the
/// deployment group uses CodeDeploy's copy, and the console and `status`
/// say that the next `terraform apply` fights it.
#[tokio::test(flavor = "multi_thread")]
async fn a_group_terraform_still_names_is_said_after_the_cutover() {
    let env = Env::alb(region(), 2).await;
    let tag = aws_sdk_autoscaling::types::Tag::builder()
        .resource_id("bluegreen-asg")
        .resource_type("auto-scaling-group")
        .key("ManagedBy")
        .value("Terraform")
        .propagate_at_launch(false)
        .build();
    env.clients.autoscaling.create_or_update_tags().tags(tag).send().await.unwrap();
    let world = World::new(env, GroupSettings::tutorial(false)).await;
    let before = world.cloud.observe().await.unwrap();
    assert_eq!(before.environment("bluegreen-asg").unwrap().owner.as_deref(), Some("Terraform"));
    assert_eq!(bluegreen::domain::why::drift(&before), None);
    world.deploy().await;
    // A look's calls go out together, so one look may see the success and
    // the group's former Auto Scaling group: wait for both.
    let after = until(&world, "success, the group on the copy", |o| {
        o.last.as_ref().is_some_and(|d| d.status == DeploymentStatus::Succeeded)
            && o.group.autoscaling_groups.first().is_some_and(|g| g.starts_with("CodeDeploy_bluegreen-dg_"))
    })
    .await;
    let copy = after.group.autoscaling_groups[0].clone();
    assert_eq!(after.environment(&copy).unwrap().owner, None, "a copy carries no owner");
    let said = bluegreen::domain::why::drift(&after).expect("the drift is said");
    assert!(
        said.starts_with(&format!("the deployment group now uses {copy}, but Terraform still names bluegreen-asg")),
        "{said}"
    );
    let text = bluegreen::report::status::to_text(&after).join("\n");
    assert!(text.contains(&said), "{text}");
}
