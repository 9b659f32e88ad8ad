//! What one observation of a deployment group costs on AWS's APIs, against
//! a local moto server (and the tests' scripted CodeDeploy endpoint), for
//! groups of 2, 20 and 200 instances: calls per observation (with and
//! without a deployment's targets), the wall time of one observation next
//! to the sum and the maximum of its calls' latencies, and the same
//! describes made one after another by the `aws` CLI from PyPI.
//!
//! ```sh
//! cargo bench --bench observe
//! ```

#[path = "../tests/aws/codedeploy.rs"]
#[allow(dead_code)]
mod codedeploy;
#[path = "../tests/aws/env.rs"]
#[allow(dead_code)]
mod env;
#[path = "../tests/aws/moto.rs"]
#[allow(dead_code)]
mod moto;

use std::process::Command;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use bluegreen::cloud::Cloud;
use bluegreen::cloud::aws::{self, AwsCloud, Target};
use codedeploy::{FakeCodeDeploy, GroupSettings};
use env::{Env, KEY_ID, SECRET};

const LOOKS: u32 = 10;

struct Figures {
    /// Average latency by operation.
    by_operation: std::collections::BTreeMap<String, Duration>,
    calls: f64,
    calls_without_targets: f64,
    wall: Duration,
    sum: Duration,
    max: Duration,
}

async fn measure(cloud: &AwsCloud) -> Figures {
    let log = cloud.calls();
    cloud.observe().await.expect("a warm-up look");
    log.take_latencies();
    let (mut wall, mut sum, mut max, mut calls, mut plain) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0usize, 0usize);
    let mut by_operation: std::collections::BTreeMap<String, (Duration, u32)> = std::collections::BTreeMap::new();
    for _ in 0..LOOKS {
        let started = Instant::now();
        cloud.observe().await.expect("a look");
        wall += started.elapsed();
        let made = log.take_latencies();
        for (op, l) in &made {
            let e = by_operation.entry(op.clone()).or_default();
            e.0 += *l;
            e.1 += 1;
        }
        calls += made.len();
        plain += made.iter().filter(|(op, _)| !op.contains("DeploymentTargets")).count();
        sum += made.iter().map(|(_, l)| *l).sum::<Duration>();
        max += made.iter().map(|(_, l)| *l).max().unwrap_or_default();
    }
    Figures {
        by_operation: by_operation.into_iter().map(|(op, (d, n))| (op, d / n.max(1))).collect(),
        calls: calls as f64 / f64::from(LOOKS),
        calls_without_targets: plain as f64 / f64::from(LOOKS),
        wall: wall / LOOKS,
        sum: sum / LOOKS,
        max: max / LOOKS,
    }
}

/// The describes of one observation, made by the `aws` CLI one after another.
fn aws_cli(venv: &std::path::Path, env: &Env, fake: &FakeCodeDeploy, green: Option<&str>) -> Duration {
    let aws = venv.join("bin/aws");
    let (_, tg) = env.target_group.clone().expect("an ALB");
    let mut groups = vec!["bluegreen-asg".to_string()];
    groups.extend(green.map(String::from));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ids: Vec<String> = groups.iter().flat_map(|g| rt.block_on(env.instance_ids(g))).collect();
    let deploy = ["--endpoint-url", fake.url.as_str()];
    let mut commands: Vec<Vec<String>> = vec![
        [
            "deploy",
            "get-deployment-group",
            "--application-name",
            "bluegreen-app",
            "--deployment-group-name",
            "bluegreen-dg",
        ]
        .map(String::from)
        .to_vec(),
        [
            "deploy",
            "list-deployments",
            "--application-name",
            "bluegreen-app",
            "--deployment-group-name",
            "bluegreen-dg",
        ]
        .map(String::from)
        .to_vec(),
        ["elbv2", "describe-target-health", "--target-group-arn", &tg].map(String::from).to_vec(),
    ];
    let mut asg =
        vec!["autoscaling".to_string(), "describe-auto-scaling-groups".into(), "--auto-scaling-group-names".into()];
    asg.extend(groups.iter().cloned());
    commands.push(asg);
    let mut ec2 = vec!["ec2".to_string(), "describe-instances".into(), "--instance-ids".into()];
    ec2.extend(ids);
    commands.push(ec2);
    let started = Instant::now();
    for c in &commands {
        let mut cmd = Command::new(&aws);
        cmd.args(c)
            .args(["--output", "json"])
            .env("AWS_PAGER", "")
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_DEFAULT_REGION", &env.region)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        if c[0] == "deploy" {
            cmd.args(deploy);
        } else {
            cmd.args(["--endpoint-url", moto::moto().url.as_str()]);
        }
        let out = cmd.output().expect("the aws CLI runs");
        assert!(out.status.success(), "{c:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    started.elapsed()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let venv = moto::install(&["awscli"]);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let regions = ["us-east-1", "us-west-2", "eu-west-1"];
    println!("observation cost against moto ({LOOKS} looks each, averages)");
    println!(
        "{:>9} {:>10} {:>13} {:>13} {:>11} {:>12} {:>12} {:>12} {:>9}",
        "instances", "deployment", "calls", "w/o targets", "wall", "sum of calls", "max call", "aws CLI", "CLI/ours"
    );
    for (n, region) in [2, 20, 200].into_iter().zip(regions) {
        rt.block_on(async {
            let env = Env::alb(region, n).await;
            let fake = FakeCodeDeploy::start(env.clone(), GroupSettings::tutorial(true)).await;
            let config = aws_config::defaults(BehaviorVersion::v2026_01_12())
                .region(Region::new(region))
                .endpoint_url(&moto::moto().url)
                .credentials_provider(aws_sdk_codedeploy::config::Credentials::new(KEY_ID, SECRET, None, None, "bench"))
                .load()
                .await;
            let cloud = aws::connect_with(config.clone(), Some(&fake.url), &Target::default()).await.expect("connects");
            let idle = measure(&cloud).await;
            let cli_idle = tokio::task::block_in_place(|| aws_cli(&venv, &env, &fake, None));
            row(n, "none", &idle, cli_idle);
            let codedeploy = aws_sdk_codedeploy::Client::from_conf(
                aws_sdk_codedeploy::config::Builder::from(&config).endpoint_url(&fake.url).build(),
            );
            let s3 = aws_sdk_codedeploy::types::S3Location::builder()
                .bucket("bluegreen-bucket")
                .key("app/newversion-v2.zip")
                .bundle_type(aws_sdk_codedeploy::types::BundleType::Zip)
                .build();
            let revision = aws_sdk_codedeploy::types::RevisionLocation::builder()
                .revision_type(aws_sdk_codedeploy::types::RevisionLocationType::S3)
                .s3_location(s3)
                .build();
            codedeploy
                .create_deployment()
                .application_name("bluegreen-app")
                .deployment_group_name("bluegreen-dg")
                .revision(revision)
                .send()
                .await
                .unwrap();
            let green = loop {
                let obs = cloud.observe().await.unwrap();
                if let Some(d) = obs.active.as_ref().filter(|d| d.status == bluegreen::domain::DeploymentStatus::Ready)
                {
                    break d.replacement_asg.clone();
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            let active = measure(&cloud).await;
            let cli_active = tokio::task::block_in_place(|| aws_cli(&venv, &env, &fake, green.as_deref()));
            row(n, "Ready", &active, cli_active);
            if n == 200 {
                let per: Vec<String> = active.by_operation.iter().map(|(op, d)| format!("{op} {}", ms(*d))).collect();
                println!("          per call at 200 instances: {}", per.join(", "));
            }
        });
    }
}

fn row(n: i32, deployment: &str, f: &Figures, cli: Duration) {
    println!(
        "{n:>9} {deployment:>10} {:>13.1} {:>13.1} {:>11} {:>12} {:>12} {:>12} {:>8.0}×",
        f.calls,
        f.calls_without_targets,
        ms(f.wall),
        ms(f.sum),
        ms(f.max),
        ms(cli),
        cli.as_secs_f64() / f.wall.as_secs_f64()
    );
}
