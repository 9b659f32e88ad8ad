//! One simulated EC2 instance as a real HTTP server on 127.0.0.1: it serves
//! the tutorial's page (`<h1>application version: N</h1><h1>instance-id:
//! i-…</h1><h1>local-ipv4: 10.…</h1>`) and a health check path, from the
//! moment it is InService until it terminates (then its port closes).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::cloud::sim::WorldClock;
use crate::domain::At;
use crate::net::{Body, respond, serve};

/// The path the load balancer health-checks.
pub const HEALTH_PATH: &str = "/health";

/// What an instance serves; changes as the world changes (an install sets
/// the version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub instance_id: String,
    pub private_ip: String,
    /// `v2`; `None` until the application is installed.
    pub version: Option<String>,
    /// The page answers 503 until this world time (a scenario's fault); the
    /// health check path is not affected.
    pub fails_until: Option<At>,
}

impl Page {
    /// The tutorial's page, exactly.
    pub fn html(&self) -> Option<String> {
        let version = self.version.as_deref()?;
        let n = version.strip_prefix('v').unwrap_or(version);
        Some(format!(
            "<h1>application version: {n}</h1><h1>instance-id: {}</h1><h1>local-ipv4: {}</h1>",
            self.instance_id, self.private_ip
        ))
    }
}

/// A running instance server.
#[derive(Debug)]
pub struct InstanceServer {
    pub addr: SocketAddr,
    page: watch::Sender<Page>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl InstanceServer {
    /// Binds a free port on 127.0.0.1 and starts serving.
    pub fn start(page: Page, clock: WorldClock) -> io::Result<Self> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let listener = TcpListener::from_std(std_listener)?;
        let (page_tx, page_rx) = watch::channel(page);
        let (stop_tx, stop_rx) = oneshot::channel();
        let handler = move |req: hyper::Request<hyper::body::Incoming>, _peer| {
            let page = page_rx.borrow().clone();
            async move { answer(&page, req.uri(), clock).await }
        };
        let task = tokio::spawn(serve(listener, handler, stop_rx, Duration::from_secs(10)));
        Ok(Self { addr, page: page_tx, stop: Some(stop_tx), task })
    }

    /// Changes what it serves.
    pub fn update(&self, page: &Page) {
        self.page.send_if_modified(|p| {
            let changed = p != page;
            if changed {
                p.clone_from(page);
            }
            changed
        });
    }

    /// Stops accepting (the port closes); requests in flight finish.
    pub fn stop(mut self) -> JoinHandle<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
    }
}

async fn answer(page: &Page, uri: &hyper::Uri, clock: WorldClock) -> hyper::Response<Body> {
    if uri.path() == HEALTH_PATH {
        return match page.version {
            Some(_) => respond(StatusCode::OK, "text/plain", "OK"),
            None => respond(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "application not installed"),
        };
    }
    if uri.path() != "/" && uri.path() != "/index.php" {
        return respond(StatusCode::NOT_FOUND, "text/plain", "not found");
    }
    if let Some(ms) = uri.query().and_then(|q| q.strip_prefix("delay_ms=")).and_then(|v| v.parse::<u64>().ok()) {
        tokio::time::sleep(Duration::from_millis(ms.min(5000))).await;
    }
    if page.fails_until.is_some_and(|t| clock.now() < t) {
        return respond(StatusCode::SERVICE_UNAVAILABLE, "text/html", "<h1>503 Service Unavailable</h1>");
    }
    match page.html() {
        Some(html) => respond(StatusCode::OK, "text/html", html),
        None => respond(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "application not installed"),
    }
}
