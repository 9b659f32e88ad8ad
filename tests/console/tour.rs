//! The tour: the tutorial's five steps tick from what is observed and
//! measured, in order, never from keys alone; a rollback unticks step 4.

use bluegreen::app::tour::{Mark, Step};
use bluegreen::ui::theme::Theme;
use insta::assert_snapshot;

use super::harness::Harness;

fn marks(h: &Harness) -> Vec<Mark> {
    h.app.tour().marks().map(|(_, m)| m.clone()).collect()
}

/// How many steps are ticked; ticked steps always come first.
fn ticked(h: &Harness) -> usize {
    let marks = marks(h);
    let n = marks.iter().take_while(|m| **m == Mark::Done).count();
    assert!(marks[n..].iter().all(|m| *m != Mark::Done), "a step ticked out of order: {marks:?}");
    assert_eq!(h.app.tour().done(), n);
    n
}

fn waiting_for(h: &Harness, step: Step) -> String {
    match h.app.tour().mark(step) {
        Mark::Current(why) | Mark::Undone(why) => why.clone(),
        other => panic!("step {} is {other:?}", step.number()),
    }
}

/// Passes world seconds one at a time until `n` steps are ticked, checking
/// that they never go backwards on the way.
fn until_ticked(h: &mut Harness, n: usize) {
    let mut last = ticked(h);
    for _ in 0..900 {
        if last >= n {
            return;
        }
        h.pass(1);
        let now = ticked(h);
        assert!(now >= last, "went back from {last} to {now}: {:?}", marks(h));
        last = now;
    }
    panic!("waited 15 minutes for {n} ticked steps: {:?}", marks(h));
}

#[test]
fn the_tour_follows_the_tutorial_from_step_1_to_5() {
    let mut h = Harness::new("manual-reroute");
    h.keys("t");
    assert!(h.app.show_tour());
    until_ticked(&mut h, 2);
    assert_eq!(waiting_for(&h, Step::Deploy), "press d to deploy the newest revision");
    assert_snapshot!("tour_step3_120x40", h.screen(120, 40));
    assert_snapshot!("tour_step3_80x24", h.screen(80, 24));
    h.theme = Theme { monochrome: true };
    assert_snapshot!("tour_step3_80x24_no_color", h.screen(80, 24));
    assert_snapshot!("tour_step3_120x40_no_color", h.screen(120, 40));
    h.theme = Theme { monochrome: false };

    h.keys("d y");
    until_ticked(&mut h, 3);
    h.until("Ready", |o| o.active.as_ref().is_some_and(|d| d.status == bluegreen::domain::DeploymentStatus::Ready));
    h.pass(3);
    assert_eq!(ticked(&h), 3, "green in Ready does not serve yet");
    assert_eq!(waiting_for(&h, Step::ReviewUpdated), "v1 still serves: press p to reroute to green now");

    h.keys("p y");
    until_ticked(&mut h, 4);
    assert!(waiting_for(&h, Step::CleanUp).starts_with("2 groups: press c"), "{}", waiting_for(&h, Step::CleanUp));
    h.until("success", |o| o.active.is_none());
    h.keys("c bluegreen-asg <enter>");
    until_ticked(&mut h, 5);
    let screen = h.screen(120, 40);
    assert!(
        screen.contains("Tour: the tutorial, 5/5") && screen.contains("Done: the tutorial's five steps"),
        "{screen}"
    );
    h.keys("t");
    assert!(h.screen(120, 40).contains("Events ("), "t switches back to the events");
}

#[test]
fn keys_alone_tick_nothing() {
    let mut h = Harness::new("manual-reroute");
    // No request has been answered yet: step 2 cannot hold, whatever is pressed.
    h.keys("t d <esc> p r <esc> c <esc>");
    assert_eq!(ticked(&h), 1, "{:?}", marks(&h));
    assert!(
        waiting_for(&h, Step::Review).starts_with("waiting for a whole second"),
        "{}",
        waiting_for(&h, Step::Review)
    );
    // A deployment planned but not confirmed is no deployment.
    h.pass(5);
    h.keys("d <esc>");
    h.pass(5);
    assert_eq!(ticked(&h), 2);
    assert_eq!(waiting_for(&h, Step::Deploy), "press d to deploy the newest revision");
}

#[test]
fn reattaching_blue_unticks_step_4_and_says_why() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    h.until("Ready", |o| o.active.as_ref().is_some_and(|d| d.status == bluegreen::domain::DeploymentStatus::Ready));
    h.keys("p y");
    until_ticked(&mut h, 4);
    h.until("success", |o| o.active.is_none());
    h.keys("r y");
    for _ in 0..300 {
        if matches!(*h.app.tour().mark(Step::ReviewUpdated), Mark::Undone(_)) {
            break;
        }
        h.pass(1);
    }
    assert_eq!(ticked(&h), 3, "{:?}", marks(&h));
    let why = waiting_for(&h, Step::ReviewUpdated);
    assert!(why.contains("serves v1 again") || why.contains("cutover is under way"), "{why}");
    h.pass(20);
    assert_eq!(
        *h.app.tour().mark(Step::ReviewUpdated),
        Mark::Undone("the load balancer serves v1 again: traffic went back to blue".into())
    );
    h.keys("t");
    let screen = h.screen(80, 24);
    assert!(screen.contains("✗ 4 Review the updated environment"), "{screen}");
}
