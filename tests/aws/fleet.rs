//! The fleet on AWS (moto for Auto Scaling, the scripted endpoint serving
//! several applications beside the one it plays): every group in its row,
//! read on a budget of calls; the filter, the sort and the attention view
//! as a user reads them at 120×40 and 80×24; `status --all --json` says
//! what the table says; in a real terminal `Enter` opens a group's console
//! and `Esc` comes back.

use bluegreen::app::fleet::{FleetMsg, FleetView};
use bluegreen::cloud::aws::fleet::{self, FleetReader};
use bluegreen::domain::At;
use bluegreen::ui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::World;
use super::cli::{aws_env, run};
use super::codedeploy::{Catalogue, GroupSettings, Listed};
use super::env::Env;
use super::moto::spare_region;
use crate::pty::Pty;

/// The tests' "now": 2026-12-04 12:00:00 UTC.
const NOW: f64 = 1_796_385_600.0;

/// Four more applications: a group that deploys now, one in Ready, one
/// failed, one stopped, one in place, one never deployed, one with a copy
/// no group uses; two to a page, so every list takes pages.
fn catalogue() -> Catalogue {
    let mut api = Listed::new("shop", "api-dg", "copy").latest("d-API0003", "InProgress", NOW - 240.0);
    api.asgs = vec!["CodeDeploy_api-dg_d-API0002".into()];
    let mut legacy =
        Listed::new("legacy", "legacy-dg", "in-place").latest("d-LEG0042", "Succeeded", NOW - 30.0 * 86_400.0);
    legacy.lb = Some((true, "legacy-clb".into()));
    let mut nightly = Listed::new("batch", "nightly-dg", "copy");
    nightly.lb = None;
    Catalogue {
        groups: vec![
            Listed::new("shop", "web-dg", "copy").latest("d-WEB0009", "Succeeded", NOW - 3.0 * 3600.0),
            api,
            Listed::new("shop", "checkout-dg", "copy").latest("d-CHK0001", "Ready", NOW - 1200.0),
            Listed::new("billing", "invoices-dg", "copy").latest("d-INV0007", "Failed", NOW - 2.0 * 86_400.0),
            Listed::new("billing", "reports-dg", "discover").latest("d-REP0002", "Stopped", NOW - 3000.0),
            legacy,
            nightly,
        ],
        page: 2,
    }
}

/// A world of five applications; two `CodeDeploy_` copies in moto, one in
/// use by `api-dg`, one left behind by `web-dg`.
async fn fleet_world() -> World {
    let world = World::new(Env::alb(spare_region(), 1).await, GroupSettings::tutorial(true)).await;
    world.fake.catalogue(catalogue());
    world.env.copy_group("bluegreen-asg", "CodeDeploy_web-dg_d-WEB0008").await;
    world.env.copy_group("bluegreen-asg", "CodeDeploy_api-dg_d-API0002").await;
    world
}

async fn reader(world: &World) -> FleetReader {
    fleet::connect_with(super::config(&world.env.region).await, Some(&world.fake.url)).await.expect("connects")
}

fn at(secs: f64) -> At {
    At((secs * 1000.0) as u64)
}

fn key(view: &mut FleetView, code: KeyCode) {
    view.update(FleetMsg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(view: &mut FleetView, text: &str) {
    for c in text.chars() {
        key(view, KeyCode::Char(c));
    }
}

/// The screen as text.
fn screen(view: &mut FleetView, width: u16, height: u16) -> String {
    view.update(FleetMsg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| bluegreen::ui::fleet::render(view, Theme { monochrome: true }, f)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_group_in_its_row_on_a_budget_of_calls() {
    let world = fleet_world().await;
    let reader = reader(&world).await;
    let calls = reader.calls();
    let before = calls.total();
    let (groups, active, copies) = tokio::join!(reader.groups(), reader.active(&[]), reader.copies());
    let (groups, active, copies) = (groups.unwrap(), active.unwrap(), copies.unwrap());
    let made = calls.counts();
    // Pages of two: 5 applications → 3 pages; shop's 3 groups → 2 pages,
    // the others 1; a batch per application; the 2 active deployments in
    // one list and one batch; the Auto Scaling groups in one page.
    let expected = fleet::calls_of_a_refresh(&[1, 3, 2, 1, 1], 2, 3, 2);
    assert_eq!(calls.total() - before, expected as u64, "{made:?}");
    assert_eq!(made["codedeploy:ListApplications"], 3);
    assert_eq!(made["codedeploy:ListDeploymentGroups"], 6);
    assert_eq!(made["codedeploy:BatchGetDeploymentGroups"], 5);
    assert_eq!(made["codedeploy:BatchGetDeployments"], 1);
    assert!(!made.contains_key("codedeploy:GetDeploymentGroup"), "no call per group");
    let policy = std::fs::read_to_string(format!("{}/assets/iam/read-only.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for action in made.keys() {
        assert!(policy.contains(&format!("\"{action}\"")), "the read-only policy misses {action}");
    }
    assert_eq!(groups.len(), 8);
    assert_eq!(active.len(), 2);
    assert_eq!(copies, ["CodeDeploy_api-dg_d-API0002", "CodeDeploy_web-dg_d-WEB0008"]);

    // Named as in the README (each test reads its own region).
    let mut view = FleetView::new("us-east-1", "aws", false, "", at(NOW));
    view.update(FleetMsg::Groups(Ok(groups), at(NOW - 4.0)));
    view.update(FleetMsg::Active(Ok(active), at(NOW - 4.0)));
    view.update(FleetMsg::Copies(Ok(copies), at(NOW - 4.0)));
    let rows = view.rows();
    let row = |g: &str| rows.iter().find(|r| r.group == g).unwrap();
    assert_eq!(row("web-dg").leftovers, ["CodeDeploy_web-dg_d-WEB0008"], "a copy no group uses");
    assert!(row("api-dg").leftovers.is_empty(), "a copy a group uses is no leftover");
    assert_eq!(row("checkout-dg").attention_text(), "ready");
    assert_eq!(row("invoices-dg").attention_text(), "failed");
    assert_eq!(row("reports-dg").attention_text(), "stopped");
    assert_eq!(view.attention_count(), 4);

    insta::assert_snapshot!("fleet_120x40", screen(&mut view, 120, 40));
    insta::assert_snapshot!("fleet_80x24", screen(&mut view, 80, 24));
    // The filter, by a column.
    key(&mut view, KeyCode::Char('/'));
    typed(&mut view, "status:fail");
    let typing = screen(&mut view, 80, 24);
    assert!(typing.contains(" /status:fail▏  Enter apply · Esc cancel"), "{typing}");
    key(&mut view, KeyCode::Enter);
    insta::assert_snapshot!("fleet_filter_failed_120x40", screen(&mut view, 120, 40));
    key(&mut view, KeyCode::Esc);
    // The attention view, sorted by status (s three times), then reversed.
    key(&mut view, KeyCode::Char('a'));
    for _ in 0..3 {
        key(&mut view, KeyCode::Char('s'));
    }
    insta::assert_snapshot!("fleet_attention_by_status_80x24", screen(&mut view, 80, 24));
    key(&mut view, KeyCode::Char('S'));
    let reversed: Vec<String> = view.shown().map(|r| r.group.clone()).collect();
    assert_eq!(reversed, ["web-dg", "reports-dg", "checkout-dg", "invoices-dg"], "Succeeded, Stopped, Ready, Failed");
    key(&mut view, KeyCode::Char('?'));
    let help = screen(&mut view, 80, 24);
    assert!(help.contains("Fleet keys") && help.contains("column:value"), "{help}");
}

/// The same reads for scripts: an object per group, and the exit code of
/// the worst latest deployment.
#[tokio::test(flavor = "multi_thread")]
async fn status_all_says_what_the_table_says() {
    let world = fleet_world().await;
    let vars = aws_env(&world.fake, &world.env.region, "status-all");
    let out = run(&vars, &["status", "--all", "--json"]);
    assert_eq!(out.status.code(), Some(1), "a failed deployment: exit 1; {}", String::from_utf8_lossy(&out.stderr));
    let objects: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let reader = reader(&world).await;
    let fleet = bluegreen::domain::fleet::Fleet {
        groups: reader.groups().await.unwrap(),
        active: reader.active(&[]).await.unwrap(),
        copies: Some(reader.copies().await.unwrap()),
        ..Default::default()
    };
    let mut rows = fleet.rows();
    rows.sort_by(|a, b| (&a.application, &a.group).cmp(&(&b.application, &b.group)));
    assert_eq!(objects.len(), rows.len());
    for (o, r) in objects.iter().zip(&rows) {
        assert_eq!(o["schema_version"], 1);
        assert_eq!(
            (o["application"].as_str().unwrap(), o["deployment_group"].as_str().unwrap()),
            (&*r.application, &*r.group)
        );
        assert_eq!(o["style"], r.style.key());
        let status = r.latest.as_ref().map(|l| l.status.as_str().to_string());
        assert_eq!(o["deployment"]["status"].as_str().map(String::from), status, "{o}");
        let attention: Vec<String> = r.attention.iter().map(|a| a.word()).collect();
        assert_eq!(o["attention"], serde_json::json!(attention));
        assert_eq!(o["leftovers"], serde_json::json!(r.leftovers));
    }
    let checkout = objects.iter().find(|o| o["deployment_group"] == "checkout-dg").unwrap();
    assert_eq!(checkout["waits_for"]["for"], "reroute");
    assert_eq!(checkout["waits_for"]["then"], "stop");
    let text = run(&vars, &["status", "--all"]);
    let text = String::from_utf8(text.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("APPLICATION") && lines[0].contains("ATTENTION"), "{text}");
    assert_eq!(lines.len(), 9, "a title and a line per group: {text}");
    assert!(lines.iter().any(|l| l.contains("invoices-dg") && l.contains("Failed") && l.contains("failed")), "{text}");
    // Bad usage: one line, before any call.
    let both = run(&vars, &["status", "--all", "--group", "web-dg"]);
    assert_eq!(both.status.code(), Some(2));
}

/// Runs `f` with the screen on a blocking thread (the test's runtime keeps
/// serving the scripted endpoint meanwhile) and gives the screen back.
async fn with(screen: Pty, f: impl FnOnce(&Pty) + Send + 'static) -> Pty {
    tokio::task::spawn_blocking(move || {
        f(&screen);
        screen
    })
    .await
    .unwrap()
}

/// `bluegreen` with several groups opens the fleet; a deployment made from
/// outside shows in its row within seconds; `Enter` opens the selected
/// group's console, `Esc` comes back to the fleet, `q` quits.
#[tokio::test(flavor = "multi_thread")]
async fn enter_opens_a_console_and_esc_comes_back() {
    let world = fleet_world().await;
    let vars = aws_env(&world.fake, &world.env.region, "fleet-pty");
    let env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let screen = Pty::start_with(&[], &env, 120, 40);
    let screen = with(screen, |s| {
        s.wait_for("the fleet", |t| t.contains("bluegreen fleet") && t.contains("8 groups · 5 apps"));
        s.press("/bluegreen\r");
        s.wait_for("the filtered fleet", |t| t.contains("filter: bluegreen") && !t.contains("nightly-dg"));
    })
    .await;
    let id = world.deploy().await;
    let mut screen = with(screen, move |s| {
        s.wait_for("the deployment made from outside, in its row", |t| {
            t.lines()
                .any(|l| l.contains("bluegreen-dg") && l.contains(&id) && l.contains("Ready") && l.contains("ready"))
        });
        s.press("\r");
        s.wait_for("the console", |t| {
            t.contains("bluegreen-app / bluegreen-dg") && t.contains("GREEN · replacement") && t.contains("Esc fleet")
        });
        s.press("?");
        s.wait_for("the console's help", |t| t.contains("Log file:"));
        s.press("\x1b");
        s.wait_for("the help closed, still the console", |t| !t.contains("Log file:") && t.contains("Esc fleet"));
        s.press("\x1b");
        s.wait_for("the fleet again", |t| t.contains("bluegreen fleet") && t.contains("filter: bluegreen"));
        s.press("\x1b");
        s.wait_for("all groups again", |t| t.contains("nightly-dg"));
        s.press("/legacy\r\r");
        s.wait_for("no console for an in-place group", |t| t.contains("deploys in place"));
        s.press("q");
    })
    .await;
    assert_eq!(screen.exit_code(), 0);
    screen.given_back().unwrap();
    assert_eq!(
        world.fake.count("ContinueDeployment") + world.fake.count("StopDeployment"),
        0,
        "the fleet changes nothing"
    );
}
