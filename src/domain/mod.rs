//! Plain data that one look at the world yields: what the console shows and
//! what plans are computed from. No I/O, no clocks; both cloud adapters
//! (AWS and the simulated world) produce these types.

mod deployment;
mod environment;
pub mod fleet;
mod observation;
mod text;
mod time;
pub mod why;
mod wire;

pub use deployment::{
    Creator, Deployment, DeploymentStatus, Diagnostics, ErrorInfo, EventStatus, Hook, LifecycleEvent, Overview,
    RollbackInfo, Stage, Target, TargetLabel, TargetStatus, Wait,
};
pub use environment::{
    Environment, Health, Instance, Lifecycle, LoadBalancer, LoadBalancerKind, TargetHealth, TargetState, owner,
};
pub use observation::{
    AutoRollback, DeploymentGroup, GreenProvisioning, Observation, ReadyAction, Revision, Sides, Stored,
    TerminationAction,
};
pub use text::{clean, clean_lines, some_of};
pub use time::{At, millis, parse_duration, short};
