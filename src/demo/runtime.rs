//! The demo's runtime: one task owns the simulated world, advances it on
//! tokio's clock scaled by the pace, answers calls, health-checks the
//! registered instances for real, and keeps the network face (instance
//! servers and load balancer routes) in step with the world. It sends the
//! whole observation and the new events as one message.

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::instance::{HEALTH_PATH, InstanceServer, Page};
use super::lb::{Backend, LoadBalancer};
use crate::cloud::Feed;
use crate::cloud::sim::port::Request;
use crate::cloud::sim::{InstanceView, SimCloud, World, WorldClock};
use crate::net::{Body, client};

/// What the network face tells the world's task, or asks of it.
enum Order {
    /// A real health check of an instance passed or failed.
    Health(String, bool),
    Addresses(oneshot::Sender<HashMap<String, SocketAddr>>),
    Stop(oneshot::Sender<()>),
}

impl std::fmt::Debug for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Order::Health(..) => "Health",
            Order::Addresses(_) => "Addresses",
            Order::Stop(_) => "Stop",
        })
    }
}

/// The demo's own handle on its running world: where the instances
/// listen, and stopping it all.
#[derive(Debug, Clone)]
pub struct Control {
    tx: mpsc::Sender<Order>,
}

impl Control {
    /// Where each running instance's HTTP server listens on 127.0.0.1.
    pub async fn addresses(&self) -> Option<HashMap<String, SocketAddr>> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Order::Addresses(tx)).await.ok()?;
        rx.await.ok()
    }

    /// Stops the world, its instances and its load balancer; waits until
    /// their ports are closed.
    pub async fn stop(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Order::Stop(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// The running demo world.
#[derive(Debug)]
pub struct Demo {
    /// The world as a cloud, for the console.
    pub cloud: SimCloud,
    pub control: Control,
    /// Observations with the world's events, and network failures.
    pub feed: mpsc::Receiver<Feed>,
    /// Where the load balancer listens.
    pub url: String,
    pub clock: WorldClock,
    pub task: JoinHandle<()>,
}

/// Starts the world at `pace` world seconds per real second, with its load
/// balancer on `listener`.
pub fn start(world: World, pace: f64, listener: TcpListener) -> io::Result<Demo> {
    start_with(world, pace, listener, None)
}

/// [`start`], the load balancer serving HTTPS with this configuration when given.
pub fn start_with(
    mut world: World,
    pace: f64,
    listener: TcpListener,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
) -> io::Result<Demo> {
    let lb = LoadBalancer::start_with(listener, tls)?;
    let url = lb.url();
    world.set_url(url.clone());
    let clock = WorldClock::new(world.now(), pace);
    let (requests_tx, requests) = mpsc::channel(64);
    let (orders_tx, orders) = mpsc::channel(64);
    let (feed_tx, feed) = mpsc::channel(256);
    let cloud = SimCloud::new(requests_tx, clock);
    let mut net = Network { lb, servers: HashMap::new(), clock, problems: Vec::new(), failed: HashSet::new() };
    // The first instances serve and the load balancer routes to them before
    // anyone (the prober first) can ask: no 503 in the very first second.
    net.sync(&world);
    let task = tokio::spawn(play(world, net, requests, orders, orders_tx.clone(), feed_tx));
    Ok(Demo { cloud, control: Control { tx: orders_tx }, feed, url, clock, task })
}

struct Network {
    lb: LoadBalancer,
    servers: HashMap<String, InstanceServer>,
    clock: WorldClock,
    /// Failures of the network face not yet reported.
    problems: Vec<String>,
    /// Instances whose server could not start (reported once, not retried).
    failed: HashSet<String>,
}

impl Network {
    /// Starts servers of instances that came up, updates pages, sets the
    /// routes, then stops servers of instances that went away.
    fn sync(&mut self, world: &World) {
        let views = world.instances();
        for v in views.iter().filter(|v| v.up) {
            let page = Page {
                instance_id: v.id.clone(),
                private_ip: v.ip.clone(),
                version: v.version.clone(),
                fails_until: v.fails_until,
            };
            match self.servers.get(&v.id) {
                Some(server) => server.update(&page),
                None if self.failed.contains(&v.id) => {}
                None => match InstanceServer::start(page, self.clock) {
                    Ok(server) => {
                        self.servers.insert(v.id.clone(), server);
                    }
                    Err(e) => {
                        self.failed.insert(v.id.clone());
                        self.problems.push(format!("instance {} could not start its server: {e}", v.id));
                    }
                },
            }
        }
        let routes = views
            .iter()
            .filter(|v| v.routable())
            .filter_map(|v| self.servers.get(&v.id).map(|s| Backend { instance_id: v.id.clone(), addr: s.addr }))
            .collect();
        self.lb.set_routes(routes);
        let up: Vec<&str> = views.iter().filter(|v| v.up).map(|v| v.id.as_str()).collect();
        self.failed.retain(|id| up.contains(&id.as_str()));
        let down: Vec<String> = self.servers.keys().filter(|id| !up.contains(&id.as_str())).cloned().collect();
        for id in down {
            if let Some(server) = self.servers.remove(&id) {
                drop(server.stop());
            }
        }
    }

    /// Targets to health-check now, with their addresses.
    fn checked(&self, world: &World) -> Vec<(String, SocketAddr)> {
        world
            .instances()
            .into_iter()
            .filter(InstanceView::checked)
            .map(|v| (v.id.clone(), self.servers.get(&v.id).map(|s| s.addr)))
            .filter_map(|(id, addr)| addr.map(|a| (id, a)))
            .collect()
    }

    async fn shut_down(self) {
        let mut tasks = vec![self.lb.stop()];
        tasks.extend(self.servers.into_values().map(InstanceServer::stop));
        for t in tasks {
            let _ = t.await;
        }
    }
}

/// The world's task: advances it, answers requests and orders, checks the
/// registered instances' health for real, and keeps the network in step.
async fn play(
    mut world: World,
    mut net: Network,
    mut requests: mpsc::Receiver<Request>,
    mut orders: mpsc::Receiver<Order>,
    tx: mpsc::Sender<Order>,
    feed: mpsc::Sender<Feed>,
) {
    let clock = net.clock;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let health_every = clock.real(Duration::from_secs(world.scenario().timing.health_interval_seconds)) / 2;
    let mut health = tokio::time::interval(health_every.max(Duration::from_millis(50)));
    health.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let http = client(false);
    let mut last_sent = Instant::now() - Duration::from_secs(10);
    net.sync(&world);
    loop {
        let mut force = false;
        tokio::select! {
            _ = tick.tick() => {}
            _ = health.tick() => {
                for (id, addr) in net.checked(&world) {
                    let tx = tx.clone();
                    let http = http.clone();
                    tokio::spawn(async move {
                        let ok = check(&http, addr).await;
                        let _ = tx.send(Order::Health(id, ok)).await;
                    });
                }
                continue;
            }
            request = requests.recv() => match request {
                Some(Request::Apply(call, reply)) => {
                    world.advance(clock.now());
                    let _ = reply.send(world.apply(&call));
                    force = true;
                }
                Some(Request::Observe(reply)) => {
                    world.advance(clock.now());
                    let _ = reply.send(world.observe());
                }
                None => break,
            },
            order = orders.recv() => match order {
                Some(Order::Addresses(reply)) => {
                    let _ = reply.send(net.servers.iter().map(|(id, s)| (id.clone(), s.addr)).collect());
                    continue;
                }
                Some(Order::Health(id, ok)) => {
                    world.report_health(&id, ok);
                    continue;
                }
                Some(Order::Stop(done)) => {
                    net.shut_down().await;
                    let _ = done.send(());
                    return;
                }
                None => break,
            },
        }
        world.advance(clock.now());
        let events = world.take_events();
        net.sync(&world);
        for text in net.problems.drain(..) {
            if feed.send(Feed::Problem(text)).await.is_err() {
                break;
            }
        }
        if force || !events.is_empty() || last_sent.elapsed() >= Duration::from_secs(1) {
            last_sent = Instant::now();
            let update = Feed::Observed { observation: Box::new(world.observe()), events };
            if feed.send(update).await.is_err() {
                break;
            }
        }
    }
    net.shut_down().await;
}

async fn check(
    http: &hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Body>,
    addr: SocketAddr,
) -> bool {
    let Ok(req) = hyper::Request::get(format!("http://{addr}{HEALTH_PATH}")).body(Body::default()) else {
        return false;
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), http.request(req)).await,
        Ok(Ok(resp)) if resp.status().is_success()
    )
}
