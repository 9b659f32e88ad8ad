//! The simulated world behind `bluegreen demo` and most tests: CodeDeploy
//! blue/green on Auto Scaling groups behind one load balancer, as a pure,
//! synchronous state machine. Time is an input (`advance`), calls are data
//! (`apply`), and what it looks like is an [`Observation`] (`observe`).
//!
//! ```text
//!   advance(now) ──► deployments step through their lifecycle hooks,
//!                    instances launch and terminate, targets are health-checked
//!   apply(call)  ──► the answers (and errors) AWS gives in the same state
//!   observe()    ──► the same domain types the AWS adapter returns
//! ```
//!
//! Run in real time on a task of its own, it is a cloud like AWS: see
//! [`port`] and [`clock`].

mod calls;
pub mod clock;
mod flow;
mod lb;
pub mod port;
mod rng;
pub mod scenario;
pub mod story;

use std::collections::HashMap;
use std::time::Duration;

use crate::cloud::{Event, Tag};
use crate::domain::{
    At, AutoRollback, Deployment, DeploymentGroup, Environment, GreenProvisioning, Health, Instance, Lifecycle,
    LoadBalancer, LoadBalancerKind, Observation, ReadyAction, Revision, TargetHealth, TerminationAction,
};
pub use clock::WorldClock;
use lb::Registration;
pub use port::SimCloud;
use rng::Rng;
pub use scenario::Scenario;
use scenario::{LbKind, Originals, Reroute};

/// How many deployments and revisions the world remembers at most.
pub const KEEP: usize = 20;

/// When every world starts: 2026-11-26 09:00:00 UTC.
pub const EPOCH: At = At::from_secs(1_795_683_600);

/// What the network face needs to know about one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceView {
    pub id: String,
    pub ip: String,
    /// InService and not terminating: its HTTP server runs.
    pub up: bool,
    /// The installed application version, if any.
    pub version: Option<String>,
    /// Its page answers 503 until then (a fault).
    pub fails_until: Option<At>,
    /// How the load balancer treats it.
    pub route: Route,
}

/// An instance as the load balancer treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Not registered: no requests, no health checks.
    Unregistered,
    /// Registered, health-checked, but not (yet) healthy: no requests.
    Checking,
    /// Healthy: it gets new requests and health checks.
    Serving,
    /// Deregistered: requests in flight finish, no new ones.
    Draining,
}

impl InstanceView {
    /// The load balancer sends it new requests.
    pub fn routable(&self) -> bool {
        self.route == Route::Serving
    }

    /// The load balancer health-checks it.
    pub fn checked(&self) -> bool {
        matches!(self.route, Route::Checking | Route::Serving)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Inst {
    id: String,
    ip: String,
    zone: String,
    asg: String,
    lifecycle: Lifecycle,
    /// When a Pending instance becomes InService, or a Terminating one Terminated.
    due: Option<At>,
    version: Option<String>,
    /// Seconds in service during which its page answers 503.
    fault_503: Option<u64>,
    in_service_at: Option<At>,
}

#[derive(Debug, Clone)]
pub(crate) struct Asg {
    name: String,
    capacity: (u32, u32, u32),
    target_groups: Vec<String>,
    classic: Vec<String>,
    created_at: At,
}

/// The simulated world.
#[derive(Debug, Clone)]
pub struct World {
    now: At,
    rng: Rng,
    scenario: Scenario,
    group: DeploymentGroup,
    lb: LoadBalancer,
    asgs: Vec<Asg>,
    instances: Vec<Inst>,
    registrations: Vec<Registration>,
    deployments: Vec<flow::Dep>,
    /// Oldest first.
    /// The newest revisions (at most [`KEEP`]); the first is number `revision_base`.
    revisions: Vec<Revision>,
    revision_base: usize,
    /// Number of what the deployment group last deployed (0 is `v1`).
    current_revision: usize,
    /// Deployments users started so far (faults apply to the first).
    user_deployments: u64,
    events: Vec<Event>,
    /// Results of real health checks (the demo's load balancer), by
    /// instance; where none is known the world's own model decides.
    reported_health: HashMap<String, bool>,
}

impl World {
    /// A world as the scenario describes it, with its own seed.
    pub fn new(scenario: &Scenario) -> Self {
        Self::with_seed(scenario, scenario.seed)
    }

    /// A world as the scenario describes it, with another seed.
    pub fn with_seed(scenario: &Scenario, seed: u64) -> Self {
        let g = &scenario.group;
        let mut rng = Rng::new(seed);
        let hex = b"0123456789abcdef";
        let classic = g.load_balancer == LbKind::Classic;
        let tg_arn = format!(
            "arn:aws:elasticloadbalancing:{}:123456789012:targetgroup/{}/{}",
            g.region,
            g.target_group,
            rng.word(hex, 16)
        );
        let lb = LoadBalancer {
            kind: if classic { LoadBalancerKind::Classic } else { LoadBalancerKind::Application },
            name: g.load_balancer_name.clone(),
            target_group: (!classic).then(|| g.target_group.clone()),
            target_group_arn: (!classic).then_some(tg_arn),
            url: format!(
                "http://{}-{}.{}.elb.amazonaws.com/",
                g.load_balancer_name,
                rng.between(100_000_000, 999_999_999),
                g.region
            ),
        };
        let group = DeploymentGroup {
            application: g.application.clone(),
            name: g.deployment_group.clone(),
            autoscaling_groups: vec![g.asg.clone()],
            ready_action: match g.reroute {
                Reroute::Manual => ReadyAction::StopDeployment,
                Reroute::Automatic => ReadyAction::ContinueDeployment,
            },
            ready_wait_minutes: g.ready_wait_minutes,
            termination: match g.originals {
                Originals::Keep => TerminationAction::KeepAlive,
                Originals::Terminate => TerminationAction::Terminate,
            },
            termination_wait_minutes: g.termination_wait_minutes,
            green_provisioning: GreenProvisioning::CopyAutoScalingGroup,
            auto_rollback: AutoRollback {
                enabled: g.auto_rollback,
                events: if g.auto_rollback { vec!["DEPLOYMENT_FAILURE".into()] } else { Vec::new() },
            },
            deployment_config: "CodeDeployDefault.AllAtOnce".into(),
        };
        let mut world = Self {
            now: EPOCH,
            rng,
            scenario: scenario.clone(),
            group,
            lb,
            asgs: Vec::new(),
            instances: Vec::new(),
            registrations: Vec::new(),
            deployments: Vec::new(),
            revisions: Vec::new(),
            revision_base: 0,
            current_revision: 0,
            user_deployments: 0,
            events: Vec::new(),
            reported_health: HashMap::new(),
        };
        world.register_revision(EPOCH - Duration::from_secs(86_400));
        world.register_revision(EPOCH - Duration::from_secs(600));
        world.seed_blue();
        world.events.clear();
        world
    }

    /// Builds the original group: N instances in service, v1 installed,
    /// healthy behind the load balancer.
    fn seed_blue(&mut self) {
        let name = self.scenario.group.asg.clone();
        let n = self.scenario.group.instances;
        self.create_asg(&name, (n, n, n), EPOCH - Duration::from_secs(3600));
        for _ in 0..n {
            let id = self.launch(&name, None);
            let inst = self.inst_mut(&id).expect("just launched");
            inst.lifecycle = Lifecycle::InService;
            inst.due = None;
            inst.version = Some("v1".into());
            inst.in_service_at = Some(EPOCH - Duration::from_secs(3000));
        }
        let lb_ref = self.lb_ref();
        self.attach(&name, &lb_ref);
        for r in &mut self.registrations {
            r.make_healthy();
        }
    }

    /// The scenario this world plays.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The world's clock.
    pub fn now(&self) -> At {
        self.now
    }

    /// Sets the address users reach the load balancer at (the demo's proxy).
    pub fn set_url(&mut self, url: String) {
        self.lb.url = url;
    }

    /// Moves the world's clock forward to `now`, one second at a time.
    pub fn advance(&mut self, now: At) {
        while self.now < now {
            self.now = (self.now + Duration::from_secs(1)).min(now);
            self.settle();
        }
    }

    /// Records the result of a real health check of an instance; the next
    /// scheduled check of its target uses it.
    pub fn report_health(&mut self, instance_id: &str, passes: bool) {
        self.reported_health.insert(instance_id.to_string(), passes);
    }

    /// Takes the events that happened since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn emit(&mut self, tag: Tag, text: String) {
        self.events.push(Event { at: self.now, tag, text });
    }

    /// Runs every transition that is due, until nothing changes.
    fn settle(&mut self) {
        for _ in 0..64 {
            let mut changed = self.tick_instances();
            changed |= self.tick_targets();
            changed |= self.tick_deployments();
            if !changed {
                break;
            }
        }
    }

    /// What the network face needs: every instance that exists.
    pub fn instances(&self) -> Vec<InstanceView> {
        self.instances
            .iter()
            .map(|i| {
                let reg = self.registration(&i.id);
                InstanceView {
                    id: i.id.clone(),
                    ip: i.ip.clone(),
                    up: i.lifecycle == Lifecycle::InService,
                    version: i.version.clone(),
                    fails_until: match (i.fault_503, i.in_service_at) {
                        (Some(secs), Some(at)) => Some(at + Duration::from_secs(secs)),
                        _ => None,
                    },
                    route: match reg {
                        None => Route::Unregistered,
                        Some(r) if r.draining() => Route::Draining,
                        Some(r) if r.routable() => Route::Serving,
                        Some(_) => Route::Checking,
                    },
                }
            })
            .collect()
    }

    /// The world as the console sees it.
    pub fn observe(&self) -> Observation {
        let environments = self.asgs.iter().map(|a| self.environment(a)).collect();
        let mut deployments = self.deployments.iter().rev().map(|d| self.deployment_view(d));
        let latest = deployments.next();
        let (active, last) = match latest {
            Some(d) if d.is_active() => (Some(d), deployments.find(|d| !d.is_active())),
            other => (None, other),
        };
        let rolled_back = active
            .as_ref()
            .or(last.as_ref())
            .and_then(|d| d.rollback.as_ref()?.triggering_deployment_id.clone())
            .and_then(|id| self.deployments.iter().find(|d| d.info.id == id))
            .map(|d| self.deployment_view(d));
        Observation {
            at: self.now,
            rolled_back,
            region: self.scenario.group.region.clone(),
            group: self.group.clone(),
            environments,
            active,
            last,
            revisions: self.revisions.iter().rev().cloned().collect(),
            load_balancer: self.lb.clone(),
        }
    }

    /// Every deployment so far, oldest first (what `ListDeployments` plus
    /// `BatchGetDeployments` would give).
    pub fn history(&self) -> Vec<Deployment> {
        self.deployments.iter().map(|d| self.deployment_view(d)).collect()
    }

    fn environment(&self, asg: &Asg) -> Environment {
        let instances = self
            .instances
            .iter()
            .filter(|i| i.asg == asg.name)
            .map(|i| Instance {
                id: i.id.clone(),
                private_ip: Some(i.ip.clone()),
                zone: Some(i.zone.clone()),
                lifecycle: i.lifecycle.clone(),
                health: Health::Healthy,
                target: self
                    .registration(&i.id)
                    .map(|r| TargetHealth { state: r.state.clone(), reason: r.reason.clone() }),
                version: i.version.clone(),
            })
            .collect();
        Environment {
            asg: asg.name.clone(),
            min: asg.capacity.0,
            desired: asg.capacity.1,
            max: asg.capacity.2,
            target_groups: asg.target_groups.clone(),
            classic_load_balancers: asg.classic.clone(),
            instances,
            created_at: Some(asg.created_at),
            owner: (asg.name == self.scenario.group.asg)
                .then(|| self.scenario.group.stack.as_ref().map(|s| format!("CloudFormation stack {s}")))
                .flatten(),
        }
    }

    fn deployment_view(&self, d: &flow::Dep) -> Deployment {
        d.view(&self.scenario)
    }

    /// Revision number `n` (0 is `v1`), while it is kept.
    pub(crate) fn revision(&self, n: usize) -> &Revision {
        &self.revisions[n - self.revision_base]
    }

    /// How many revisions were ever registered.
    pub(crate) fn revision_count(&self) -> usize {
        self.revision_base + self.revisions.len()
    }

    /// Forgets the oldest finished deployments and the oldest revisions no
    /// deployment refers to, so that a demo going round for days keeps a
    /// bounded world.
    pub(crate) fn forget_old(&mut self) {
        while self.deployments.len() > KEEP {
            let Some(oldest) = self.deployments.iter().position(|d| !d.info.is_active()) else { break };
            self.deployments.remove(oldest);
        }
        let referenced = self.deployments.iter().map(|d| d.revision).chain([self.current_revision]).min().unwrap_or(0);
        while self.revisions.len() > KEEP && self.revision_base < referenced {
            self.revisions.remove(0);
            self.revision_base += 1;
        }
    }

    fn register_revision(&mut self, at: At) {
        let n = self.revision_count() + 1;
        let app = self.group.application.clone();
        self.revisions.push(Revision {
            label: format!("v{n}"),
            bucket: format!("{app}-bucket"),
            key: format!("{app}/newversion-v{n}.zip"),
            bundle: "zip".into(),
            version: None,
            etag: None,
            registered_at: Some(at),
            description: Some(format!("application version {n}")),
            stored: crate::domain::Stored::Same,
        });
        let overwritten = self.scenario.faults.iter().any(|f| matches!(f, scenario::Fault::BundleOverwritten));
        if overwritten && n == 2 {
            let r = self.revisions.last_mut().expect("just registered");
            r.etag = Some("5d41402abc4b2a76b9719d911017c592".into());
            r.stored = crate::domain::Stored::Overwritten { etag: "7215ee9c7d9dc229d2921a40e899ec5f".into() };
        }
    }

    fn create_asg(&mut self, name: &str, capacity: (u32, u32, u32), at: At) {
        self.asgs.push(Asg {
            name: name.to_string(),
            capacity,
            target_groups: Vec::new(),
            classic: Vec::new(),
            created_at: at,
        });
    }

    /// Launches one instance into `asg`; it becomes InService after the
    /// scenario's launch time.
    fn launch(&mut self, asg: &str, fault_503: Option<u64>) -> String {
        let id = format!("i-0{}", self.rng.word(b"0123456789abcdef", 16));
        let zone_n = self.instances.len() % 2;
        // Each zone has a /20 (16 × 247 usable addresses here); a random
        // pick that is taken is retried, then the first free one is used.
        let subnet = 16 * zone_n as u64;
        let taken = |ip: &str| self.instances.iter().any(|i| i.ip == ip);
        let mut pick = None;
        for _ in 0..64 {
            let ip = format!("10.200.{}.{}", subnet + self.rng.between(0, 15), self.rng.between(4, 250));
            if !taken(&ip) {
                pick = Some(ip);
                break;
            }
        }
        let ip = pick
            .or_else(|| {
                (0..16u64)
                    .flat_map(|c| (4..=250u64).map(move |d| format!("10.200.{}.{d}", subnet + c)))
                    .find(|ip| !taken(ip))
            })
            .unwrap_or_else(|| format!("10.201.{}.{}", self.instances.len() / 256, self.instances.len() % 256));
        let [lo, hi] = self.scenario.timing.launch_seconds;
        let due = self.now + Duration::from_secs(self.rng.between(lo, hi));
        self.instances.push(Inst {
            id: id.clone(),
            ip,
            zone: format!("{}{}", self.scenario.group.region, ["a", "b"][zone_n]),
            asg: asg.to_string(),
            lifecycle: Lifecycle::Pending,
            due: Some(due),
            version: None,
            fault_503,
            in_service_at: None,
        });
        id
    }

    fn inst(&self, id: &str) -> Option<&Inst> {
        self.instances.iter().find(|i| i.id == id)
    }

    fn inst_mut(&mut self, id: &str) -> Option<&mut Inst> {
        self.instances.iter_mut().find(|i| i.id == id)
    }

    fn asg(&self, name: &str) -> Option<&Asg> {
        self.asgs.iter().find(|a| a.name == name)
    }

    fn asg_mut(&mut self, name: &str) -> Option<&mut Asg> {
        self.asgs.iter_mut().find(|a| a.name == name)
    }

    fn instance_ids(&self, asg: &str, lifecycle: &Lifecycle) -> Vec<String> {
        self.instances.iter().filter(|i| i.asg == asg && i.lifecycle == *lifecycle).map(|i| i.id.clone()).collect()
    }

    /// Pending instances come into service; terminating ones go away.
    fn tick_instances(&mut self) -> bool {
        let now = self.now;
        let due: Vec<(String, Lifecycle)> = self
            .instances
            .iter()
            .filter(|i| i.due.is_some_and(|d| d <= now))
            .map(|i| (i.id.clone(), i.lifecycle.clone()))
            .collect();
        for (id, lifecycle) in &due {
            if *lifecycle == Lifecycle::Terminating {
                self.instances.retain(|i| i.id != *id);
                self.reported_health.remove(id);
                self.registrations.retain(|r| r.instance_id != *id);
                self.emit(Tag::Terminated, format!("instance {id} terminated"));
                continue;
            }
            let inst = self.inst_mut(id).expect("due instance exists");
            inst.lifecycle = Lifecycle::InService;
            inst.due = None;
            inst.in_service_at = Some(now);
            let asg = inst.asg.clone();
            self.emit(Tag::InService, format!("instance {id} of {asg} is InService"));
            let lb_ref = self.lb_ref();
            if self.asg(&asg).is_some_and(|a| a.target_groups.contains(&lb_ref) || a.classic.contains(&lb_ref)) {
                self.register(id);
            }
        }
        !due.is_empty()
    }

    /// Starts terminating instances (they vanish after the scenario's termination time).
    fn terminate(&mut self, ids: &[String]) {
        let due = self.now + Duration::from_secs(self.scenario.timing.termination_seconds);
        for id in ids {
            if let Some(inst) = self.inst_mut(id) {
                inst.lifecycle = Lifecycle::Terminating;
                inst.due = Some(due);
            }
            self.registrations.retain(|r| r.instance_id != *id);
        }
    }
}
