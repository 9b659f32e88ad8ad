//! Big groups: lists that do not fit say how much they hide, failed and
//! not yet installed instances come first, and the hooks that many
//! instances report in one look are one line each.

use bluegreen::cloud::sim::scenario::BUILTIN;
use bluegreen::cloud::sim::{Scenario, World};
use bluegreen::domain::DeploymentStatus;

use super::harness::Harness;

fn group_of(instances: u32) -> Harness {
    let text = BUILTIN[0].1.replace("[group]", &format!("[group]\ninstances = {instances}"));
    Harness::with(World::new(&Scenario::parse(&text).unwrap()), "big")
}

fn up_to_ready(h: &mut Harness) {
    h.keys("d y");
    h.until("Ready", |o| o.active.as_ref().is_some_and(|d| d.status == DeploymentStatus::Ready));
}

#[test]
fn a_deployment_of_40_up_to_ready_leaves_a_short_log_and_the_panels_say_what_they_hide() {
    let mut h = group_of(40);
    up_to_ready(&mut h);
    let log: Vec<String> = h.app.log().newest().map(|e| e.text.clone()).collect();
    assert!(log.len() < 60, "{} event lines: {log:#?}", log.len());
    let gathered =
        log.iter().find(|l| l.starts_with("ValidateService ✓ on all 40 green instances: i-")).expect("one line");
    assert_eq!(gathered.matches("i-").count(), 40, "the line names every instance: {gathered}");
    let screen = h.screen(120, 40);
    assert!(screen.contains("↓ 33 more"), "BLUE and GREEN count what they hide:\n{screen}");
    assert!(screen.contains("↓ 75 more"), "the deployment panel too:\n{screen}");
    // Down the GREEN list: the window follows and says what is above.
    h.keys("<tab>");
    for _ in 0..20 {
        h.keys("<down>");
    }
    let screen = h.screen(120, 40);
    assert!(screen.contains("↑ 14 above · ↓ 19 more"), "{screen}");
}

#[test]
fn a_deployment_of_500_up_to_ready_leaves_a_short_log_too() {
    let mut h = group_of(500);
    up_to_ready(&mut h);
    let n = h.app.log().newest().count();
    assert!(n < 60, "{n} event lines");
}

#[test]
fn a_failed_instance_of_40_comes_first_and_its_failure_is_told_of_it() {
    let text = BUILTIN.iter().find(|(n, _)| *n == "hook-fails").unwrap().1;
    // Without the rollback, the failed deployment stays in the panel.
    let text =
        text.replace("[group]", "[group]\ninstances = 40").replace("auto_rollback = true", "auto_rollback = false");
    let mut h = Harness::with(World::new(&Scenario::parse(&text).unwrap()), "big");
    h.keys("d y");
    h.until("a failed hook", |o| o.latest().is_some_and(|d| d.targets.iter().any(|t| t.failure().is_some())));
    h.pass(1);
    let screen = h.screen(120, 40);
    let rows: Vec<&str> = screen.lines().filter(|l| l.starts_with("│green ") || l.starts_with("│blue ")).collect();
    assert!(rows.first().is_some_and(|r| r.contains('✗')), "the failed one first:\n{screen}");
    let log: Vec<String> = h.app.log().newest().map(|e| e.text.clone()).collect();
    assert!(log.iter().any(|l| l.starts_with("green i-") && l.ends_with("ValidateService ✗ failed")), "{log:#?}");
}
