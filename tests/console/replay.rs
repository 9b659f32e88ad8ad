//! A session recorded as the console's session records it, then replayed
//! into a fresh app: the screens at three moments are the screens the live
//! app drew, and the replay's moments land on the promote and the verdict.

use bluegreen::cloud::sim::{Scenario, World};
use bluegreen::domain::DeploymentStatus;
use bluegreen::record::replay::{self, Replay};
use bluegreen::record::{Header, Recorder, SCHEMA_VERSION, tape};
use insta::assert_snapshot;

use super::harness::{Harness, screen_of};

const SOURCE: &str = "demo · manual-reroute";

fn header() -> Header {
    Header {
        schema_version: SCHEMA_VERSION,
        bluegreen: "test".into(),
        commit: "test".into(),
        mode: "demo".into(),
        source: SOURCE.into(),
        region: None,
        application: None,
        group: None,
        caller: None,
        size: Some((120, 40)),
        start: "2026-11-27T09:00:00Z".into(),
        url: super::harness::URL.into(),
        unverified: false,
        read_only: None,
        stale_after_secs: None,
        tour: false,
        names_events: false,
        first: Vec::new(),
    }
}

#[test]
fn a_replay_draws_the_screens_the_operator_saw() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    let recorder = Recorder::create(&path, &header()).unwrap();
    let world = World::new(&Scenario::load("manual-reroute").unwrap());
    let mut h = Harness::recorded(world, SOURCE, Some(recorder));
    let mut live = Vec::new();
    let mut mark = |h: &mut Harness, name: &str| {
        let screen = h.screen(120, 40);
        live.push((name.to_string(), h.recorder.as_mut().unwrap().lines(), screen));
    };
    h.pass(3);
    mark(&mut h, "idle");
    h.keys("d y");
    h.until("Ready", |o| o.active.as_ref().is_some_and(|d| d.status == DeploymentStatus::Ready));
    h.keys("p");
    mark(&mut h, "promote plan");
    h.keys("y");
    h.until("success", |o| o.active.is_none());
    h.pass(30);
    mark(&mut h, "after the cutover");
    drop(h);

    let tape = tape::read(&path).unwrap();
    assert_eq!(tape.note, None);
    assert!(replay::setup(&tape).source.starts_with("replay · demo · manual-reroute"), "the header says replay");
    let mut r = Replay::new(tape, Harness::setup(SOURCE), true);
    for (name, lines, screen) in &live {
        r.seek(*lines);
        let theme = bluegreen::ui::theme::Theme { monochrome: false };
        assert_eq!(&screen_of(r.app(), theme, 120, 40), screen, "the screen at '{name}'");
    }
    // Back, then forward again: the same screen.
    r.seek(live[1].1);
    let theme = bluegreen::ui::theme::Theme { monochrome: false };
    assert_snapshot!("replay_promote_plan", screen_of(r.app(), theme, 120, 40));

    let moments: Vec<&str> = r.moments().iter().map(|m| m.what.as_str()).collect();
    let at =
        |what: &str| moments.iter().position(|m| m.contains(what)).unwrap_or_else(|| panic!("{what} in {moments:?}"));
    let (created, ready, promote, verdict) =
        (at("CreateDeployment sent"), at("Ready"), at("ContinueDeployment sent"), at("a cutover's verdict"));
    assert!(created < ready && ready < promote && promote < verdict, "in order: {moments:?}");
    // `]` from the Ready moment lands on the promote, then on the verdict.
    let m = r.moments()[promote].clone();
    r.seek(m.lines);
    assert!(r.app().running().is_some() || r.app().plan_end().is_some(), "the promote's plan runs there");
    let m = r.moments()[verdict].clone();
    r.seek(m.lines);
    let text = screen_of(r.app(), theme, 120, 40);
    assert!(text.contains("cutover"), "the verdict is on the screen:\n{text}");
}
