//! `update`: keys and messages in, state and effects out.

use bluegreen::app::{Effect, Focus, Msg, Overlay};
use bluegreen::cloud::Call;
use bluegreen::cloud::plan::{Intent, Step};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::harness::Harness;

fn status(h: &Harness) -> String {
    h.app.status().map(|s| s.text.clone()).unwrap_or_default()
}

#[test]
fn a_refused_key_says_why_and_does_nothing() {
    let mut h = Harness::new("manual-reroute");
    h.keys("p");
    assert_eq!(status(&h), "promote: nothing waits for a promote");
    assert_eq!(*h.app.overlay(), Overlay::None);
    assert!(h.effects.is_empty());
    assert!(!h.app.offers(Intent::Promote), "the footer dims p");
    assert!(h.app.offers(Intent::Deploy));
}

#[test]
fn deploy_shows_its_plan_then_checks_again_then_calls() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d");
    let Overlay::Plan(view) = &h.app.overlay() else { panic!("the plan is shown") };
    assert!(matches!(&view.plan.steps[0], Step::Call(Call::CreateDeployment { key, .. }) if key.ends_with("v2.zip")));
    assert!(h.effects.is_empty(), "nothing happens before confirming");
    h.keys("<down>");
    let Overlay::Plan(view) = &h.app.overlay() else { panic!() };
    assert_eq!(view.plan.picked, 1, "↓ picks the older revision");
    h.keys("<up> y");
    assert_eq!(h.effects[0], Effect::Observe, "confirming asks for a fresh observation first");
    assert!(matches!(&h.effects[1], Effect::Call(Call::CreateDeployment { key, .. }) if key.ends_with("v2.zip")));
    assert_eq!(h.effects.len(), 2);
    assert_eq!(
        status(&h),
        format!("deployment {} created: green is being launched and installed", h.world.history()[0].id)
    );
    assert!(h.obs().active.is_some());
}

#[test]
fn esc_cancels_and_nothing_changes() {
    let mut h = Harness::new("manual-reroute");
    let before = h.obs();
    h.keys("d <esc>");
    assert_eq!(*h.app.overlay(), Overlay::None);
    assert!(status(&h).starts_with("cancelled"));
    assert!(h.effects.is_empty());
    assert_eq!(h.obs(), before);
}

#[test]
fn a_stale_plan_is_not_run() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d");
    // Someone else starts a deployment before we confirm.
    let Overlay::Plan(view) = &h.app.overlay() else { panic!() };
    let Step::Call(call) = view.plan.steps[0].clone() else { panic!() };
    h.world.apply(&call).unwrap();
    h.keys("y");
    assert_eq!(h.effects, [Effect::Observe], "no call is made");
    assert!(status(&h).contains("not done: deployment"), "{}", status(&h));
    assert_eq!(h.world.history().len(), 1);
}

#[test]
fn clean_up_needs_the_name_typed_back() {
    let mut h = Harness::new("hook-fails");
    h.keys("d y");
    h.until("the rollback to finish", |o| {
        o.active.is_none() && o.last.as_ref().is_some_and(bluegreen::domain::Deployment::is_rollback)
    });
    let green = h.world.history()[0].replacement_asg.clone().unwrap();
    h.keys("c");
    h.keys("wrong <enter>");
    assert!(status(&h).contains(&format!("type {green} exactly")), "{}", status(&h));
    assert!(!h.effects.iter().any(|e| matches!(e, Effect::Call(Call::DeleteAutoScalingGroup { .. }))));
    let clear = "<bs> ".repeat(5);
    h.keys(&format!("{clear}{green} <enter>"));
    assert!(
        h.effects.iter().any(|e| matches!(e, Effect::Call(Call::DeleteAutoScalingGroup { asg, .. }) if *asg == green))
    );
    assert!(h.obs().environment(&green).is_none());
}

#[test]
fn a_failed_step_stops_the_plan_and_says_what_it_left() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    h.until("Ready", |o| o.active.as_ref().is_some_and(|d| d.status == bluegreen::domain::DeploymentStatus::Ready));
    h.keys("p y");
    h.until("success", |o| o.active.is_none());
    let green = h.world.history()[0].replacement_asg.clone().unwrap();
    h.keys("r y");
    assert!(status(&h).contains("step 2/5"), "waiting for blue to be healthy: {}", status(&h));
    // The replacement group disappears while the plan waits.
    h.world.apply(&Call::DeleteAutoScalingGroup { asg: green.clone(), force: true }).unwrap();
    h.pass(30);
    let s = status(&h);
    assert!(
        s.starts_with("reattach blue: stopped at step 3 of 5: DetachLoadBalancerTargetGroups failed: ValidationError"),
        "{s}"
    );
    assert!(s.contains("steps 1–2 of 5 are done and stay done"), "{s}");
    assert!(h.app.running().is_none());
    assert!(h.app.log().newest().any(|e| e.text.starts_with("✗ 3/5")));
}

#[test]
fn focus_selection_and_instance_details() {
    let mut h = Harness::new("hook-fails");
    h.keys("d y");
    h.until("the failure", |o| {
        o.last.as_ref().is_some_and(|d| d.status == bluegreen::domain::DeploymentStatus::Failed)
    });
    assert_eq!(h.app.focus(), Focus::Blue);
    h.keys("<tab>");
    assert_eq!(h.app.focus(), Focus::Green);
    h.keys("<down> <down>");
    assert_eq!(h.app.selected()[1], 1, "the selection stops at the last instance");
    h.keys("<enter>");
    let failed = h.world.history()[0].targets.iter().find(|t| t.failure().is_some()).unwrap().instance_id.clone();
    assert_eq!(*h.app.overlay(), Overlay::Instance(failed), "the failed green instance opens");
    h.keys("<esc> <tab> <tab>");
    assert_eq!((h.app.overlay().clone(), h.app.focus()), (Overlay::None, Focus::Blue));
    h.keys("?");
    assert_eq!(*h.app.overlay(), Overlay::Help);
}

#[test]
fn quit_from_anywhere() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d");
    h.send(Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert!(h.app.quit());
    assert_eq!(h.effects, [Effect::Quit]);
}

#[test]
fn an_unbound_key_changes_nothing() {
    let mut h = Harness::new("manual-reroute");
    let redraw = h.send(Msg::Key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE)));
    assert!(!redraw, "no state change, no redraw");
}

#[test]
fn the_event_log_scrolls_when_focused() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    h.pass(70);
    assert!(h.app.log().len() > 5);
    h.keys("<tab> <tab>");
    assert_eq!(h.app.focus(), Focus::Events);
    h.keys("<up> <up> <up>");
    assert_eq!(h.app.log_scroll(), 0, "already at the newest");
    h.keys("<down> <down>");
    assert_eq!(h.app.log_scroll(), 2);
    assert!(h.screen(120, 40).contains("Events (") && h.screen(120, 40).contains("↑2 newer"));
    h.keys("<up>");
    assert_eq!(h.app.log_scroll(), 1);
    let (len, scroll) = (h.app.log().len(), h.app.log_scroll());
    h.pass(20);
    let added = h.app.log().len() - len;
    assert!(added > 0);
    assert_eq!(h.app.log_scroll(), scroll + added, "a scrolled log keeps showing the same entries");
}
