//! `bluegreen tutorial` as a user runs it, against moto's CloudFormation
//! (which builds the kit's VPC, roles, bucket, launch template, load
//! balancer and Auto Scaling group) and the scripted CodeDeploy endpoint,
//! started with no application: `up` builds the stack and a blue/green
//! group on it, run again it changes nothing, the console opens on it with
//! tour step 1 ticked; a deployment makes CodeDeploy's copy of the group;
//! `down` removes everything, also the copy, and also after an `up` that
//! stopped half-way; and it deletes nothing it cannot prove is the kit's.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use aws_config::{BehaviorVersion, Region};
use serde_json::Value;

use super::cli::{aws_env, run};
use super::codedeploy::{FakeCodeDeploy, Fault};
use super::env::{Env, KEY_ID, SECRET};
use super::moto::{install, moto, region};
use super::{Console, World};
use bluegreen::app::tour::{Mark, Step};
use bluegreen::cloud::aws::{self, Target};

async fn config(region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::v2026_01_12())
        .region(Region::new(region.to_string()))
        .endpoint_url(&moto().url)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(KEY_ID, SECRET, None, None, "test"))
        .load()
        .await
}

/// The stack's outputs, or `None` when there is no stack.
async fn outputs(cf: &aws_sdk_cloudformation::Client, stack: &str) -> Option<BTreeMap<String, String>> {
    let out = cf.describe_stacks().stack_name(stack).send().await.ok()?;
    let s = out.stacks().first()?;
    if s.stack_status().is_some_and(|st| st.as_str() == "DELETE_COMPLETE") {
        return None;
    }
    Some(
        s.outputs()
            .iter()
            .map(|o| (o.output_key().unwrap().to_string(), o.output_value().unwrap().to_string()))
            .collect(),
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs bluegreen with `input` on its stdin.
fn run_with_input(env: &[(String, String)], args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .env_clear()
        .envs(env.iter().cloned())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Every Auto Scaling group name in the region.
async fn groups(env: &Env) -> Vec<String> {
    let out = env.clients.autoscaling.describe_auto_scaling_groups().send().await.unwrap();
    out.auto_scaling_groups().iter().filter_map(|g| g.auto_scaling_group_name()).map(String::from).collect()
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::too_many_lines, reason = "one story: up, again, the console, a deployment, down refused, down, again")]
async fn up_builds_the_kit_the_console_tours_it_and_down_leaves_nothing() {
    let region = region();
    let fake = FakeCodeDeploy::empty(0.15).await;
    let vars = aws_env(&fake, region, "tutorial-up");
    let cfg = config(region).await;
    let cf = aws_sdk_cloudformation::Client::new(&cfg);
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&cfg).force_path_style(true).build());
    let stack = "bgt-up";

    let v = vars.clone();
    let up = blocking(move || run(&v, &["tutorial", "up", "--stack", "bgt-up", "--workstation"])).await;
    assert_eq!(up.status.code(), Some(0), "up: {}\n{}", stdout(&up), stderr(&up));
    let said = stdout(&up);
    let out = outputs(&cf, stack).await.expect("the stack");
    assert!(said.contains(&format!("url         {}", out["Url"])), "{said}");
    assert!(said.contains("next        bluegreen --region"), "{said}");
    assert!(said.contains("--app bgt-up --group bgt-up-group, then t for the tour"), "{said}");
    assert!(said.contains("bluegreen tutorial down --region"), "{said}");
    let progress = stderr(&up);
    assert!(progress.contains("stack       bgt-up: creating in"), "{progress}");
    // Piped, a line per stack event (moto gives the stack's own).
    assert!(progress.contains("            bgt-up CREATE_COMPLETE ("), "{progress}");
    assert!(progress.contains("CREATE_COMPLETE (24 resources)"), "{progress}");
    // The workstation: its instance, and this very binary in the bucket for it.
    let workstation = out.get("Workstation").expect("a workstation");
    assert!(
        said.contains(&format!("connect     aws ssm start-session --region {region} --target {workstation}")),
        "{said}"
    );
    let binary = s3.head_object().bucket(&out["Bucket"]).key("tools/bluegreen").send().await.expect("the binary");
    let size = std::fs::metadata(env!("CARGO_BIN_EXE_bluegreen")).unwrap().len();
    assert_eq!(binary.content_length(), Some(i64::try_from(size).unwrap()));
    assert!(progress.contains("bluegreen put in s3://"), "{progress}");

    // The group CodeDeploy got: blue/green, copying the stack's group,
    // behind its target group, waiting in Ready, with the stack's role.
    let group = fake.created_group().expect("CreateDeploymentGroup");
    assert_eq!(group["autoScalingGroups"], serde_json::json!([out["AutoScalingGroup"]]));
    assert_eq!(group["serviceRoleArn"], out["ServiceRoleArn"].as_str());
    assert_eq!(group["deploymentStyle"]["deploymentType"], "BLUE_GREEN");
    assert_eq!(group["deploymentStyle"]["deploymentOption"], "WITH_TRAFFIC_CONTROL");
    let bg = &group["blueGreenDeploymentConfiguration"];
    assert_eq!(bg["greenFleetProvisioningOption"]["action"], "COPY_AUTO_SCALING_GROUP");
    assert_eq!(bg["deploymentReadyOption"]["actionOnTimeout"], "STOP_DEPLOYMENT");
    assert_eq!(bg["terminateBlueInstancesOnDeploymentSuccess"]["action"], "KEEP_ALIVE");
    assert_eq!(group["autoRollbackConfiguration"]["enabled"], true);
    let tg = out["TargetGroup"].split(":targetgroup/").nth(1).unwrap().split('/').next().unwrap();
    assert_eq!(group["loadBalancerInfo"]["targetGroupInfoList"][0]["name"], tg);

    // Version 2 is registered with what S3 holds.
    let registered = fake.registered();
    assert_eq!(registered.len(), 1, "{registered:?}");
    let loc = &registered[0].0["s3Location"];
    assert_eq!(loc["bucket"], out["Bucket"].as_str());
    let head = s3.head_object().bucket(&out["Bucket"]).key(loc["key"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(loc["eTag"].as_str(), head.e_tag().map(|e| e.trim_matches('"')));
    assert_eq!(loc["version"].as_str(), head.version_id());
    assert_eq!(registered[0].1, "the tutorial's application version 2");

    // Run again: nothing is made twice, nothing registered again.
    let v = vars.clone();
    let again = blocking(move || run(&v, &["tutorial", "up", "--stack", "bgt-up", "--workstation"])).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let progress = stderr(&again);
    assert!(progress.contains("application bgt-up: there already"), "{progress}");
    assert!(progress.contains("group       bgt-up-group: there already"), "{progress}");
    assert!(progress.contains("there already, registered"), "{progress}");
    assert!(progress.contains("bluegreen already in s3://"), "{progress}");
    for op in ["CreateApplication", "CreateDeploymentGroup", "RegisterApplicationRevision"] {
        assert_eq!(fake.count(op), 1, "{op}: {:?}", fake.calls());
    }
    // Other options on the same stack are refused, and change nothing.
    let v = vars.clone();
    let other = blocking(move || {
        run(&v, &["tutorial", "up", "--stack", "bgt-up", "--workstation", "--load-balancer", "classic"])
    })
    .await;
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    assert!(stderr(&other).contains("LoadBalancerType is application (asked: classic)"), "{}", stderr(&other));

    // The console opens on it; tour step 1 ticks.
    let env = Env::from_stack(region, &out["AutoScalingGroup"], Some(&out["TargetGroup"]), None, "").await;
    fake.use_env(env.clone());
    let target = Target { application: Some(stack.into()), group: Some("bgt-up-group".into()), ..Target::default() };
    let cloud = aws::connect_with(cfg.clone(), Some(&fake.url), &target).await.expect("the console connects");
    let codedeploy = aws_sdk_codedeploy::Client::from_conf(
        aws_sdk_codedeploy::config::Builder::from(&cfg).endpoint_url(&fake.url).build(),
    );
    let world = World { env: env.clone(), fake: fake.clone(), cloud, codedeploy: codedeploy.clone() };
    let mut console = Console::new(&world);
    console.until("tour step 1", |app| *app.tour().mark(Step::Initial) == Mark::Done).await;

    // A deployment of version 2, promoted: CodeDeploy's copy of the group.
    let revision = registered[0].0.clone();
    let deployment = codedeploy
        .create_deployment()
        .application_name(stack)
        .deployment_group_name("bgt-up-group")
        .revision(
            aws_sdk_codedeploy::types::RevisionLocation::builder()
                .revision_type(aws_sdk_codedeploy::types::RevisionLocationType::S3)
                .s3_location(
                    aws_sdk_codedeploy::types::S3Location::builder()
                        .bucket(revision["s3Location"]["bucket"].as_str().unwrap())
                        .key(revision["s3Location"]["key"].as_str().unwrap())
                        .bundle_type(aws_sdk_codedeploy::types::BundleType::Zip)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = deployment.deployment_id().unwrap().to_string();
    let copy = format!("CodeDeploy_bgt-up-group_{id}");
    for _ in 0..600 {
        let status = codedeploy.batch_get_deployments().deployment_ids(&id).send().await.unwrap();
        let status = status.deployments_info()[0].status().unwrap().as_str().to_string();
        if status == "Ready" {
            let _ = codedeploy.continue_deployment().deployment_id(&id).send().await;
        }
        if status == "Succeeded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(groups(&env).await.contains(&copy), "the copy exists: {:?}", groups(&env).await);
    drop(console);

    // down: the plan, refused when the name typed is not the stack's.
    let v = vars.clone();
    let no = blocking(move || run_with_input(&v, &["tutorial", "down", "--stack", "bgt-up"], "bgt\n")).await;
    assert_eq!(no.status.code(), Some(2), "{}", stderr(&no));
    let plan = stderr(&no);
    assert!(plan.contains("deployment group  bgt-up-group (of application bgt-up)"), "{plan}");
    assert!(plan.contains(&format!("Auto Scaling group {copy} and its 2 instance(s)")), "{plan}");
    assert!(plan.contains("application       bgt-up"), "{plan}");
    assert!(plan.contains(&format!("every object version in bucket {} (2)", out["Bucket"])), "{plan}");
    assert!(plan.contains("stack             bgt-up (CREATE_COMPLETE) and its 24 resources"), "{plan}");
    assert!(plan.contains("cancelled: nothing deleted"), "{plan}");
    assert!(outputs(&cf, stack).await.is_some() && fake.exists() == (true, true));
    assert!(groups(&env).await.contains(&copy));

    // Typed back: everything goes, the copy too.
    let v = vars.clone();
    let yes = blocking(move || run_with_input(&v, &["tutorial", "down", "--stack", "bgt-up"], "bgt-up\n")).await;
    assert_eq!(yes.status.code(), Some(0), "{}\n{}", stdout(&yes), stderr(&yes));
    assert!(stdout(&yes).contains("nothing is left of the tutorial's stack bgt-up"), "{}", stdout(&yes));
    assert!(outputs(&cf, stack).await.is_none(), "the stack is gone");
    assert_eq!(fake.exists(), (false, false));
    let left = groups(&env).await;
    assert!(!left.contains(&copy) && !left.contains(&out["AutoScalingGroup"]), "{left:?}");
    assert!(s3.head_bucket().bucket(&out["Bucket"]).send().await.is_err(), "the bucket is gone");

    // And again: nothing to delete.
    let v = vars.clone();
    let none = blocking(move || run(&v, &["tutorial", "down", "--stack", "bgt-up", "--yes"])).await;
    assert_eq!(none.status.code(), Some(0), "{}", stderr(&none));
    assert!(stdout(&none).contains("nothing to delete"), "{}", stdout(&none));

    // What up and down sent, from the log, against assets/iam/tutorial.json.
    let log = std::fs::read_to_string(
        std::path::Path::new(&vars.iter().find(|(k, _)| k == "XDG_STATE_HOME").unwrap().1)
            .join("bluegreen/bluegreen.log"),
    )
    .unwrap();
    let sent: std::collections::BTreeSet<String> = log
        .lines()
        .filter(|l| l.contains("bluegreen::aws"))
        .filter_map(|l| l.split(" action=").nth(1))
        .filter_map(|a| a.split_whitespace().next())
        .map(|a| a.trim_matches('"').to_string())
        .collect();
    let policy: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/iam/tutorial.json")).unwrap(),
    )
    .unwrap();
    let allowed: std::collections::BTreeSet<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()))
        .collect();
    for action in [
        "cloudformation:CreateStack",
        "cloudformation:DeleteStack",
        "codedeploy:CreateDeploymentGroup",
        "s3:DeleteObject",
    ] {
        assert!(sent.contains(action), "{action} was sent: {sent:?}");
    }
    for action in &sent {
        let allows = |a: &String| a == action || a.strip_suffix('*').is_some_and(|p| action.starts_with(p));
        assert!(allowed.iter().any(allows), "assets/iam/tutorial.json misses {action}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn down_after_an_up_that_stopped_half_way_and_never_what_is_not_the_kits() {
    let region = region();
    let fake = FakeCodeDeploy::empty(0.15).await;
    let vars = aws_env(&fake, region, "tutorial-half");
    let cfg = config(region).await;
    let cf = aws_sdk_cloudformation::Client::new(&cfg);

    // Bad options: one line, nothing made.
    let v = vars.clone();
    let bad = blocking(move || run(&v, &["tutorial", "up", "--stack", "bgt_half"])).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("is not a stack name") && stderr(&bad).contains("hint"), "{}", stderr(&bad));
    assert!(outputs(&cf, "bgt_half").await.is_none());

    // A stack that is not the kit's: neither up nor down touches it.
    cf.create_stack()
        .stack_name("bgt-other")
        .template_body("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n")
        .send()
        .await
        .unwrap();
    let v = vars.clone();
    let theirs = blocking(move || run(&v, &["tutorial", "down", "--stack", "bgt-other", "--yes"])).await;
    assert_eq!(theirs.status.code(), Some(2), "{}", stderr(&theirs));
    assert!(stderr(&theirs).contains("was not made by bluegreen tutorial up; nothing deleted"), "{}", stderr(&theirs));
    assert!(outputs(&cf, "bgt-other").await.is_some());

    // A VPC of the user's own: subnets elsewhere are refused before anything is made.
    let ec2 = super::env::clients(region).await;
    let (vpc, subnets) = super::env::network(&ec2).await;
    let (_, elsewhere) = super::env::network(&ec2).await;
    let v = vars.clone();
    let (vpc2, wrong) = (vpc.clone(), format!("{},{}", subnets[0], elsewhere[0]));
    let refused =
        blocking(move || run(&v, &["tutorial", "up", "--stack", "bgt-half", "--vpc", &vpc2, "--subnets", &wrong]))
            .await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains(&format!("{} not in {vpc}", elsewhere[0])), "{}", stderr(&refused));
    assert!(outputs(&cf, "bgt-half").await.is_none());

    // The deployment group cannot be made: up stops after the application.
    fake.fault(Fault::Throttle { operation: "CreateDeploymentGroup".into(), times: 1 });
    let v = vars.clone();
    let given = subnets.join(",");
    let half = blocking(move || {
        let args =
            ["tutorial", "up", "--stack", "bgt-half", "--load-balancer", "classic", "--vpc", &vpc, "--subnets", &given];
        run(&v, &args)
    })
    .await;
    assert_eq!(half.status.code(), Some(1), "{}", stderr(&half));
    assert!(stderr(&half).contains("cannot create deployment group bgt-half-group"), "{}", stderr(&half));
    let out = outputs(&cf, "bgt-half").await.expect("the stack stays");
    assert!(out.contains_key("ClassicLoadBalancer") && !out.contains_key("TargetGroup"), "{out:?}");
    assert!(stderr(&half).contains("CREATE_COMPLETE (9 resources)"), "the given VPC's kit: {}", stderr(&half));
    assert_eq!(fake.exists(), (true, false));

    // down removes what was made; the other stack stays.
    let v = vars.clone();
    let down = blocking(move || run(&v, &["tutorial", "down", "--stack", "bgt-half", "--yes"])).await;
    assert_eq!(down.status.code(), Some(0), "{}", stderr(&down));
    let plan = stderr(&down);
    assert!(!plan.contains("deployment group  "), "{plan}");
    assert!(plan.contains("application       bgt-half"), "{plan}");
    assert!(outputs(&cf, "bgt-half").await.is_none());
    assert_eq!(fake.exists(), (false, false));
    assert!(outputs(&cf, "bgt-other").await.is_some());
    let classic = ec2.elb.describe_load_balancers().send().await.unwrap();
    assert!(classic.load_balancer_descriptions().is_empty(), "the classic load balancer is gone");
}

#[test]
fn the_template_passes_cfn_lint() {
    let venv = install(&[]);
    let out = Command::new(venv.join("bin/cfn-lint"))
        .arg("--")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/tutorial/template.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // What `tutorial template` prints is that file.
    let printed = Command::new(env!("CARGO_BIN_EXE_bluegreen")).args(["tutorial", "template"]).output().unwrap();
    assert_eq!(
        printed.stdout,
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/tutorial/template.yaml")).unwrap()
    );
}

/// An HTTP server (the project's own) answering each request with
/// `answer(method, path, headers)`: (status, body). Gives its base URL.
async fn http(answer: impl Fn(&str, &str, &hyper::HeaderMap) -> (u16, String) + Send + Sync + 'static) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = std::sync::Arc::new(answer);
    let handler = move |req: hyper::Request<hyper::body::Incoming>, _peer| {
        let (status, body) = answer(req.method().as_str(), req.uri().path(), req.headers());
        let status = hyper::StatusCode::from_u16(status).unwrap();
        async move { bluegreen::net::respond(status, "text/html", body) }
    };
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::mem::forget(stop);
    tokio::spawn(bluegreen::net::serve(listener, handler, stop_rx, std::time::Duration::from_secs(1)));
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sample_app_writes_its_page_with_an_imdsv2_token_and_validates_it() {
    let dir = super::moto::scratch("tutorial-app");
    let _ = std::fs::remove_dir_all(&dir);
    let written = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .args(["tutorial", "app", dir.to_str().unwrap(), "--version", "7"])
        .output()
        .unwrap();
    assert!(written.status.success(), "{}", stderr(&written));
    assert!(stdout(&written).contains("next        bluegreen push"), "{}", stdout(&written));
    // Instance metadata that answers only with a token, as IMDSv2 requires.
    let imds = http(|method, path, headers| match (method, path) {
        ("PUT", "/latest/api/token") if headers.contains_key("x-aws-ec2-metadata-token-ttl-seconds") => {
            (200, "tok-123".into())
        }
        _ if headers.get("x-aws-ec2-metadata-token").is_none_or(|t| t != "tok-123") => (401, String::new()),
        ("GET", "/latest/meta-data/instance-id") => (200, "i-0abc1234def567890".into()),
        ("GET", "/latest/meta-data/local-ipv4") => (200, "10.40.3.7".into()),
        _ => (404, String::new()),
    })
    .await;
    let web = dir.join("www");
    std::fs::create_dir_all(&web).unwrap();
    let start = Command::new("bash")
        .arg(dir.join("scripts/start.sh"))
        .env("APP_DIR", &dir)
        .env("WEB_ROOT", &web)
        .env("IMDS", &imds)
        .env("SERVE", "no")
        .output()
        .unwrap();
    assert!(start.status.success(), "start.sh: {}", stderr(&start));
    let page = std::fs::read_to_string(web.join("index.html")).unwrap();
    assert!(page.contains("local-ipv4: 10.40.3.7"), "{page}");
    // The prober reads the version and the instance from it.
    let (version, instance) = bluegreen::probe::page::Reader::default().read(&hyper::HeaderMap::new(), &page);
    assert_eq!((version.as_deref(), instance.as_deref()), (Some("v7"), Some("i-0abc1234def567890")));

    // validate.sh passes on that page, and fails when the page says another version.
    let served = page.clone();
    let url = http(move |_, _, _| (200, served.clone())).await;
    let validate = |version: &str| {
        std::fs::write(dir.join("version"), format!("{version}\n")).unwrap();
        Command::new("bash")
            .arg(dir.join("scripts/validate.sh"))
            .env("APP_DIR", &dir)
            .env("PAGE", &url)
            .env("TRIES", "2")
            .output()
            .unwrap()
    };
    let ok = validate("7");
    assert!(ok.status.success(), "{}", stderr(&ok));
    let wrong = validate("8");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stderr(&wrong).contains("does not say application version: 8"), "{}", stderr(&wrong));
}
