//! The demo's network face: the simulated world's instances as real HTTP
//! servers on 127.0.0.1, a real round-robin load balancer in front of them,
//! and the runtime that plays the world on tokio's clock and keeps the
//! network in step with it. [`open`] starts all of it.
//!
//! - [`instance`]: one instance's server (the tutorial's page, a health path).
//! - [`lb`]: the load balancer (routes to healthy targets, drains the others).
//! - [`runtime`]: the task that owns the world.

pub mod instance;
pub mod lb;
pub mod runtime;

use crate::cloud::sim::World;
use crate::exit::Failure;
pub use runtime::{Control, Demo};

/// The load balancer's port when none is asked for.
pub const DEFAULT_PORT: u16 = 8080;

/// Starts `world` at `pace` world seconds per real second, with its load
/// balancer on `port` on 127.0.0.1: exactly that port (0: any free one),
/// or without one 8080, falling back to a free port when it is taken.
/// Gives the running demo and the default port that was taken, if it was.
/// With `tls`, the load balancer serves HTTPS with a certificate made now.
pub async fn open(
    world: World,
    pace: f64,
    port: Option<u16>,
    tls: Option<&crate::net::tls::Made>,
) -> Result<(Demo, Option<u16>), Failure> {
    let (listener, taken) = match port {
        Some(port) => (lb::bind(port).await.map_err(|e| port_error(port, &e))?, None),
        None => match lb::bind(DEFAULT_PORT).await {
            Ok(listener) => (listener, None),
            Err(_) => (lb::bind(0).await.map_err(|e| port_error(0, &e))?, Some(DEFAULT_PORT)),
        },
    };
    let demo = runtime::start_with(world, pace, listener, tls.map(|m| m.server.clone()))
        .map_err(|e| Failure::Failed(format!("cannot start the load balancer: {e}")))?;
    Ok((demo, taken))
}

fn port_error(port: u16, e: &std::io::Error) -> Failure {
    let e = crate::domain::clean(&e.to_string(), 200);
    Failure::Usage(format!(
        "cannot listen on 127.0.0.1:{port}: {e} (hint: another --port, or leave it out to use a free one)"
    ))
}
