//! Whole screens, driven by key scripts over seeded worlds, as snapshots
//! (reviewed, never accepted blindly; CI runs insta in check mode).

use bluegreen::ui::theme::Theme;
use insta::assert_snapshot;

use super::harness::Harness;

fn ready(h: &mut Harness) {
    h.until("Ready", |o| o.active.as_ref().is_some_and(|d| d.status == bluegreen::domain::DeploymentStatus::Ready));
}

#[test]
fn idle_at_start() {
    let mut h = Harness::new("manual-reroute");
    h.pass(3);
    assert_snapshot!("idle_120x40", h.screen(120, 40));
    assert_snapshot!("idle_80x24", h.screen(80, 24));
}

#[test]
fn deploy_plan() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d");
    assert_snapshot!("deploy_plan", h.screen(120, 40));
    let small = h.screen(80, 24);
    assert!(
        small.contains("y/Enter run") && small.contains("▸ v2"),
        "the prompt and the choice fit at 80×24:\n{small}"
    );
    assert_snapshot!("deploy_plan_80x24", small);
    h.keys("<esc> r");
    let reattach = h.screen(80, 24);
    assert!(!reattach.contains("Plan:"), "r is refused while blue serves:\n{reattach}");
}

#[test]
fn installing() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    h.pass(75);
    assert_snapshot!("installing", h.screen(120, 40));
}

#[test]
fn ready_waits_for_promote() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    ready(&mut h);
    h.pass(2);
    assert_snapshot!("ready_120x40", h.screen(120, 40));
    assert_snapshot!("ready_80x24", h.screen(80, 24));
}

#[test]
fn traffic_moving_after_promote() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    ready(&mut h);
    h.keys("p y");
    h.until("green serving", |o| o.serving().len() == 2);
    h.pass(3);
    assert_snapshot!("traffic_moving", h.screen(120, 40));
}

#[test]
fn green_serving_after_success() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    ready(&mut h);
    h.keys("p y");
    h.until("success", |o| o.active.is_none());
    h.pass(6);
    assert_snapshot!("succeeded", h.screen(120, 40));
    h.resize(80, 24);
    h.keys("r");
    let small = h.screen(80, 24);
    assert!(
        small.contains("more (↓/PgDn)") && small.contains("↓/PgDn read the rest before confirming"),
        "what does not fit is announced, and confirming waits for it:\n{small}"
    );
    assert_snapshot!("reattach_plan_80x24", small);
    h.keys("<pgdn> <pgdn>");
    let end = h.screen(80, 24);
    assert!(end.contains("5. deploy UpdateDeploymentGroup") && end.contains("y/Enter run"), "{end}");
    assert_snapshot!("reattach_plan_80x24_end", end);
}

#[test]
fn failed_hook_and_its_log_tail() {
    let mut h = Harness::new("hook-fails");
    h.keys("d y");
    h.until("the rollback's end", |o| {
        o.active.is_none() && o.last.as_ref().is_some_and(bluegreen::domain::Deployment::is_rollback)
    });
    h.pass(2);
    assert_snapshot!("rolled_back", h.screen(120, 40));
    let d = h.world.history()[0].clone();
    let failed = d.targets.iter().position(|t| t.failure().is_some()).unwrap();
    // The rollback is the latest deployment; its targets keep the labels, so
    // open the failed instance from GREEN via the first deployment's order.
    let green_index = d.green_targets().position(|t| t.instance_id == d.targets[failed].instance_id).unwrap();
    h.keys("<tab>");
    for _ in 0..green_index {
        h.keys("<down>");
    }
    h.keys("<enter>");
    assert_snapshot!("instance_overlay_after_rollback", h.screen(120, 40));
    let small = h.screen(80, 24);
    assert!(small.contains("the page did not answer within 30 seconds"), "the whole log tail fits at 80×24:\n{small}");
    assert_snapshot!("instance_overlay_80x24", small);
}

#[test]
fn failed_hook_while_active() {
    let mut h = Harness::new("hook-fails");
    h.keys("d y");
    h.until("the failure", |o| {
        o.last.as_ref().is_some_and(|d| d.status == bluegreen::domain::DeploymentStatus::Failed)
    });
    h.keys("<tab> <down> <enter>");
    assert_snapshot!("failed_instance_log_tail", h.screen(120, 40));
}

#[test]
fn terminate_typed_confirmation() {
    let mut h = Harness::new("terminate");
    h.keys("d y");
    h.until("the termination wait", |o| o.active.as_ref().is_some_and(|d| d.termination_wait_started));
    h.keys("p bluegreen");
    assert_snapshot!("terminate_typed", h.screen(120, 40));
    assert!(h.screen(80, 24).contains("type bluegreen-asg to confirm: bluegreen▏"));
}

#[test]
fn failures_are_shown_not_hidden_in_the_shares() {
    let mut h = Harness::new("flaky-green");
    h.keys("d y");
    ready(&mut h);
    h.keys("p y");
    h.until("success", |o| o.active.is_none());
    h.pass(3);
    let screen = h.screen(120, 40);
    assert!(screen.contains("% failed") && screen.contains('✗'), "{screen}");
    assert!(!screen.contains("v2  ████████████████████████████████████████████ 100%"), "{screen}");
    assert_snapshot!("flaky_green", screen);
}

#[test]
fn help_from_the_keymap() {
    let mut h = Harness::new("manual-reroute");
    h.keys("?");
    assert_snapshot!("help", h.screen(80, 24));
}

#[test]
fn too_small() {
    let mut h = Harness::new("manual-reroute");
    assert_snapshot!("too_small", h.screen(70, 20));
}

#[test]
fn monochrome_reads_the_same() {
    let mut h = Harness::new("manual-reroute");
    h.pass(2);
    let colour = h.screen(120, 40);
    h.theme = Theme { monochrome: true };
    let mono = h.screen(120, 40);
    let text = |s: &str| s.lines().filter(|l| !l.starts_with("styles_hash")).collect::<Vec<_>>().join("\n");
    assert_eq!(text(&colour), text(&mono), "the words do not depend on colour");
    assert_ne!(colour, mono, "only the styles differ");
    assert!(mono.contains("BLUE · original") && mono.contains("GREEN · replacement"));
}

/// Auto Scaling adds an instance to green in Ready: the panel and the log
/// warn, and the promote plan says so before it can be confirmed.
#[test]
fn an_instance_added_to_green_in_ready_is_warned_of() {
    let mut h = Harness::new("scale-out-in-ready");
    h.keys("d y");
    ready(&mut h);
    h.pass(5);
    let screen = h.screen(120, 40);
    assert!(screen.contains("⚠ 1 green instance was added after the install and has no revision"), "{screen}");
    let warned = h.app.log().newest().filter(|e| e.text.starts_with("⚠ 1 green instance was added")).count();
    assert_eq!(warned, 1, "logged once");
    h.pass(5);
    let warned = h.app.log().newest().filter(|e| e.text.starts_with("⚠ 1 green instance was added")).count();
    assert_eq!(warned, 1, "not again at the next look");
    h.keys("p");
    assert_snapshot!("promote_plan_warns_of_green_without_the_revision", h.screen(120, 40));
}
