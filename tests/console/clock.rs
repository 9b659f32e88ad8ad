//! One clock for traffic: the console maps the real instant of a request to
//! the world's time by the last tick, at any pace, and tells a verdict at
//! its cutover's span.

use std::time::Duration;

use bluegreen::app::log::Kind;
use bluegreen::app::{App, Msg, Setup};
use bluegreen::domain::At;
use tokio::time::Instant;

use super::harness::Harness;

#[test]
fn real_instants_map_to_world_time_at_half_one_and_eight_times_real_time() {
    let start = Instant::now();
    let world = At::from_secs(9 * 3600 + 120);
    for pace in [0.5, 1.0, 8.0] {
        let mut app = App::new(Setup::default(), start);
        app.update(Msg::Tick { world, real: start + Duration::from_secs(10), pace });
        let world_secs = |app: &App, real: u64| app.world_at(start + Duration::from_secs(real)).since(At::from_secs(0));
        let at = |secs: f64| world.since(At::from_secs(0)) + Duration::from_secs_f64(secs);
        assert_eq!(world_secs(&app, 10), at(0.0), "the tick itself at pace {pace}");
        assert_eq!(world_secs(&app, 12), at(2.0 * pace), "after the tick at pace {pace}");
        assert_eq!(
            world_secs(&app, 6),
            world.since(At::from_secs(0)).checked_sub(Duration::from_secs_f64(4.0 * pace)).unwrap(),
            "before it"
        );
        // A tick that arrives late (its real instant before the last one's)
        // does not move the clock back.
        app.update(Msg::Tick { world: At::from_secs(1), real: start + Duration::from_secs(9), pace: 99.0 });
        assert_eq!(world_secs(&app, 12), at(2.0 * pace), "a stale tick is ignored at pace {pace}");
    }
}

#[test]
fn a_verdict_is_told_at_its_cutovers_end_and_names_its_span() {
    let mut h = Harness::new("manual-reroute");
    h.keys("d y");
    h.until("Ready", |o| o.active.as_ref().is_some_and(|d| d.status.as_str() == "Ready"));
    h.keys("p y");
    let promoted = h.app.now();
    let mut decided = None;
    for _ in 0..300 {
        h.pass(1);
        if h.app.verdicts().back().is_some() {
            decided = Some(h.app.now());
            break;
        }
    }
    let decided = decided.expect("a verdict within five minutes of the reroute");
    let ((began, ended), verdict) = h.app.verdicts().back().cloned().unwrap();
    assert!(promoted <= began + Duration::from_secs(1), "judged from the promote at {promoted}, not before: {began}");
    assert!(began < ended && ended < decided, "{began}–{ended}, decided {decided}");
    let entry = h.app.log().newest().find(|e| e.kind == Kind::Verdict).unwrap().clone();
    assert_eq!(entry.at, ended, "stamped at the end of its span, not when decided");
    assert_eq!(entry.text, verdict.describe((began, ended)));
    assert!(entry.text.starts_with(&format!("cutover {began}–{ended} v1 → v2: 0 failed of ")), "{}", entry.text);
    let times: Vec<At> = h.app.log().newest().map(|e| e.at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "the log reads in time order");
}
