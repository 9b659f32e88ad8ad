//! Every built-in scenario played to its end under a clock the test owns,
//! checked against its own `[expect]` table.

use std::time::Duration;

use bluegreen::cloud::sim::scenario::{BUILTIN, FailedRequests};
use bluegreen::cloud::sim::story;
use bluegreen::cloud::sim::{Scenario, World};

/// Seconds of world time in which a user's request could fail: the load
/// balancer had no routable target, or a routable target answers 503.
fn failing_seconds(world: &World) -> bool {
    let now = world.now();
    let views = world.instances();
    let routable: Vec<_> = views.iter().filter(|v| v.routable()).collect();
    routable.is_empty()
        || routable.iter().any(|v| !v.up || v.version.is_none() || v.fails_until.is_some_and(|t| t > now))
}

fn check(name: &str) {
    let scenario = Scenario::load(name).expect("loads");
    let mut world = World::new(&scenario);
    let actions = story::parse(&scenario.story).expect("story parses");
    let mut bad_seconds = 0;
    let events = story::play_with(&mut world, actions, super::support::LIMIT, |w| {
        bad_seconds += u32::from(failing_seconds(w));
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    // Let drains and terminations that follow the story's last wait finish.
    world.advance(world.now() + Duration::from_secs(120));
    let expect = &scenario.expect;

    let statuses: Vec<String> = world.history().iter().map(|d| d.status.to_string()).collect();
    assert_eq!(statuses, expect.statuses, "{name}: final statuses");

    let tags: Vec<&str> = events.iter().map(|e| e.tag.word()).collect();
    let mut rest = tags.iter();
    for want in &expect.events {
        assert!(rest.any(|t| *t == want.word()), "{name}: event '{want}' missing or out of order in {tags:?}");
    }

    let history = world.history();
    let want_group = if expect.serving == "original" {
        scenario.group.asg.clone()
    } else {
        history.first().and_then(|d| d.replacement_asg.clone()).expect("a replacement group")
    };
    let obs = world.observe();
    let serving: Vec<&str> = obs.serving().iter().map(|e| e.asg.as_str()).collect();
    assert_eq!(serving, vec![want_group.as_str()], "{name}: serving group");

    let versions: Vec<_> =
        obs.serving()[0].instances.iter().filter(|i| i.serving()).map(|i| i.version.clone()).collect();
    assert!(
        !versions.is_empty() && versions.iter().all(|v| v.as_deref() == Some(expect.version.as_str())),
        "{name}: versions {versions:?}"
    );

    match expect.failed_requests {
        FailedRequests::Zero => assert_eq!(bad_seconds, 0, "{name}: seconds in which requests could fail"),
        FailedRequests::Some => assert!(bad_seconds > 0, "{name}: expected failing seconds"),
    }
}

#[test]
fn manual_reroute() {
    check("manual-reroute");
}

#[test]
fn tutorial() {
    check("tutorial");
}

#[test]
fn terminate() {
    check("terminate");
}

#[test]
fn launch_denied() {
    check("launch-denied");
}

#[test]
fn scale_out_in_ready() {
    check("scale-out-in-ready");
}

#[test]
fn bundle_overwritten() {
    check("bundle-overwritten");
}

#[test]
fn ready_timeout() {
    check("ready-timeout");
}

#[test]
fn hook_fails() {
    check("hook-fails");
}

#[test]
fn flaky_green() {
    check("flaky-green");
}

#[test]
fn every_builtin_is_checked() {
    let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "manual-reroute",
            "tutorial",
            "terminate",
            "hook-fails",
            "flaky-green",
            "launch-denied",
            "scale-out-in-ready",
            "ready-timeout",
            "bundle-overwritten"
        ]
    );
}

#[test]
fn same_seed_same_world() {
    let s = Scenario::load("manual-reroute").unwrap();
    let play = |seed| {
        let mut w = World::with_seed(&s, seed);
        story::play(&mut w, story::parse(&s.story).unwrap(), super::support::LIMIT).unwrap();
        (w.observe(), w.now())
    };
    assert_eq!(play(1), play(1));
    assert_ne!(play(1).0.environments, play(2).0.environments);
}

#[test]
fn unknown_fields_are_rejected() {
    let text = BUILTIN[0].1.replace("[group]", "[group]\nsurprise = 1");
    let err = Scenario::parse(&text).unwrap_err();
    assert!(err.contains("surprise"), "{err}");
    assert!(!err.contains('\n'));
}

#[test]
fn bad_scenarios_get_a_hint() {
    let err = Scenario::load("nope").unwrap_err();
    assert!(err.contains("hint") && err.contains("manual-reroute"), "{err}");
    let text = BUILTIN[0].1.replace("[group]", "[group]\ninstances = 0");
    assert!(Scenario::parse(&text).unwrap_err().contains("instances"));
}

#[test]
fn the_deployment_is_played_in_about_a_minute() {
    let s = Scenario::load("tutorial").unwrap();
    let mut w = World::new(&s);
    let start = w.now();
    story::play(&mut w, story::parse(&s.story).unwrap(), super::support::LIMIT).unwrap();
    let real_seconds = w.now().since(start).as_secs_f64() / s.timing.pace;
    assert!((30.0..=120.0).contains(&real_seconds), "a deployment takes {real_seconds:.0}s of demo time");
}

#[test]
fn large_groups_get_unique_addresses() {
    let text = BUILTIN[0].1.replace("[group]", "[group]\ninstances = 500");
    let mut world = World::new(&Scenario::parse(&text).unwrap());
    story::play(&mut world, story::parse("deploy").unwrap(), super::support::LIMIT).unwrap();
    world.advance(world.now() + Duration::from_secs(5));
    let ips: std::collections::BTreeSet<String> = world.instances().into_iter().map(|v| v.ip).collect();
    assert_eq!(ips.len(), 1000, "500 blue and 500 green instances, each with its own address");
}

#[test]
fn scenario_text_that_could_reach_a_terminal_is_checked() {
    let text = BUILTIN[0].1.replace("[group]", "[group]\nasg = \"evil\\u001b[2J\"");
    let err = Scenario::parse(&text).unwrap_err();
    assert!(err.contains("group.asg") && err.contains("hint") && !err.contains('\u{1b}'), "{err}");
    let text = BUILTIN[0].1.replace("seed = 7", "seed = 7\ndescription = \"x\\u0007\"").replacen(
        "description = \"The demo",
        "# description = \"The demo",
        1,
    );
    assert!(Scenario::parse(&text).unwrap_err().contains("plain text"));
}

/// `bluegreen demo --plain` run to its story's end, its lines.
fn plain(scenario: &str, script: &str) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .args(["demo", "--plain", "--port", "0", "--speed", "20", "--scenario", scenario, "--script", script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| l.chars().skip(9).collect()).collect()
}

/// Asserts that a line starting with each of `starts` is there, in this
/// order (the first such line of each), and gives their places.
fn in_order(lines: &[String], starts: &[&str]) -> Vec<usize> {
    let at: Vec<usize> = starts
        .iter()
        .map(|s| lines.iter().position(|l| l.starts_with(s)).unwrap_or_else(|| panic!("{s:?} in {lines:#?}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "in the order {starts:#?}: {lines:#?}");
    at
}

#[test]
fn a_failed_hook_is_told_with_its_script_exit_code_log_tail_and_hint() {
    let lines = plain("hook-fails", "deploy; wait Failed");
    in_order(
        &lines,
        &[
            "world    ValidateService failed on i-",
            "why      scripts/validate_service.sh exited 1 (ScriptFailed) on i-",
            "why      │ [stderr]ValidateService: the page did not answer within 30 seconds",
            "why      hint: the script exited with an error: the log tail shows why",
            "why      HOOK_EXECUTION_FAILURE: The overall deployment failed",
        ],
    );
}

#[test]
fn the_termination_wait_is_counted_down_to_the_last_seconds() {
    let lines = plain("terminate", "deploy; wait Succeeded");
    // Seconds left in each countdown line (at 20 times real time a tick
    // spans seconds of the world, so the exact seconds vary).
    let left: Vec<u64> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("console  blue is terminated in "))
        .map(|l| {
            let n = l.split(';').next().unwrap();
            n.strip_suffix('m')
                .map_or_else(|| n.trim_end_matches('s').parse().unwrap(), |m| m.parse::<u64>().unwrap() * 60)
        })
        .collect();
    assert!(left.len() >= 2 && left[0] <= 60 && left[0] >= 40, "from the wait's start: {left:?} {lines:#?}");
    assert!(left.windows(2).all(|w| w[0] > w[1]) && left.last().is_some_and(|s| *s <= 30), "{left:?}");
    let terminating = lines.iter().position(|l| l.contains("terminating 2 original instance(s)")).unwrap();
    let last = lines.iter().rposition(|l| l.contains("r puts it back until then")).unwrap();
    assert!(lines.iter().position(|l| l.contains("will be terminated in 1m00s")).unwrap() < last);
    assert!(last < terminating, "counted down before, never after: {lines:#?}");
}

#[test]
fn a_launch_template_group_without_the_roles_three_actions_is_told_what_to_add() {
    let lines = plain("launch-denied", "deploy; wait Failed");
    let at = in_order(
        &lines,
        &[
            "why      AUTO_SCALING_IAM_ROLE_PERMISSIONS: The IAM role",
            "why      hint: CodeDeploy's service role cannot launch green",
        ],
    );
    let hint = &lines[at[1]];
    for action in ["ec2:RunInstances", "ec2:CreateTags", "iam:PassRole", "assets/iam/codedeploy-service-role.json"] {
        assert!(hint.contains(action), "{action} in {hint}");
    }
    assert!(!lines.iter().any(|l| l.contains("launched in CodeDeploy_")), "green is never created: {lines:#?}");
}

#[test]
fn a_ready_window_that_closes_is_counted_down_then_told_why() {
    let lines = plain("ready-timeout", "deploy; wait Ready; wait Stopped");
    let at = in_order(
        &lines,
        &[
            "console  reroute within 5m, then the deployment stops",
            "why      TIMEOUT: ",
            "why      hint: the Ready window closed before a reroute: deploy again and promote (p) within it",
        ],
    );
    let last_minute = lines
        .iter()
        .position(|l| l.starts_with("console  reroute within ") && l.ends_with("s, then the deployment stops"));
    assert!(last_minute.is_some_and(|n| at[0] < n && n < at[1]), "counted down to seconds, then why: {lines:#?}");
}

#[test]
fn a_bundle_the_agent_refuses_is_told_with_the_agents_words_and_the_step() {
    let lines = plain("bundle-overwritten", "deploy; wait Failed");
    in_order(
        &lines,
        &[
            "why      DownloadBundle failed (UnknownError) on i-",
            "why      │ The object's ETag 7215ee9c7d9dc229d2921a40e899ec5f is not the registered",
            "why      hint: the agent could not fetch or check the bundle",
        ],
    );
}
