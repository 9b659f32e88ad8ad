//! A scripted CodeDeploy endpoint of the tests' own, for what moto lacks
//! (its GetDeploymentGroup drops the group's Auto Scaling groups; it has no
//! deployment lifecycle and no deployment targets). It speaks CodeDeploy's
//! JSON 1.1 protocol as the API model describes it, plays a blue/green
//! deployment Created → InProgress → (Ready →) Succeeded in a few seconds,
//! and drives moto as CodeDeploy would: it copies the Auto Scaling group,
//! attaches the load balancer to the copy, detaches it from the original
//! and points the deployment group at the copy.
//!
//! It can also start with no application (for `tutorial up`): then it plays
//! CreateApplication, CreateDeploymentGroup and their deletions, and learns
//! the moto environment to drive once the stack that holds it exists.
//!
//! Faults can be scripted: throttle an operation, hold its answer, fail a
//! hook. Every request is logged by operation name.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bluegreen::domain::Hook;
use bluegreen::net::{Body, respond, serve};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::env::Env;

/// How the deployment group deploys.
#[derive(Debug, Clone)]
pub struct GroupSettings {
    pub application: String,
    pub group: String,
    /// Wait in Ready for ContinueDeployment (STOP_DEPLOYMENT), or go on.
    pub manual: bool,
    /// Seconds each lifecycle hook takes.
    pub hook_seconds: f64,
    /// TERMINATE the originals after this many minutes (else KEEP_ALIVE).
    pub terminate_minutes: Option<u32>,
}

impl GroupSettings {
    pub fn tutorial(manual: bool) -> Self {
        Self {
            application: "bluegreen-app".into(),
            group: "bluegreen-dg".into(),
            manual,
            hook_seconds: 0.15,
            terminate_minutes: None,
        }
    }
}

#[derive(Debug, Clone)]
struct Event {
    hook: Hook,
    status: &'static str,
    start: Option<f64>,
    end: Option<f64>,
    diagnostics: Option<Value>,
}

#[derive(Debug, Clone)]
struct Target {
    id: String,
    label: &'static str,
    status: &'static str,
    events: Vec<Event>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Created,
    /// moto is copying the group.
    Copying,
    Installing,
    Ready,
    AllowTraffic,
    BlockTraffic,
    /// The originals wait for termination (TERMINATE with a wait).
    TerminationWait,
    Done,
}

#[derive(Debug, Clone)]
struct Deployment {
    id: String,
    status: &'static str,
    phase: Phase,
    since: Instant,
    created: f64,
    completed: Option<f64>,
    revision: Value,
    previous: Option<Value>,
    original: String,
    replacement: Option<String>,
    targets: Vec<Target>,
    error: Option<Value>,
    termination_started: bool,
}

/// A scripted fault: the next `times` requests of `operation`.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer `ThrottlingException` (nothing is done).
    Throttle { operation: String, times: u32 },
    /// Hold the answer this long (the request is carried out first).
    Hold { operation: String, times: u32, hold: Duration },
    /// Fail this hook on the first green instance, with a log tail.
    FailHook { hook: Hook, log_tail: String },
}

#[derive(Debug)]
struct State {
    settings: GroupSettings,
    /// The deployment group's Auto Scaling groups.
    asgs: Vec<String>,
    target_groups: Vec<String>,
    elbs: Vec<String>,
    /// Registered revisions' locations, newest first.
    revisions: Vec<Value>,
    /// Each registered location's description and registration time.
    registered: Vec<(Value, String, f64)>,
    deployments: Vec<Deployment>,
    /// Whether the application and the deployment group exist.
    app_exists: bool,
    group_exists: bool,
    app_tags: Value,
    service_role: String,
    /// The CreateDeploymentGroup request, as sent.
    created_group: Option<Value>,
    faults: Vec<Fault>,
    /// Every request, by operation name, in order.
    calls: Vec<String>,
    ids: u64,
    /// The environment in moto (none until a tutorial's stack gives it).
    env: Option<Env>,
    /// Work for moto, done outside the lock.
    todo: VecDeque<Work>,
    /// Other applications and groups, served as they are (for the fleet).
    catalogue: Catalogue,
}

/// Applications and deployment groups the endpoint serves beside the one it
/// plays, as they stand (nothing moves): the fleet's reads page and batch
/// through them as through AWS's.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub groups: Vec<Listed>,
    /// Names a list's page holds (AWS: 100); 0 for 100.
    pub page: usize,
}

impl Catalogue {
    fn page_size(&self) -> usize {
        if self.page == 0 { 100 } else { self.page }
    }
}

/// One deployment group of the catalogue.
#[derive(Debug, Clone)]
pub struct Listed {
    pub application: String,
    pub group: String,
    /// `copy`, `discover` or `in-place`.
    pub style: &'static str,
    pub asgs: Vec<String>,
    /// A target group's name, or (`classic`) a classic load balancer's.
    pub lb: Option<(bool, String)>,
    /// The latest deployment: id, status, created (seconds since the epoch).
    pub latest: Option<(String, &'static str, f64)>,
}

impl Listed {
    pub fn new(application: &str, group: &str, style: &'static str) -> Self {
        Self {
            application: application.into(),
            group: group.into(),
            style,
            asgs: vec![format!("{group}-asg")],
            lb: Some((false, format!("{group}-tg"))),
            latest: None,
        }
    }

    #[must_use]
    pub fn latest(mut self, id: &str, status: &'static str, created: f64) -> Self {
        self.latest = Some((id.into(), status, created));
        self
    }

    fn blue_green(&self) -> Value {
        let action = if self.style == "discover" { "DISCOVER_EXISTING" } else { "COPY_AUTO_SCALING_GROUP" };
        json!({
            "greenFleetProvisioningOption": {"action": action},
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 30},
        })
    }

    fn style_json(&self) -> Value {
        if self.style == "in-place" {
            json!({"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"})
        } else {
            json!({"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"})
        }
    }

    fn info(&self) -> Value {
        let mut info = json!({
            "applicationName": self.application,
            "deploymentGroupName": self.group,
            "deploymentConfigName": "CodeDeployDefault.AllAtOnce",
            "autoScalingGroups": self.asgs.iter().map(|a| json!({"name": a})).collect::<Vec<_>>(),
            "deploymentStyle": self.style_json(),
        });
        if self.style != "in-place" {
            info["blueGreenDeploymentConfiguration"] = self.blue_green();
        }
        match &self.lb {
            Some((false, tg)) => info["loadBalancerInfo"] = json!({"targetGroupInfoList": [{"name": tg}]}),
            Some((true, elb)) => info["loadBalancerInfo"] = json!({"elbInfoList": [{"name": elb}]}),
            None => {}
        }
        if let Some((id, status, created)) = &self.latest {
            let mut last = json!({"deploymentId": id, "status": status, "createTime": created});
            if ["Succeeded", "Failed", "Stopped"].contains(status) {
                last["endTime"] = json!(created + 300.0);
            }
            info["lastAttemptedDeployment"] = last;
        }
        info
    }

    fn deployment(&self) -> Option<Value> {
        let (id, status, created) = self.latest.as_ref()?;
        let mut d = json!({
            "applicationName": self.application,
            "deploymentGroupName": self.group,
            "deploymentId": id,
            "status": status,
            "creator": "user",
            "createTime": created,
            "startTime": created + 5.0,
            "deploymentStyle": self.style_json(),
            "deploymentOverview": {"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0, "Ready": 0},
            "targetInstances": {"autoScalingGroups": [format!("CodeDeploy_{}_{id}", self.group)]},
        });
        if self.style != "in-place" {
            d["blueGreenDeploymentConfiguration"] = self.blue_green();
        }
        if ["Succeeded", "Failed", "Stopped"].contains(status) {
            d["completeTime"] = json!(created + 300.0);
        }
        if *status == "Failed" {
            d["errorInformation"] = json!({"code": "HEALTH_CONSTRAINTS", "message": "too many instances failed"});
        }
        Some(d)
    }
}

/// A page of `items` from `input`'s `nextToken` (an index), and the next token.
fn page_of<T: Clone>(items: &[T], input: &Value, size: usize) -> (Vec<T>, Option<String>) {
    let start: usize = input.get("nextToken").and_then(Value::as_str).and_then(|t| t.parse().ok()).unwrap_or(0);
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    (items.get(start..end).unwrap_or_default().to_vec(), next)
}

#[derive(Debug, Clone)]
enum Work {
    Copy {
        deployment: String,
        from: String,
        to: String,
    },
    Attach {
        asg: String,
    },
    Detach {
        asg: String,
    },
    /// Terminate the originals: their group goes, instances and all.
    Terminate {
        asg: String,
    },
}

/// The running endpoint.
#[derive(Debug, Clone)]
pub struct FakeCodeDeploy {
    pub url: String,
    state: Arc<Mutex<State>>,
}

fn now_secs() -> f64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs_f64()
}

impl FakeCodeDeploy {
    /// Starts serving on 127.0.0.1 for the environment `env` built in moto,
    /// with the revisions `v1` (deployed) and `v2` registered.
    pub async fn start(env: Env, settings: GroupSettings) -> Self {
        let revision = |n: u32| json!({"revisionType": "S3", "s3Location": {"bucket": "bluegreen-bucket", "key": format!("app/newversion-v{n}.zip"), "bundleType": "zip"}});
        let state = State {
            asgs: vec![env.asg.clone()],
            target_groups: env.target_group.iter().map(|(n, _)| n.clone()).collect(),
            elbs: env.classic.iter().cloned().collect(),
            revisions: vec![revision(2), revision(1)],
            registered: vec![
                (revision(2), "application version 2".into(), now_secs() - 600.0),
                (revision(1), "application version 1".into(), now_secs() - 3600.0),
            ],
            deployments: Vec::new(),
            app_exists: true,
            group_exists: true,
            app_tags: json!([]),
            service_role: "arn:aws:iam::123456789012:role/CodeDeployServiceRole".into(),
            created_group: None,
            faults: Vec::new(),
            calls: Vec::new(),
            ids: 0,
            settings,
            env: Some(env),
            todo: VecDeque::new(),
            catalogue: Catalogue::default(),
        };
        Self::serve(state).await
    }

    /// Starts serving with no application, no group and no revision, as an
    /// account before `tutorial up`; hooks take `hook_seconds`.
    pub async fn empty(hook_seconds: f64) -> Self {
        let state = State {
            asgs: Vec::new(),
            target_groups: Vec::new(),
            elbs: Vec::new(),
            revisions: Vec::new(),
            registered: Vec::new(),
            deployments: Vec::new(),
            app_exists: false,
            group_exists: false,
            app_tags: json!([]),
            service_role: String::new(),
            created_group: None,
            faults: Vec::new(),
            calls: Vec::new(),
            ids: 0,
            settings: GroupSettings {
                application: String::new(),
                group: String::new(),
                manual: true,
                hook_seconds,
                terminate_minutes: None,
            },
            env: None,
            todo: VecDeque::new(),
            catalogue: Catalogue::default(),
        };
        Self::serve(state).await
    }

    async fn serve(state: State) -> Self {
        let state = Arc::new(Mutex::new(state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let handler_state = state.clone();
        let handler = move |req: Request<Incoming>, _peer| {
            let state = handler_state.clone();
            async move { answer(state, req).await }
        };
        // The endpoint serves until the test process ends.
        let (stop, stop_rx) = oneshot::channel::<()>();
        std::mem::forget(stop);
        tokio::spawn(serve(listener, handler, stop_rx, Duration::from_secs(1)));
        tokio::spawn(play(state.clone()));
        Self { url: format!("http://{addr}"), state }
    }

    /// Serves these applications and groups too.
    pub fn catalogue(&self, catalogue: Catalogue) {
        self.state.lock().unwrap().catalogue = catalogue;
    }

    pub fn fault(&self, fault: Fault) {
        self.state.lock().unwrap().faults.push(fault);
    }

    /// The operations received so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }

    /// How many times `operation` was received.
    pub fn count(&self, operation: &str) -> usize {
        self.calls().iter().filter(|c| *c == operation).count()
    }

    /// The registered revisions, newest first: (location, description).
    pub fn registered(&self) -> Vec<(Value, String)> {
        self.state.lock().unwrap().registered.iter().map(|(l, d, _)| (l.clone(), d.clone())).collect()
    }

    /// The moto environment to drive from now on (a tutorial's stack).
    pub fn use_env(&self, env: Env) {
        self.state.lock().unwrap().env = Some(env);
    }

    /// The CreateDeploymentGroup request received, if any.
    pub fn created_group(&self) -> Option<Value> {
        self.state.lock().unwrap().created_group.clone()
    }

    /// Whether the application and the group exist.
    pub fn exists(&self) -> (bool, bool) {
        let s = self.state.lock().unwrap();
        (s.app_exists, s.group_exists)
    }

    /// The deployment group's Auto Scaling groups now.
    pub fn group_asgs(&self) -> Vec<String> {
        self.state.lock().unwrap().asgs.clone()
    }
}

/// Moves deployments along in the background, and does moto's share.
async fn play(state: Arc<Mutex<State>>) {
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (work, env) = {
            let mut s = state.lock().unwrap();
            advance(&mut s);
            let Some(env) = s.env.clone() else { continue };
            (s.todo.pop_front(), env)
        };
        let Some(work) = work else { continue };
        match work {
            Work::Copy { deployment, from, to } => {
                let blue = env.instance_ids(&from).await;
                let ids = env.copy_group(&from, &to).await;
                let mut s = state.lock().unwrap();
                let hook = s.faults.iter().find_map(|f| match f {
                    Fault::FailHook { hook, log_tail } => Some((hook.clone(), log_tail.clone())),
                    _ => None,
                });
                if let Some(d) = s.deployments.iter_mut().find(|d| d.id == deployment) {
                    for b in blue {
                        d.targets.push(Target {
                            id: b,
                            label: "Blue",
                            status: "Pending",
                            events: Hook::BLOCK.iter().map(event).collect(),
                        });
                    }
                    for (n, id) in ids.iter().enumerate() {
                        let mut events: Vec<Event> = Hook::INSTALL.iter().chain(Hook::ALLOW).map(event).collect();
                        if let Some((h, tail)) = hook.as_ref().filter(|_| n == 0)
                            && let Some(e) = events.iter_mut().find(|e| e.hook == *h)
                        {
                            e.diagnostics = Some(
                                json!({"errorCode": "ScriptFailed", "scriptName": format!("scripts/{h}.sh"), "message": "Script at specified location run as user root failed with exit code 1", "logTail": tail}),
                            );
                        }
                        d.targets.push(Target { id: id.clone(), label: "Green", status: "Pending", events });
                    }
                    d.phase = Phase::Installing;
                    d.since = Instant::now();
                }
            }
            Work::Attach { asg } => env.attach(&asg).await,
            Work::Detach { asg } => env.detach(&asg).await,
            Work::Terminate { asg } => env.delete_group(&asg).await,
        }
    }
}

fn event(hook: &Hook) -> Event {
    Event { hook: hook.clone(), status: "Pending", start: None, end: None, diagnostics: None }
}

/// One step of every deployment, by the clock.
fn advance(s: &mut State) {
    let hook_time = Duration::from_secs_f64(s.settings.hook_seconds);
    let manual = s.settings.manual;
    let terminate = s.settings.terminate_minutes;
    let mut todo = Vec::new();
    let mut new_asgs = None;
    for d in &mut s.deployments {
        if d.since.elapsed() < hook_time {
            continue;
        }
        match d.phase {
            Phase::Created => {
                d.status = "InProgress";
                let green = format!("CodeDeploy_{}_{}", s.settings.group, d.id);
                d.replacement = Some(green.clone());
                todo.push(Work::Copy { deployment: d.id.clone(), from: d.original.clone(), to: green });
                d.phase = Phase::Copying;
            }
            Phase::Installing => {
                if step(d, Hook::INSTALL, "Green") {
                    if d.status == "Failed" {
                        continue;
                    }
                    if manual {
                        d.phase = Phase::Ready;
                        d.status = "Ready";
                        for t in d.targets.iter_mut().filter(|t| t.label == "Green") {
                            t.status = "Ready";
                        }
                    } else {
                        d.phase = Phase::AllowTraffic;
                        todo.push(Work::Attach { asg: d.replacement.clone().unwrap() });
                    }
                }
                d.since = Instant::now();
            }
            Phase::AllowTraffic => {
                if step(d, Hook::ALLOW, "Green") {
                    d.phase = Phase::BlockTraffic;
                    todo.push(Work::Detach { asg: d.original.clone() });
                }
                d.since = Instant::now();
            }
            Phase::BlockTraffic => {
                if step(d, Hook::BLOCK, "Blue") {
                    if terminate.is_some() {
                        d.phase = Phase::TerminationWait;
                        d.termination_started = true;
                    } else {
                        succeed(d);
                        new_asgs.clone_from(&d.replacement);
                    }
                }
                d.since = Instant::now();
            }
            Phase::Copying | Phase::Ready | Phase::TerminationWait | Phase::Done => {}
        }
    }
    if let Some(green) = new_asgs {
        s.asgs = vec![green];
    }
    s.todo.extend(todo);
}

/// The deployment ends well.
fn succeed(d: &mut Deployment) {
    d.phase = Phase::Done;
    d.status = "Succeeded";
    d.completed = Some(now_secs());
    for t in &mut d.targets {
        t.status = "Succeeded";
    }
}

/// The group's (and so each deployment's) blue/green settings.
fn blue_green(settings: &GroupSettings) -> Value {
    let terminate = match settings.terminate_minutes {
        Some(m) => json!({"action": "TERMINATE", "terminationWaitTimeInMinutes": m}),
        None => json!({"action": "KEEP_ALIVE", "terminationWaitTimeInMinutes": 0}),
    };
    json!({
        "terminateBlueInstancesOnDeploymentSuccess": terminate,
        "deploymentReadyOption": {"actionOnTimeout": if settings.manual { "STOP_DEPLOYMENT" } else { "CONTINUE_DEPLOYMENT" }, "waitTimeInMinutes": if settings.manual { 60 } else { 0 }},
        "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"}
    })
}

/// Moves one hook on each target with `label`; `true` when all are done.
fn step(d: &mut Deployment, hooks: &[Hook], label: &str) -> bool {
    let now = now_secs();
    let mut all_done = true;
    let mut failed = false;
    for t in d.targets.iter_mut().filter(|t| t.label == label) {
        let Some(e) = t.events.iter_mut().find(|e| hooks.contains(&e.hook) && e.status != "Succeeded") else {
            continue;
        };
        all_done = false;
        t.status = "InProgress";
        if e.status == "Pending" {
            e.status = "InProgress";
            e.start = Some(now);
        } else if e.diagnostics.is_some() {
            e.status = "Failed";
            e.end = Some(now);
            t.status = "Failed";
            failed = true;
        } else {
            e.status = "Succeeded";
            e.end = Some(now);
        }
    }
    if failed {
        d.status = "Failed";
        d.phase = Phase::Done;
        d.completed = Some(now);
        d.error = Some(
            json!({"code": "HOOK_EXECUTION_FAILURE", "message": "The overall deployment failed because too many individual instances failed deployment"}),
        );
        return true;
    }
    all_done
}

/// Whether two revision locations name the same bundle: S3 bucket and
/// key, and the version or ETag when both give one.
fn same_location(a: &Value, b: &Value) -> bool {
    let (a, b) = (&a["s3Location"], &b["s3Location"]);
    let agree = |k: &str| a[k].is_null() || b[k].is_null() || a[k] == b[k];
    a["bucket"] == b["bucket"] && a["key"] == b["key"] && agree("version") && agree("eTag")
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let mut r = respond(status, "application/x-amz-json-1.1", json!({"__type": code, "message": message}).to_string());
    r.headers_mut().insert("x-amzn-requestid", format!("fake-{}", now_secs()).parse().unwrap());
    r
}

#[expect(clippy::needless_pass_by_value, reason = "called with json! values")]
fn ok(body: Value) -> Response<Body> {
    let mut r = respond(StatusCode::OK, "application/x-amz-json-1.1", body.to_string());
    r.headers_mut().insert("x-amzn-requestid", format!("fake-{}", now_secs()).parse().unwrap());
    r
}

async fn answer(state: Arc<Mutex<State>>, req: Request<Incoming>) -> Response<Body> {
    let operation = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix("CodeDeploy_20141006."))
        .unwrap_or("?")
        .to_string();
    let body = req.into_body().collect().await.map(http_body_util::Collected::to_bytes).unwrap_or_default();
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (response, hold) = {
        let mut s = state.lock().unwrap();
        s.calls.push(operation.clone());
        let mut hold = None;
        let mut throttled = false;
        for f in &mut s.faults {
            match f {
                Fault::Throttle { operation: op, times } if *op == operation && *times > 0 => {
                    *times -= 1;
                    throttled = true;
                }
                Fault::Hold { operation: op, times, hold: h } if *op == operation && *times > 0 => {
                    *times -= 1;
                    hold = Some(*h);
                }
                _ => {}
            }
        }
        let response = if throttled {
            error(StatusCode::BAD_REQUEST, "ThrottlingException", "Rate exceeded")
        } else {
            handle(&mut s, &operation, &input)
        };
        (response, hold)
    };
    if let Some(h) = hold {
        tokio::time::sleep(h).await;
    }
    response
}

fn deployment_json(d: &Deployment, s: &State) -> Value {
    let count = |st: &str| d.targets.iter().filter(|t| t.status == st).count();
    let mut v = json!({
        "applicationName": s.settings.application,
        "deploymentGroupName": s.settings.group,
        "deploymentId": d.id,
        "status": d.status,
        "creator": "user",
        "createTime": d.created,
        "revision": d.revision,
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "deploymentOverview": {"Pending": count("Pending"), "InProgress": count("InProgress"), "Succeeded": count("Succeeded"), "Failed": count("Failed"), "Skipped": count("Skipped"), "Ready": count("Ready")},
        "instanceTerminationWaitTimeStarted": d.termination_started,
        "blueGreenDeploymentConfiguration": blue_green(&s.settings),
    });
    if let Some(p) = &d.previous {
        v["previousRevision"] = p.clone();
    }
    if let Some(r) = &d.replacement {
        v["targetInstances"] = json!({"autoScalingGroups": [r]});
    }
    if let Some(c) = d.completed {
        v["completeTime"] = json!(c);
    }
    if let Some(e) = &d.error {
        v["errorInformation"] = e.clone();
    }
    v
}

fn target_json(d: &Deployment, t: &Target) -> Value {
    let events: Vec<Value> = t
        .events
        .iter()
        .map(|e| {
            let mut v = json!({"lifecycleEventName": e.hook.as_str(), "status": e.status});
            if let Some(x) = e.start {
                v["startTime"] = json!(x);
            }
            if let Some(x) = e.end {
                v["endTime"] = json!(x);
            }
            if let (Some(diag), "Failed") = (&e.diagnostics, e.status) {
                v["diagnostics"] = diag.clone();
            }
            v
        })
        .collect();
    json!({"deploymentTargetType": "InstanceTarget", "instanceTarget": {
        "deploymentId": d.id, "targetId": t.id, "targetArn": format!("arn:aws:ec2:us-east-1:123456789012:instance/{}", t.id),
        "status": t.status, "lastUpdatedAt": now_secs(), "lifecycleEvents": events, "instanceLabel": t.label}})
}

/// The played deployment group, as GetDeploymentGroup and BatchGetDeploymentGroups answer.
fn main_info(s: &State) -> Value {
    let last = s.deployments.iter().rev().find(|d| d.phase == Phase::Done && d.status != "InProgress");
    let mut info = json!({
        "applicationName": s.settings.application,
        "deploymentGroupName": s.settings.group,
        "deploymentConfigName": "CodeDeployDefault.AllAtOnce",
        "serviceRoleArn": s.service_role,
        "autoScalingGroups": s.asgs.iter().map(|a| json!({"name": a})).collect::<Vec<_>>(),
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "blueGreenDeploymentConfiguration": blue_green(&s.settings),
        "loadBalancerInfo": {
            "targetGroupInfoList": s.target_groups.iter().map(|n| json!({"name": n})).collect::<Vec<_>>(),
            "elbInfoList": s.elbs.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()
        },
        "autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE"]},
    });
    if let Some(d) = s.deployments.last() {
        info["lastAttemptedDeployment"] = json!({"deploymentId": d.id, "status": d.status, "createTime": d.created});
    }
    if let Some(d) = last.filter(|d| d.status == "Succeeded") {
        info["lastSuccessfulDeployment"] = json!({"deploymentId": d.id, "status": d.status});
    }
    info
}

#[expect(clippy::too_many_lines, reason = "one arm per operation the endpoint plays")]
fn handle(s: &mut State, operation: &str, input: &Value) -> Response<Body> {
    let app = &s.settings.application;
    let str_of = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    #[expect(clippy::result_large_err, reason = "the error is the answer itself")]
    let check_app = |s: &State| -> Result<(), Response<Body>> {
        let a = str_of("applicationName");
        if a != s.settings.application || !s.app_exists {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "ApplicationDoesNotExistException",
                &format!("No application found for name: {a}"),
            ));
        }
        Ok(())
    };
    match operation {
        "ListApplications" => {
            let mut apps: Vec<String> = if s.app_exists { vec![app.clone()] } else { vec![] };
            for l in &s.catalogue.groups {
                if !apps.contains(&l.application) {
                    apps.push(l.application.clone());
                }
            }
            let (page, next) = page_of(&apps, input, s.catalogue.page_size());
            ok(json!({"applications": page, "nextToken": next}))
        }
        "ListDeploymentGroups" if str_of("applicationName") != *app || !s.app_exists => {
            let wanted = str_of("applicationName");
            let groups: Vec<String> =
                s.catalogue.groups.iter().filter(|l| l.application == wanted).map(|l| l.group.clone()).collect();
            if groups.is_empty() {
                return error(
                    StatusCode::BAD_REQUEST,
                    "ApplicationDoesNotExistException",
                    &format!("No application found for name: {wanted}"),
                );
            }
            let (page, next) = page_of(&groups, input, s.catalogue.page_size());
            ok(json!({"applicationName": wanted, "deploymentGroups": page, "nextToken": next}))
        }
        "BatchGetDeploymentGroups" => {
            let wanted = str_of("applicationName");
            let names: Vec<String> = input["deploymentGroupNames"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                .unwrap_or_default();
            if names.len() > 100 {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BatchLimitExceededException",
                    "The maximum number of names or IDs allowed for this request (100) was exceeded.",
                );
            }
            let mut infos = Vec::new();
            for name in &names {
                if wanted == *app && *name == s.settings.group && s.group_exists {
                    infos.push(main_info(s));
                } else if let Some(l) = s.catalogue.groups.iter().find(|l| l.application == wanted && l.group == *name)
                {
                    infos.push(l.info());
                }
            }
            ok(json!({"deploymentGroupsInfo": infos, "errorMessage": ""}))
        }
        "ListDeploymentGroups" => {
            if let Err(e) = check_app(s) {
                return e;
            }
            let groups = if s.group_exists { vec![&s.settings.group] } else { vec![] };
            ok(json!({"applicationName": app, "deploymentGroups": groups}))
        }
        "GetApplication" => {
            if let Err(e) = check_app(s) {
                return e;
            }
            ok(json!({"application": {"applicationName": app, "computePlatform": "Server"}}))
        }
        "CreateApplication" => {
            if s.app_exists {
                return error(StatusCode::BAD_REQUEST, "ApplicationAlreadyExistsException", "exists");
            }
            s.settings.application = str_of("applicationName");
            s.app_exists = true;
            s.app_tags = input.get("tags").cloned().unwrap_or(json!([]));
            ok(json!({"applicationId": "00000000-tutorial"}))
        }
        "ListTagsForResource" => {
            let arn = str_of("ResourceArn");
            if !s.app_exists || !arn.ends_with(&format!(":application:{app}")) {
                return error(StatusCode::BAD_REQUEST, "ResourceArnRequiredException", "unknown resource");
            }
            ok(json!({"Tags": s.app_tags}))
        }
        "DeleteApplication" => {
            if !s.app_exists || str_of("applicationName") != *app {
                return ok(json!({}));
            }
            s.app_exists = false;
            s.group_exists = false;
            ok(json!({}))
        }
        "CreateDeploymentGroup" => {
            if let Err(e) = check_app(s) {
                return e;
            }
            if s.group_exists {
                return error(StatusCode::BAD_REQUEST, "DeploymentGroupAlreadyExistsException", "exists");
            }
            let names = |list: &str| -> Vec<String> {
                input["loadBalancerInfo"][list]
                    .as_array()
                    .map(|a| a.iter().filter_map(|t| t["name"].as_str().map(String::from)).collect())
                    .unwrap_or_default()
            };
            s.settings.group = str_of("deploymentGroupName");
            s.settings.manual = input["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]["actionOnTimeout"]
                == "STOP_DEPLOYMENT";
            s.asgs = input["autoScalingGroups"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                .unwrap_or_default();
            s.target_groups = names("targetGroupInfoList");
            s.elbs = names("elbInfoList");
            s.service_role = str_of("serviceRoleArn");
            s.created_group = Some(input.clone());
            s.group_exists = true;
            ok(json!({"deploymentGroupId": "00000000-group"}))
        }
        "DeleteDeploymentGroup" => {
            if let Err(e) = check_app(s) {
                return e;
            }
            if str_of("deploymentGroupName") == s.settings.group {
                s.group_exists = false;
            }
            ok(json!({"hooksNotCleanedUp": []}))
        }
        "GetApplicationRevision" => {
            if let Err(e) = check_app(s) {
                return e;
            }
            let wanted = input.get("revision").cloned().unwrap_or(Value::Null);
            match s.registered.iter().find(|(l, _, _)| same_location(l, &wanted)) {
                Some((l, description, at)) => ok(
                    json!({"applicationName": app, "revision": l, "revisionInfo": {"description": description, "registerTime": at}}),
                ),
                None => error(StatusCode::BAD_REQUEST, "RevisionDoesNotExistException", "no such revision"),
            }
        }
        "GetDeploymentGroup" => {
            if let Err(e) = check_app(s) {
                return e;
            }
            if str_of("deploymentGroupName") != s.settings.group || !s.group_exists {
                return error(
                    StatusCode::BAD_REQUEST,
                    "DeploymentGroupDoesNotExistException",
                    "No Deployment Group found",
                );
            }
            ok(json!({"deploymentGroupInfo": main_info(s)}))
        }
        "ListDeployments" => {
            let statuses: Vec<String> = input
                .get("includeOnlyStatuses")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                .unwrap_or_default();
            let mut ids: Vec<String> = s
                .deployments
                .iter()
                .rev()
                .filter(|d| statuses.is_empty() || statuses.iter().any(|st| st == d.status))
                .map(|d| d.id.clone())
                .collect();
            if input.get("applicationName").is_none() {
                // The region's: the catalogue's too.
                ids.extend(
                    s.catalogue
                        .groups
                        .iter()
                        .filter_map(|l| l.latest.as_ref())
                        .filter(|(_, st, _)| statuses.is_empty() || statuses.iter().any(|x| x == st))
                        .map(|(id, _, _)| id.clone()),
                );
            }
            let (page, next) = page_of(&ids, input, s.catalogue.page_size());
            ok(json!({"deployments": page, "nextToken": next}))
        }
        "BatchGetDeployments" => {
            let ids: Vec<&str> = input
                .get("deploymentIds")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if ids.len() > 25 {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BatchLimitExceededException",
                    "The maximum number of names or IDs allowed for this request (25) was exceeded.",
                );
            }
            let mut infos: Vec<Value> =
                s.deployments.iter().filter(|d| ids.contains(&d.id.as_str())).map(|d| deployment_json(d, s)).collect();
            infos.extend(
                s.catalogue
                    .groups
                    .iter()
                    .filter(|l| l.latest.as_ref().is_some_and(|(id, _, _)| ids.contains(&id.as_str())))
                    .filter_map(Listed::deployment),
            );
            ok(json!({"deploymentsInfo": infos}))
        }
        "ListDeploymentTargets" => {
            let id = str_of("deploymentId");
            match s.deployments.iter().find(|d| d.id == id) {
                Some(d) if d.status == "Created" => {
                    error(StatusCode::BAD_REQUEST, "DeploymentNotStartedException", "The deployment has not started")
                }
                Some(d) => ok(json!({"targetIds": d.targets.iter().map(|t| &t.id).collect::<Vec<_>>()})),
                None => error(
                    StatusCode::BAD_REQUEST,
                    "DeploymentDoesNotExistException",
                    &format!("The deployment {id} could not be found."),
                ),
            }
        }
        "BatchGetDeploymentTargets" => {
            let id = str_of("deploymentId");
            let wanted: Vec<&str> = input
                .get("targetIds")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if wanted.len() > 25 {
                return error(StatusCode::BAD_REQUEST, "InstanceLimitExceededException", "at most 25 targets");
            }
            let Some(d) = s.deployments.iter().find(|d| d.id == id) else {
                return error(StatusCode::BAD_REQUEST, "DeploymentDoesNotExistException", "no such deployment");
            };
            let targets: Vec<Value> =
                d.targets.iter().filter(|t| wanted.contains(&t.id.as_str())).map(|t| target_json(d, t)).collect();
            ok(json!({"deploymentTargets": targets}))
        }
        "ListApplicationRevisions" => {
            if let Err(e) = check_app(s) {
                return e;
            }
            ok(json!({"revisions": s.revisions}))
        }
        "BatchGetApplicationRevisions" => {
            if let Err(e) = check_app(s) {
                return e;
            }
            let wanted = input.get("revisions").and_then(Value::as_array).cloned().unwrap_or_default();
            let found: Vec<Value> = wanted
                .iter()
                .filter_map(|loc| s.registered.iter().find(|(l, _, _)| same_location(l, loc)))
                .map(|(l, description, at)| {
                    json!({"revisionLocation": l, "genericRevisionInfo": {"description": description, "registerTime": at, "deploymentGroups": [s.settings.group]}})
                })
                .collect();
            ok(json!({"applicationName": app, "revisions": found}))
        }
        "RegisterApplicationRevision" => {
            if let Err(e) = check_app(s) {
                return e;
            }
            let Some(location) = input.get("revision").cloned() else {
                return error(StatusCode::BAD_REQUEST, "RevisionRequiredException", "no revision");
            };
            let description = str_of("description");
            s.revisions.retain(|r| !same_location(r, &location));
            s.revisions.insert(0, location.clone());
            s.registered.retain(|(r, _, _)| !same_location(r, &location));
            s.registered.insert(0, (location, description, now_secs()));
            ok(json!({}))
        }
        "CreateDeployment" => {
            if let Err(e) = check_app(s) {
                return e;
            }
            if let Some(active) = s.deployments.iter().find(|d| !matches!(d.status, "Succeeded" | "Failed" | "Stopped"))
            {
                return error(
                    StatusCode::BAD_REQUEST,
                    "DeploymentLimitExceededException",
                    &format!("The Deployment Group already has an active Deployment '{}'", active.id),
                );
            }
            s.ids += 1;
            let id = format!("d-TEST{:05}", s.ids);
            let previous = s
                .deployments
                .iter()
                .rev()
                .find(|d| d.status == "Succeeded")
                .map(|d| d.revision.clone())
                .or_else(|| s.revisions.last().cloned());
            let original = s.asgs.first().cloned().unwrap_or_default();
            s.deployments.push(Deployment {
                id: id.clone(),
                status: "Created",
                phase: Phase::Created,
                since: Instant::now(),
                created: now_secs(),
                completed: None,
                revision: input.get("revision").cloned().unwrap_or(Value::Null),
                previous,
                original,
                replacement: None,
                targets: Vec::new(),
                error: None,
                termination_started: false,
            });
            ok(json!({"deploymentId": id}))
        }
        "ContinueDeployment" => {
            let id = str_of("deploymentId");
            let Some(d) = s.deployments.iter_mut().find(|d| d.id == id) else {
                return error(StatusCode::BAD_REQUEST, "DeploymentDoesNotExistException", "no such deployment");
            };
            if str_of("deploymentWaitType") == "TERMINATION_WAIT" {
                if d.phase != Phase::TerminationWait {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "DeploymentIsNotInReadyStateException",
                        "The deployment is not waiting for the termination of its original instances",
                    );
                }
                succeed(d);
                let (original, green) = (d.original.clone(), d.replacement.clone().unwrap());
                s.asgs = vec![green];
                s.todo.push_back(Work::Terminate { asg: original });
                return ok(json!({}));
            }
            if d.phase != Phase::Ready {
                return error(
                    StatusCode::BAD_REQUEST,
                    "DeploymentIsNotInReadyStateException",
                    "The deployment is not in a ready state",
                );
            }
            d.phase = Phase::AllowTraffic;
            d.status = "InProgress";
            d.since = Instant::now();
            for t in d.targets.iter_mut().filter(|t| t.status == "Ready") {
                t.status = "InProgress";
            }
            let green = d.replacement.clone().unwrap();
            s.todo.push_back(Work::Attach { asg: green });
            ok(json!({}))
        }
        "StopDeployment" => {
            let id = str_of("deploymentId");
            let Some(d) = s.deployments.iter_mut().find(|d| d.id == id) else {
                return error(StatusCode::BAD_REQUEST, "DeploymentDoesNotExistException", "no such deployment");
            };
            if matches!(d.status, "Succeeded" | "Failed" | "Stopped") {
                return error(
                    StatusCode::BAD_REQUEST,
                    "DeploymentAlreadyCompletedException",
                    "The deployment has already completed",
                );
            }
            d.status = "Stopped";
            d.phase = Phase::Done;
            d.completed = Some(now_secs());
            d.error = Some(json!({"code": "MANUAL_STOP", "message": "The deployment was stopped by a user."}));
            ok(json!({"status": "Succeeded", "statusMessage": "stopped"}))
        }
        "UpdateDeploymentGroup" => {
            let asgs: Vec<String> = input
                .get("autoScalingGroups")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                .unwrap_or_default();
            if !asgs.is_empty() {
                s.asgs = asgs;
            }
            ok(json!({"hooksNotCleanedUp": []}))
        }
        other => error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("the scripted endpoint does not know {other}"),
        ),
    }
}
