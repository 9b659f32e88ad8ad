//! The demo's network face: the simulated world's instances as real HTTP
//! servers on 127.0.0.1, a real round-robin load balancer in front of them,
//! and the runtime that plays the world on tokio's clock and keeps the
//! network in step with it.

pub mod clock;
pub mod http;
pub mod instance;
pub mod lb;
pub mod plain;
pub mod runtime;
