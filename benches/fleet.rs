//! What one full refresh of the fleet costs for 10, 100 and 1,000
//! deployment groups (ten to an application, one in twenty with an active
//! deployment): its calls against the formula, its wall time, and the same
//! reads made one after another by the `aws` CLI from PyPI (as a script
//! would: `list-applications`, per application `list-deployment-groups`
//! and `batch-get-deployment-groups`, `list-deployments` of the active
//! ones, `batch-get-deployments`, `describe-auto-scaling-groups`); then
//! the time to draw a frame of the table with every group in it.
//!
//! CodeDeploy is the tests' scripted endpoint (its catalogue, pages of
//! 100), Auto Scaling a local moto server.
//!
//! ```sh
//! cargo bench --bench fleet
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

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use bluegreen::app::fleet::{FleetMsg, FleetView};
use bluegreen::cloud::aws::fleet;
use bluegreen::domain::At;
use codedeploy::{Catalogue, FakeCodeDeploy, Listed};
use env::{KEY_ID, SECRET};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const REFRESHES: u32 = 5;
const FRAMES: u32 = 200;

fn now_secs() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

/// `n` groups, ten to an application; every twentieth deploys, every
/// fortieth waits in Ready, every thirtieth failed.
fn catalogue(n: usize) -> Catalogue {
    let now = now_secs();
    let groups = (0..n)
        .map(|i| {
            let (app, group) = (format!("app-{:03}", i / 10), format!("group-{i:04}"));
            let status = match i {
                i if i % 40 == 0 => "Ready",
                i if i % 20 == 0 => "InProgress",
                i if i % 30 == 0 => "Failed",
                _ => "Succeeded",
            };
            Listed::new(&app, &group, "copy").latest(&format!("d-{i:09}"), status, now - 60.0 * i as f64)
        })
        .collect();
    Catalogue { groups, page: 0 }
}

fn cli(venv: &Path, fake: &FakeCodeDeploy, region: &str, args: &[&str]) -> serde_json::Value {
    let mut cmd = Command::new(venv.join("bin/aws"));
    cmd.args(args)
        .args(["--output", "json"])
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_DEFAULT_REGION", region)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    if args[0] == "deploy" {
        cmd.args(["--endpoint-url", fake.url.as_str()]);
    } else {
        cmd.args(["--endpoint-url", moto::moto().url.as_str()]);
    }
    let out = cmd.output().expect("the aws CLI runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// The same reads by the CLI, one after another; gives the time and the
/// commands run.
fn aws_cli(venv: &Path, fake: &FakeCodeDeploy, region: &str) -> (Duration, usize) {
    let started = Instant::now();
    let mut commands = 1;
    let apps = cli(venv, fake, region, &["deploy", "list-applications"]);
    for app in apps["applications"].as_array().unwrap() {
        let app = app.as_str().unwrap();
        let groups = cli(venv, fake, region, &["deploy", "list-deployment-groups", "--application-name", app]);
        let names: Vec<&str> =
            groups["deploymentGroups"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
        for chunk in names.chunks(100) {
            let mut args = vec!["deploy", "batch-get-deployment-groups", "--application-name", app];
            args.push("--deployment-group-names");
            args.extend(chunk);
            cli(venv, fake, region, &args);
            commands += 1;
        }
        commands += 1;
    }
    let active = cli(
        venv,
        fake,
        region,
        &[
            "deploy",
            "list-deployments",
            "--include-only-statuses",
            "Created",
            "Queued",
            "InProgress",
            "Baking",
            "Ready",
        ],
    );
    let ids: Vec<&str> = active["deployments"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    for chunk in ids.chunks(25) {
        let mut args = vec!["deploy", "batch-get-deployments", "--deployment-ids"];
        args.extend(chunk);
        cli(venv, fake, region, &args);
        commands += 1;
    }
    cli(venv, fake, region, &["autoscaling", "describe-auto-scaling-groups"]);
    (started.elapsed(), commands + 2)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let venv = moto::install(&["awscli"]);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("one full refresh of the fleet ({REFRESHES} refreshes each, the median)");
    println!(
        "{:>6} {:>6} {:>8} {:>8} {:>11} {:>12} {:>9} {:>9} {:>12}",
        "groups", "active", "calls", "formula", "wall", "aws CLI", "commands", "CLI/ours", "frame"
    );
    for (n, region) in [(10, "us-east-1"), (100, "us-west-2"), (1000, "eu-west-1")] {
        rt.block_on(async {
            let fake = FakeCodeDeploy::empty(0.1).await;
            fake.catalogue(catalogue(n));
            let config = aws_config::defaults(BehaviorVersion::v2026_01_12())
                .region(Region::new(region))
                .endpoint_url(&moto::moto().url)
                .credentials_provider(aws_sdk_codedeploy::config::Credentials::new(KEY_ID, SECRET, None, None, "bench"))
                .load()
                .await;
            let reader = fleet::connect_with(config, Some(&fake.url)).await.expect("connects");
            let calls = reader.calls();
            let mut walls = Vec::new();
            let mut made = 0;
            let mut last = None;
            for round in 0..=REFRESHES {
                let before = calls.total();
                let started = Instant::now();
                let (g, a, c) = tokio::join!(reader.groups(), reader.active(&[]), reader.copies());
                let wall = started.elapsed();
                if round > 0 {
                    walls.push(wall);
                    made = calls.total() - before;
                }
                last = Some((g.unwrap(), a.unwrap(), c.unwrap()));
            }
            walls.sort();
            let wall = walls[walls.len() / 2];
            let (groups, active, copies) = last.unwrap();
            let per_app: Vec<usize> = (0..n.div_ceil(10)).map(|a| (n - a * 10).min(10)).collect();
            let formula = fleet::calls_of_a_refresh(&per_app, active.len(), copies.len(), 100);
            let n_active = active.len();
            let now = At::from(std::time::SystemTime::now());
            let mut view = FleetView::new(region, "aws", false, "", now);
            view.update(FleetMsg::Groups(Ok(groups), now));
            view.update(FleetMsg::Active(Ok(active), now));
            view.update(FleetMsg::Copies(Ok(copies), now));
            view.update(FleetMsg::Resize(120, 40));
            let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
            let theme = bluegreen::ui::theme::Theme { monochrome: false };
            let started = Instant::now();
            for _ in 0..FRAMES {
                terminal.draw(|f| bluegreen::ui::fleet::render(&view, theme, f)).unwrap();
            }
            let frame = started.elapsed() / FRAMES;
            let (cli_wall, commands) = tokio::task::block_in_place(|| aws_cli(&venv, &fake, region));
            println!(
                "{n:>6} {n_active:>6} {made:>8} {formula:>8} {:>11} {:>12} {commands:>9} {:>8.0}× {:>12}",
                ms(wall),
                ms(cli_wall),
                cli_wall.as_secs_f64() / wall.as_secs_f64(),
                format!("{:.3} ms", frame.as_secs_f64() * 1000.0),
            );
        });
    }
}
