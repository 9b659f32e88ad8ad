//! What is on screen can be trusted: no key acts on what is not drawn, a
//! plan is read whole before it runs, nothing is cut without a mark, and
//! the words say what is true now.

use bluegreen::app::log::Kind;
use bluegreen::app::{Effect, Focus, Overlay};
use bluegreen::cloud::plan::{Intent, Step, plan};
use bluegreen::domain::Observation;

use super::harness::{Harness, unwrap_rows};

fn status(h: &Harness) -> String {
    h.app.status().map(|s| s.text.clone()).unwrap_or_default()
}

fn ready(h: &mut Harness) {
    h.until("Ready", |o| o.active.as_ref().is_some_and(|d| d.status == bluegreen::domain::DeploymentStatus::Ready));
}

#[test]
fn no_key_acts_while_the_screen_is_too_small() {
    let mut h = Harness::new("manual-reroute");
    h.resize(60, 20);
    h.keys("d y <enter> p r c");
    assert_eq!(*h.app.overlay(), Overlay::None, "no plan opens behind the notice");
    assert!(h.effects.is_empty(), "nothing is asked of the world: {:?}", h.effects);
    h.resize(120, 40);
    h.pass(3);
    assert!(h.world.history().is_empty(), "no deployment was started");
    assert!(h.screen(60, 20).contains("terminal too small"));
    h.resize(60, 20);
    h.keys("q");
    assert!(h.app.quit(), "q still quits");
}

#[test]
fn a_plan_shrunk_out_of_sight_cannot_be_confirmed() {
    let mut h = Harness::new("manual-reroute");
    h.resize(120, 40);
    h.keys("d");
    assert!(matches!(h.app.overlay(), Overlay::Plan(_)));
    h.resize(70, 20);
    h.keys("y <enter>");
    assert!(h.effects.is_empty(), "{:?}", h.effects);
    h.resize(120, 40);
    let Overlay::Plan(view) = &h.app.overlay() else { panic!("the plan is still open") };
    assert!(!view.confirming);
    h.keys("y");
    assert_eq!(h.effects[0], Effect::Observe, "drawn again, it can be confirmed");
}

/// The plan each key offers somewhere along a scenario's way.
fn plans_to_read() -> Vec<(&'static str, Harness, Intent)> {
    let mut out = Vec::new();
    out.push(("deploy", Harness::new("manual-reroute"), Intent::Deploy));
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    ready(&mut h);
    out.push(("promote (reroute)", h, Intent::Promote));
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    ready(&mut h);
    out.push(("reattach (stop with rollback)", h, Intent::Reattach));
    let mut h = Harness::new("terminate");
    h.keys("d y");
    h.until("the termination wait", |o| o.active.as_ref().is_some_and(|d| d.termination_wait_started));
    out.push(("promote (terminate now)", h, Intent::Promote));
    for scenario in ["manual-reroute", "tutorial"] {
        let mut h = Harness::new(scenario);
        h.keys("d y");
        if scenario == "manual-reroute" {
            ready(&mut h);
            h.keys("p y");
        }
        h.until("success", |o| o.active.is_none() && o.last.is_some());
        h.pass(5);
        out.push((if scenario == "tutorial" { "reattach (classic)" } else { "reattach (ALB)" }, h, Intent::Reattach));
    }
    let mut h = Harness::new("hook-fails");
    h.keys("d y");
    h.until("the rollback's end", |o| {
        o.active.is_none() && o.last.as_ref().is_some_and(bluegreen::domain::Deployment::is_rollback)
    });
    out.push(("clean up", h, Intent::CleanUp));
    out
}

#[test]
fn every_plan_reads_whole_at_80x24_after_scrolling() {
    for (name, mut h, intent) in plans_to_read() {
        let obs: Observation = h.obs();
        let p = plan(&obs, intent, 0).unwrap_or_else(|r| panic!("{name}: refused: {r}"));
        h.resize(80, 24);
        h.keys(match intent {
            Intent::Deploy => "d",
            Intent::Promote => "p",
            Intent::Reattach => "r",
            Intent::CleanUp => "c",
        });
        let rows = h.read_overlay(80, 24);
        assert!(rows.iter().all(|r| r.chars().count() <= 78), "{name}: a row wider than the box");
        let text = unwrap_rows(&rows);
        for pre in &p.preconditions {
            assert!(text.contains(&pre.to_string()), "{name}: precondition '{pre}' not readable in\n{text}");
        }
        for (n, step) in p.steps.iter().enumerate() {
            let want = format!("{}. {step}", n + 1);
            assert!(text.contains(&want), "{name}: step '{want}' not readable in\n{text}");
            if let Step::Call(call) = step {
                let cli = format!("$ {}", call.cli());
                assert!(text.contains(&cli), "{name}: CLI line '{cli}' not readable in\n{text}");
            }
        }
        let Overlay::Plan(view) = &h.app.overlay() else { panic!("{name}: the plan closed") };
        assert!(view.seen_all, "{name}: read to the end");
    }
}

#[test]
fn a_plan_runs_only_after_all_of_it_was_on_screen() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    ready(&mut h);
    h.keys("p y");
    h.until("success", |o| o.active.is_none());
    h.resize(80, 24);
    h.keys("r");
    let screen = h.screen(80, 24);
    assert!(screen.contains("more (↓/PgDn)"), "the box says more is below:\n{screen}");
    h.effects.clear();
    h.keys("y");
    assert!(h.effects.is_empty(), "not confirmed while steps are hidden");
    assert!(status(&h).starts_with("read the whole plan first"), "{}", status(&h));
    h.read_overlay(80, 24);
    h.keys("y");
    assert_eq!(h.effects.first(), Some(&Effect::Observe), "read whole, it runs");
}

#[test]
fn cut_text_is_marked_and_enter_shows_an_event_whole() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    h.pass(80);
    let screen = h.screen(80, 24);
    let events: Vec<&str> = screen.lines().filter(|l| l.starts_with("│09:")).collect();
    assert!(!events.is_empty());
    let mut cut = 0;
    for line in &events {
        let cell = line.split('│').nth(1).unwrap();
        let text = cell.trim_end();
        if text.chars().count() == cell.chars().count() {
            assert!(text.ends_with('…'), "a row that fills the panel was cut without a mark: {cell}");
            cut += 1;
        }
    }
    assert!(cut > 0, "long entries are cut at 80×24:\n{screen}");
    h.resize(80, 24);
    h.keys("<tab> <tab>");
    assert_eq!(h.app.focus(), Focus::Events);
    h.keys("<down> <down> <enter>");
    let Overlay::Event(entry) = h.app.overlay().clone() else { panic!("the event opens") };
    let newest: Vec<_> = h.app.log().newest().cloned().collect();
    assert_eq!(entry, newest[2], "the selected (third newest) entry");
    let text = unwrap_rows(&h.read_overlay(80, 24));
    assert!(text.contains(&entry.text), "shown whole: {text}");
    h.keys("<esc>");
    assert_eq!(*h.app.overlay(), Overlay::None);
}

#[test]
fn instance_ids_are_whole_when_the_panel_is_wide_enough() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    h.pass(80);
    let obs = h.obs();
    for (w, hgt) in [(120, 40), (200, 60)] {
        let screen = h.screen(w, hgt);
        for i in obs.environments.iter().flat_map(|e| &e.instances) {
            assert!(screen.contains(&format!("│{} ", i.id)), "{} whole at {w}×{hgt}:\n{screen}", i.id);
        }
    }
    let small = h.screen(80, 24);
    assert!(small.contains("i-0758fddf09af7d…"), "cut with a mark at 80×24:\n{small}");
}

#[test]
fn the_panels_say_what_each_group_does_now() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    h.pass(70);
    assert!(h.screen(120, 40).contains("GREEN · replacement · installing"), "{}", h.screen(120, 40));
    ready(&mut h);
    assert!(h.screen(120, 40).contains("GREEN · replacement · installed"));
    let mut h = Harness::new("hook-fails");
    h.keys("d y");
    h.until("the rollback's end", |o| {
        o.active.is_none() && o.last.as_ref().is_some_and(bluegreen::domain::Deployment::is_rollback)
    });
    let screen = h.screen(120, 40);
    assert!(screen.contains("GREEN · replacement · idle"), "the failed green group is clean up's to delete:\n{screen}");
    assert!(screen.contains("BLUE · original · serving"));
}

#[test]
fn a_refusal_goes_when_its_situation_has_passed() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    h.pass(20);
    h.keys("p");
    assert_eq!(status(&h), "promote: green is still installing");
    h.pass(3);
    assert_eq!(status(&h), "promote: green is still installing", "it stays while it is true");
    ready(&mut h);
    h.pass(6);
    assert!(!status(&h).contains("installing"), "gone once green is Ready: {}", status(&h));
}

#[test]
fn the_traffic_panel_and_the_event_log_read_the_same_second() {
    let mut h = Harness::new("flaky-green");
    h.keys("d y");
    ready(&mut h);
    h.keys("p y");
    let mut seen_failure = false;
    for _ in 0..400 {
        h.pass(1);
        let last = h.app.traffic().seconds.back().cloned().unwrap();
        let screen = h.screen(120, 40);
        for (class, p) in last.mix() {
            let row = if class == "failed" { format!(" {p}% failed") } else { format!(" {p}%") };
            assert!(screen.contains(&row), "panel row for {class} {p}% missing:\n{screen}");
        }
        if let Some(e) = h.app.log().newest().find(|e| e.kind == Kind::Traffic) {
            assert!(e.text.starts_with("load balancer serves "), "{}", e.text);
            if e.text.contains("failed") {
                seen_failure = true;
                assert!(!e.text.contains("100%"), "no version reads 100% while requests fail: {}", e.text);
            }
        }
        if seen_failure && h.obs().active.is_none() {
            break;
        }
    }
    assert!(seen_failure, "the log said when requests failed");
}

#[test]
fn the_traffic_panel_does_not_wait_for_requests_it_has() {
    let mut h = Harness::new("manual-reroute");
    assert!(h.screen(120, 40).contains("waiting for the first requests…"));
    h.world.advance(h.world.now() + std::time::Duration::from_millis(300));
    let start = h.app.traffic().start();
    let sample = bluegreen::probe::Sample {
        scheduled: start,
        latency: std::time::Duration::from_millis(3),
        outcome: bluegreen::probe::Outcome::Served { version: "v1".into(), instance: None },
        handshake: None,
    };
    h.send(bluegreen::app::Msg::Sample(sample));
    let screen = h.screen(120, 40);
    assert!(!screen.contains("waiting for the first requests"), "{screen}");
    assert!(screen.contains("measuring the first second…"), "{screen}");
}
