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
    assert_eq!(
        waiting_for(&h, Step::ReviewUpdated),
        "v1 still serves: press p to reroute to green now (reroute within 60m, then the deployment stops)"
    );

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
    assert!(!screen.contains("tutorial down"), "the demo made no kit to remove: {screen}");
    h.keys("t");
    assert!(h.screen(120, 40).contains("Events ("), "t switches back to the events");
}

#[test]
fn the_end_of_the_tour_on_aws_names_tutorial_down() {
    let world = bluegreen::cloud::sim::World::new(&bluegreen::cloud::sim::Scenario::load("manual-reroute").unwrap());
    let mut h = Harness::with_source(world, "aws");
    h.keys("t");
    until_ticked(&mut h, 2);
    h.keys("d y");
    h.until("Ready", |o| o.active.as_ref().is_some_and(|d| d.status == bluegreen::domain::DeploymentStatus::Ready));
    h.keys("p y");
    h.until("success", |o| o.active.is_none());
    h.keys("c bluegreen-asg <enter>");
    until_ticked(&mut h, 5);
    let screen = h.screen(120, 40);
    assert!(screen.contains("Then: bluegreen tutorial down removes the kit"), "{screen}");
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

/// The tour's steps one by one, on observations and traffic made for each
/// case: each step ticks only when what it names holds.
mod steps {
    use std::time::Duration;

    use bluegreen::app::tour::{Mark, Step, Tour};
    use bluegreen::cloud::sim::{Scenario, World, story};
    use bluegreen::domain::{Creator, Deployment, DeploymentStatus, Lifecycle, Observation, TerminationAction};
    use bluegreen::probe::{ErrorKind, Outcome, Sample, Traffic};
    use tokio::time::Instant;

    /// Seconds of probing, each closed as soon as it ends.
    struct Probe {
        start: Instant,
        traffic: Traffic,
        next: u64,
    }

    impl Probe {
        fn new() -> Self {
            let start = Instant::now();
            Self { start, traffic: Traffic::with_timeout(start, Duration::ZERO), next: 0 }
        }

        /// One closed second: each answer a version and an instance, or a failure.
        fn second(&mut self, answers: &[Option<(&str, &str)>]) -> &Traffic {
            let at = self.start + Duration::from_secs(self.next);
            for (n, answer) in answers.iter().enumerate() {
                let outcome = match answer {
                    Some((version, id)) => Outcome::Served { version: (*version).into(), instance: Some((*id).into()) },
                    None => Outcome::Failed(ErrorKind::Server(503)),
                };
                let scheduled = at + Duration::from_millis(10 * n as u64);
                self.traffic.record(Sample { scheduled, latency: Duration::from_millis(1), outcome, handshake: None });
            }
            self.next += 1;
            self.traffic.close(self.start + Duration::from_secs(self.next + 1));
            &self.traffic
        }
    }

    fn world() -> (World, Observation) {
        let world = World::new(&Scenario::load("manual-reroute").unwrap());
        let obs = world.observe();
        (world, obs)
    }

    /// The ids of the deployment group's (blue) instances.
    fn blue(obs: &Observation) -> Vec<String> {
        let asg = &obs.group.autoscaling_groups[0];
        obs.environment(asg).unwrap().instances.iter().map(|i| i.id.clone()).collect()
    }

    fn served_by<'a>(version: &'static str, ids: &'a [String]) -> Vec<Option<(&'static str, &'a str)>> {
        ids.iter().cycle().take(10).map(|id| Some((version, id.as_str()))).collect()
    }

    fn hear(tour: &mut Tour, answers: &[Option<(&str, &str)>]) {
        for (version, id) in answers.iter().flatten() {
            tour.heard(&Outcome::Served { version: (*version).into(), instance: Some((*id).into()) });
        }
    }

    fn why(tour: &Tour, step: Step) -> String {
        match tour.mark(step) {
            Mark::Current(why) | Mark::Undone(why) => why.clone(),
            other => panic!("step {} is {other:?}", step.number()),
        }
    }

    /// Steps 1 and 2 ticked on the seeded world, v1 served by both blue instances.
    fn reviewed() -> (World, Observation, Tour, Probe) {
        let (world, obs) = world();
        let mut tour = Tour::default();
        let mut probe = Probe::new();
        let ids = blue(&obs);
        let answers = served_by("v1", &ids);
        hear(&mut tour, &answers);
        tour.update(&obs, probe.second(&answers));
        assert_eq!(tour.done(), 2, "{:?}", tour.marks().collect::<Vec<_>>());
        (world, obs, tour, probe)
    }

    #[test]
    fn the_steps_read_as_the_tutorial_names_them() {
        let titles: Vec<(usize, &str)> = Step::ALL.iter().map(|s| (s.number(), s.title())).collect();
        assert_eq!(
            titles,
            [
                (1, "The initial environment"),
                (2, "Review it"),
                (3, "Deploy the new version"),
                (4, "Review the updated environment"),
                (5, "Clean up")
            ]
        );
        assert!(Step::ALL.iter().all(|s| s.about().len() > 80), "each says what it is about");
        let tour = Tour::default();
        assert_eq!(tour.current(), Some(Step::Initial));
        assert_eq!(why(&tour, Step::Initial), "waiting for the first observation");
        assert_eq!(*tour.mark(Step::Review), Mark::Open);
    }

    #[test]
    fn step_1_needs_every_blue_instance_in_service_and_serving() {
        let (_, mut obs) = world();
        let asg = obs.group.autoscaling_groups[0].clone();
        let env = obs.environments.iter_mut().find(|e| e.asg == asg).unwrap();
        env.instances[0].lifecycle = Lifecycle::Pending;
        let mut tour = Tour::default();
        let traffic = Probe::new().traffic;
        tour.update(&obs, &traffic);
        assert_eq!(why(&tour, Step::Initial), "1 of 2 blue instance(s) InService and healthy behind the load balancer");
        let env = obs.environments.iter_mut().find(|e| e.asg == asg).unwrap();
        env.instances[0].lifecycle = Lifecycle::InService;
        env.instances[1].target = None;
        tour.update(&obs, &traffic);
        assert_eq!(why(&tour, Step::Initial), "1 of 2 blue instance(s) InService and healthy behind the load balancer");
        obs.environments.iter_mut().find(|e| e.asg == asg).unwrap().instances.clear();
        tour.update(&obs, &traffic);
        assert_eq!(why(&tour, Step::Initial), "0 of 0 blue instance(s) InService and healthy behind the load balancer");
        obs.group.autoscaling_groups.clear();
        tour.update(&obs, &traffic);
        assert_eq!(why(&tour, Step::Initial), "the deployment group has no Auto Scaling group");
        let (_, fine) = world();
        tour.update(&fine, &traffic);
        assert_eq!(*tour.mark(Step::Initial), Mark::Done);
        assert_eq!(tour.current(), Some(Step::Review));
    }

    #[test]
    fn step_2_needs_a_second_of_one_version_without_failures_from_every_serving_instance() {
        let (_, obs) = world();
        let ids = blue(&obs);
        let mut tour = Tour::default();
        let mut probe = Probe::new();
        // Both instances answer v1, but one request of the second failed.
        let mut failing = served_by("v1", &ids);
        failing[9] = None;
        hear(&mut tour, &failing);
        tour.update(&obs, probe.second(&failing));
        assert_eq!(why(&tour, Step::Review), "waiting for a whole second served by one version, without failures");
        let mixed = vec![Some(("v1", ids[0].as_str())), Some(("v2", ids[1].as_str()))];
        tour.update(&obs, probe.second(&mixed));
        assert_eq!(why(&tour, Step::Review), "waiting for a whole second served by one version, without failures");
        // A clean second, but only one instance was ever heard (a fresh tour).
        let mut tour = Tour::default();
        let one = served_by("v1", &ids[..1]);
        hear(&mut tour, &one);
        tour.update(&obs, probe.second(&one));
        assert_eq!(why(&tour, Step::Review), "v1 served; 1 of 2 instance(s) heard from so far");
        hear(&mut tour, &served_by("v1", &ids[1..]));
        tour.update(&obs, &probe.traffic);
        assert_eq!(tour.done(), 2);
        assert_eq!(tour.current(), Some(Step::Deploy));
    }

    #[test]
    fn instances_heard_are_kept_up_to_1024() {
        let (_, obs) = world();
        let ids = blue(&obs);
        let mut tour = Tour::default();
        for n in 0..1023 {
            tour.heard(&Outcome::Served { version: "v1".into(), instance: Some(format!("i-other{n}")) });
        }
        let answers = served_by("v1", &ids);
        hear(&mut tour, &answers);
        tour.update(&obs, Probe::new().second(&answers));
        assert_eq!(
            why(&tour, Step::Review),
            "v1 served; 1 of 2 instance(s) heard from so far",
            "the 1025th is not kept"
        );
    }

    #[test]
    fn step_3_ticks_on_a_deployment_of_another_revision_once_green_exists() {
        let (mut world, mut obs, mut tour, probe) = reviewed();
        assert_eq!(why(&tour, Step::Deploy), "press d to deploy the newest revision");
        let revisions = std::mem::take(&mut obs.revisions);
        obs.revisions = revisions.iter().filter(|r| r.label == "v1").cloned().collect();
        tour.update(&obs, &probe.traffic);
        assert_eq!(why(&tour, Step::Deploy), "no revision other than the one served is registered");
        story::play(&mut world, story::parse("deploy; wait asg-created").unwrap(), Duration::from_secs(600)).unwrap();
        let deployed = world.observe();
        let d: Deployment = deployed.active.clone().unwrap();
        let with = |change: &dyn Fn(&mut Deployment)| {
            let mut o = deployed.clone();
            let mut d = d.clone();
            change(&mut d);
            o.active = Some(d);
            o
        };
        for (what, o) in [
            ("a rollback", with(&|d| d.creator = Creator::CodeDeployRollback)),
            ("of the version served", with(&|d| d.revision = Some("v1".into()))),
        ] {
            tour.update(&o, &probe.traffic);
            assert_eq!(why(&tour, Step::Deploy), "press d to deploy the newest revision", "{what}");
        }
        tour.update(&with(&|d| d.replacement_asg = None), &probe.traffic);
        assert_eq!(why(&tour, Step::Deploy), format!("deployment {} is InProgress: green is on its way", d.id));
        tour.update(&deployed, &probe.traffic);
        assert_eq!(tour.done(), 3);
        assert_eq!(tour.current(), Some(Step::ReviewUpdated));
    }

    #[test]
    fn step_4_says_to_promote_in_ready_waits_for_both_groups_and_unticks_only_once_reached() {
        let (mut world, _, mut tour, mut probe) = reviewed();
        story::play(&mut world, story::parse("deploy; wait Ready").unwrap(), Duration::from_secs(3600)).unwrap();
        let ready = world.observe();
        let ids = blue(&ready);
        tour.update(&ready, probe.second(&served_by("v1", &ids)));
        assert_eq!(tour.done(), 3);
        assert_eq!(
            why(&tour, Step::ReviewUpdated),
            "v1 still serves: press p to reroute to green now (reroute within 60m, then the deployment stops)"
        );
        let mut installing = ready.clone();
        installing.active.as_mut().unwrap().status = DeploymentStatus::InProgress;
        tour.update(&installing, &probe.traffic);
        assert_eq!(why(&tour, Step::ReviewUpdated), "v1 still serves; green installs, then traffic moves");
        // A deployment that stopped (or failed) leaves nothing on its way.
        let mut stopped = ready.clone();
        let mut d = stopped.active.take().unwrap();
        d.status = DeploymentStatus::Stopped;
        d.error = Some(bluegreen::domain::ErrorInfo { code: "TIMEOUT".into(), message: "late".into() });
        let id = d.id.clone();
        stopped.last = Some(d);
        tour.update(&stopped, &probe.traffic);
        assert_eq!(
            why(&tour, Step::ReviewUpdated),
            format!("v1 still serves: deployment {id} ended Stopped (TIMEOUT); press d to deploy again")
        );
        let mixed = vec![Some(("v1", ids[0].as_str())), Some(("v2", "i-0green"))];
        tour.update(&ready, probe.second(&mixed));
        assert_eq!(
            why(&tour, Step::ReviewUpdated),
            "the load balancer serves a mix, or fails: the cutover is under way"
        );
        // v2 alone, but only one group seen (and the originals are kept).
        let mut one_group = ready.clone();
        one_group.environments.truncate(1);
        let green = ["i-0green".to_string()];
        let v2 = served_by("v2", &green);
        tour.update(&one_group, probe.second(&v2));
        assert_eq!(why(&tour, Step::ReviewUpdated), "the new version serves; waiting to see both groups");
        one_group.group.termination = TerminationAction::Terminate;
        let mut terminating = tour.clone();
        terminating.update(&one_group, &probe.traffic);
        assert_eq!(*terminating.mark(Step::ReviewUpdated), Mark::Done, "with TERMINATE the originals may be gone");
        tour.update(&ready, &probe.traffic);
        assert_eq!(tour.done(), 4);
        // Reached, then v1 again: unticked, and says why.
        let mut back = ready.clone();
        back.active = None;
        tour.update(&back, probe.second(&served_by("v1", &ids)));
        assert_eq!(tour.done(), 3);
        assert_eq!(
            *tour.mark(Step::ReviewUpdated),
            Mark::Undone("the load balancer serves v1 again: traffic went back to blue".into())
        );
        assert_eq!(*tour.mark(Step::CleanUp), Mark::Open);
    }

    #[test]
    fn step_5_ticks_with_one_group_left_and_unticks_when_the_old_version_serves_again() {
        let (mut world, _, mut tour, mut probe) = reviewed();
        story::play(
            &mut world,
            story::parse("deploy; wait Ready; promote; wait Succeeded").unwrap(),
            Duration::from_secs(3600),
        )
        .unwrap();
        let two = world.observe();
        let green = two.group.autoscaling_groups[0].clone();
        let serving = blue(&two);
        let v2 = served_by("v2", &serving);
        tour.update(&two, probe.second(&v2));
        assert_eq!(tour.done(), 4);
        assert_eq!(why(&tour, Step::CleanUp), "2 groups: press c to delete the one that no longer serves");
        let mut one = two.clone();
        one.environments.retain(|e| e.asg == green);
        tour.update(&one, &probe.traffic);
        assert_eq!(tour.done(), 5);
        assert_eq!(tour.current(), None);
        tour.update(&one, probe.second(&served_by("v1", &["i-0old".to_string()])));
        assert_eq!(*tour.mark(Step::CleanUp), Mark::Undone("the old version serves again".into()));
        assert_eq!(tour.done(), 4);
    }
}
