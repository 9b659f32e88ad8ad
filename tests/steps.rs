//! Deploy, promote, manual reattach, clean up: one key at a time, checking
//! after each which group serves, which is attached, kept or gone.

use bluegreen::cloud::plan::Intent;
use bluegreen::cloud::sim::story::run_key;
use bluegreen::domain::{Lifecycle, Observation};

use super::support::{LIMIT, pass, play, serving, world};

fn attached(obs: &Observation) -> Vec<String> {
    obs.environments.iter().filter(|e| e.attached_to(&obs.load_balancer)).map(|e| e.asg.clone()).collect()
}

fn groups(obs: &Observation) -> Vec<String> {
    obs.environments.iter().map(|e| e.asg.clone()).collect()
}

#[test]
fn deploy_promote_reattach_clean_up() {
    let mut w = world("manual-reroute");
    let blue = "bluegreen-asg".to_string();
    assert_eq!(serving(&w), [blue.as_str()]);

    // d: the copy is made and green installs while blue keeps serving.
    run_key(&mut w, Intent::Deploy, LIMIT).unwrap();
    play(&mut w, "wait Ready");
    let obs = w.observe();
    let green = obs.active.as_ref().unwrap().replacement_asg.clone().unwrap();
    assert!(green.starts_with("CodeDeploy_bluegreen-dg_d-"), "{green}");
    assert_eq!(serving(&w), [blue.as_str()], "blue serves while green waits in Ready");
    assert_eq!(attached(&obs), [blue.as_str()]);
    assert!(obs.environment(&green).unwrap().all_in_service());

    // p: traffic moves to green; blue is kept, detached, idle.
    run_key(&mut w, Intent::Promote, LIMIT).unwrap();
    play(&mut w, "wait Succeeded");
    pass(&mut w, 60);
    let obs = w.observe();
    assert_eq!(serving(&w), [green.as_str()]);
    assert_eq!(attached(&obs), [green.as_str()]);
    assert_eq!(groups(&obs), [blue.as_str(), green.as_str()], "KEEP_ALIVE keeps the originals");
    assert!(obs.environment(&blue).unwrap().instances.iter().all(|i| i.lifecycle == Lifecycle::InService));
    assert_eq!(obs.group.autoscaling_groups, [green.as_str()], "the group now copies green");

    // r: blue is attached again, healthy, then green is detached and drains.
    run_key(&mut w, Intent::Reattach, LIMIT).unwrap();
    let obs = w.observe();
    assert_eq!(serving(&w), [blue.as_str()], "blue serves as soon as the plan ends");
    assert_eq!(attached(&obs), [blue.as_str()]);
    assert_eq!(obs.group.autoscaling_groups, [blue.as_str()], "the next deployment copies blue");
    assert_eq!(obs.environment(&green).unwrap().registered().count(), 0, "the plan ends once green has drained");

    // c: the idle green group is deleted; blue alone is left, serving.
    run_key(&mut w, Intent::CleanUp, LIMIT).unwrap();
    let obs = w.observe();
    assert_eq!(groups(&obs), [blue.as_str()], "green is gone");
    assert_eq!(serving(&w), [blue]);
    assert!(w.instances().iter().all(|i| !i.id.is_empty() && i.version.as_deref() == Some("v1")));
}

#[test]
fn a_second_round_copies_the_group_that_serves() {
    let mut w = world("manual-reroute");
    play(&mut w, "deploy; wait Ready; promote; wait Succeeded; sleep 60; cleanup");
    let first_green = w.history()[0].replacement_asg.clone().unwrap();
    play(&mut w, "deploy; wait Ready; promote; wait Succeeded");
    let second = &w.history()[1];
    assert_eq!(second.original_asg.as_deref(), Some(first_green.as_str()));
    assert_eq!(second.revision.as_deref(), Some("v3"));
    assert_eq!(w.observe().revisions[0].label, "v4");
}
