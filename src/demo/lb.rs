//! The demo's load balancer: a round-robin HTTP proxy on 127.0.0.1 that
//! forwards only to registered, healthy targets. Deregistered targets drain:
//! they get no new requests, and requests already forwarded finish. With no
//! healthy target it answers 503, as an Application Load Balancer does; a
//! target that cannot be reached gives 502.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::net::{Body, client, respond, serve_tls};

/// One healthy target the proxy may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub instance_id: String,
    pub addr: SocketAddr,
}

/// Where requests may go now.
pub type Routes = Vec<Backend>;

/// A running load balancer.
#[derive(Debug)]
pub struct LoadBalancer {
    pub addr: SocketAddr,
    /// Serving HTTPS.
    tls: bool,
    routes: watch::Sender<Routes>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

/// Binds `port` on 127.0.0.1 (0 asks for a free port).
pub async fn bind(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port)).await
}

impl LoadBalancer {
    /// Starts proxying on `listener` with no targets.
    pub fn start(listener: TcpListener) -> io::Result<Self> {
        Self::start_with(listener, None)
    }

    /// Starts proxying, over TLS with this configuration when given.
    pub fn start_with(listener: TcpListener, tls: Option<Arc<rustls::ServerConfig>>) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        let (routes_tx, routes_rx) = watch::channel(Routes::new());
        let (stop_tx, stop_rx) = oneshot::channel();
        let next = Arc::new(AtomicUsize::new(0));
        let http = client(false);
        let handler = move |req: Request<Incoming>, _peer| {
            let routes = routes_rx.borrow().clone();
            let turn = next.fetch_add(1, Ordering::Relaxed);
            let http = http.clone();
            async move { forward(req, &routes, turn, &http).await }
        };
        let https = tls.is_some();
        let task = tokio::spawn(serve_tls(listener, tls, handler, stop_rx, Duration::from_secs(5)));
        Ok(Self { addr, tls: https, routes: routes_tx, stop: Some(stop_tx), task })
    }

    /// The address users reach it at.
    pub fn url(&self) -> String {
        format!("{}://{}/", if self.tls { "https" } else { "http" }, self.addr)
    }

    /// Replaces the set of healthy targets.
    pub fn set_routes(&self, routes: Routes) {
        self.routes.send_if_modified(|r| {
            let changed = *r != routes;
            if changed {
                *r = routes;
            }
            changed
        });
    }

    /// Stops it; requests in flight finish.
    pub fn stop(mut self) -> JoinHandle<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
    }
}

async fn forward(
    req: Request<Incoming>,
    routes: &Routes,
    turn: usize,
    http: &hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Body>,
) -> Response<Body> {
    if routes.is_empty() {
        return respond(StatusCode::SERVICE_UNAVAILABLE, "text/html", "<h1>503 Service Temporarily Unavailable</h1>");
    }
    let backend = &routes[turn % routes.len()];
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(http_body_util::Collected::to_bytes) else {
        return respond(StatusCode::BAD_REQUEST, "text/plain", "bad request body");
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let uri = format!("http://{}{path}", backend.addr);
    let mut out = Request::builder().method(parts.method).uri(uri);
    for (name, value) in &parts.headers {
        if name != hyper::header::HOST && name != hyper::header::CONNECTION {
            out = out.header(name, value);
        }
    }
    let Ok(out) = out.body(Body::new(body)) else {
        return respond(StatusCode::BAD_REQUEST, "text/plain", "bad request");
    };
    match tokio::time::timeout(Duration::from_secs(10), http.request(out)).await {
        Ok(Ok(resp)) => {
            let (parts, body) = resp.into_parts();
            match body.collect().await {
                Ok(b) => Response::from_parts(parts, Body::new(b.to_bytes())),
                Err(_) => respond(StatusCode::BAD_GATEWAY, "text/html", "<h1>502 Bad Gateway</h1>"),
            }
        }
        Ok(Err(_)) => respond(StatusCode::BAD_GATEWAY, "text/html", "<h1>502 Bad Gateway</h1>"),
        Err(_) => respond(StatusCode::GATEWAY_TIMEOUT, "text/html", "<h1>504 Gateway Time-out</h1>"),
    }
}
