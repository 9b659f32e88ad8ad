//! What a push of a 20 MiB bundle takes against a local moto server (and
//! the tests' scripted CodeDeploy endpoint, which registers revisions),
//! next to `aws deploy push` (the `aws` CLI from PyPI) on the same servers
//! and the same directory: each round pushes into fresh buckets, then
//! bluegreen pushes the same directory again (found, not uploaded).
//!
//! ```sh
//! cargo bench --bench push
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
#[path = "../tests/aws/sample.rs"]
mod sample;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use codedeploy::{FakeCodeDeploy, GroupSettings};
use env::{Env, KEY_ID, SECRET};
use sample::{noise, write};

const ROUNDS: usize = 5;
const REGION: &str = "us-west-2";

/// The sample app with 20 MiB of incompressible bytes.
fn directory(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    write(
        &dir.join("appspec.yml"),
        b"version: 0.0\nos: linux\nfiles:\n  - source: /web\n    destination: /var/www/html\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n",
        0o644,
    );
    write(&dir.join("scripts/start.sh"), b"#!/bin/sh\n", 0o755);
    write(&dir.join("web/blob.bin"), &noise(20 << 20), 0o644);
}

fn timed(cmd: &mut Command, what: &str) -> Duration {
    let started = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let venv = moto::install(&["awscli"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (fake_url, s3) = runtime.block_on(async {
        let env = Env::alb(REGION, 2).await;
        let fake = FakeCodeDeploy::start(env, GroupSettings::tutorial(true)).await;
        let config = aws_config::defaults(aws_config::BehaviorVersion::v2026_01_12())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(&moto::moto().url)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(KEY_ID, SECRET, None, None, "bench"))
            .load()
            .await;
        let s3 =
            aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
        (fake.url.clone(), s3)
    });
    let dir = std::env::temp_dir().join(format!("bluegreen-push-bench-{}", std::process::id()));
    directory(&dir);
    let home = dir.with_extension("home");
    std::fs::create_dir_all(&home).unwrap();
    let vars = [
        ("AWS_ENDPOINT_URL", moto::moto().url.clone()),
        ("AWS_ENDPOINT_URL_CODEDEPLOY", fake_url),
        ("AWS_ACCESS_KEY_ID", KEY_ID.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
        ("AWS_REGION", REGION.to_string()),
        ("AWS_DEFAULT_REGION", REGION.to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("HOME", home.display().to_string()),
        ("PATH", std::env::var("PATH").unwrap_or_default()),
    ];
    let command = |program: &Path| {
        let mut c = Command::new(program);
        c.env_clear().envs(vars.iter().map(|(k, v)| (*k, v.as_str())));
        c
    };
    let bluegreen = Path::new(env!("CARGO_BIN_EXE_bluegreen"));
    let aws = venv.join("bin/aws");
    let (mut ours, mut again, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (mine, cli) = (format!("bg-push-bench-{round}"), format!("cli-push-bench-{round}"));
        runtime.block_on(async {
            for b in [&mine, &cli] {
                s3.create_bucket()
                    .bucket(b)
                    .create_bucket_configuration(
                        aws_sdk_s3::types::CreateBucketConfiguration::builder()
                            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                            .build(),
                    )
                    .send()
                    .await
                    .expect("CreateBucket");
            }
        });
        let push = |c: &mut Command| {
            c.args(["push", dir.to_str().unwrap(), "--app", "bluegreen-app", "--bucket", &mine, "--json"]);
        };
        let mut c = command(bluegreen);
        push(&mut c);
        ours.push(timed(&mut c, "bluegreen push"));
        let mut c = command(bluegreen);
        push(&mut c);
        again.push(timed(&mut c, "bluegreen push, again"));
        let mut c = command(&aws);
        c.args([
            "deploy",
            "push",
            "--application-name",
            "bluegreen-app",
            "--s3-location",
            &format!("s3://{cli}/app.zip"),
            "--source",
            dir.to_str().unwrap(),
        ]);
        theirs.push(timed(&mut c, "aws deploy push"));
    }
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    println!("push of a 20 MiB bundle against moto, median of {ROUNDS} rounds (each round: fresh buckets)");
    println!("{:<34} {:>9} {:>9} {:>9}", "", "median", "min", "max");
    for (name, v) in
        [("bluegreen push", &ours), ("bluegreen push, already there", &again), ("aws deploy push", &theirs)]
    {
        let (min, max) = (*v.iter().min().unwrap(), *v.iter().max().unwrap());
        println!("{name:<34} {:>9} {:>9} {:>9}", ms(median(v.clone())), ms(min), ms(max));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&home);
}
