//! bluegreen: a terminal console for AWS CodeDeploy blue/green deployments
//! on EC2 Auto Scaling groups.
//!
//! - [`domain`]: plain data of one observation (groups, instances, deployments).
//! - [`cloud`]: the calls the console makes, plans computed from an
//!   observation, plan execution, and the simulated world behind the demo.
//! - [`demo`]: the simulated world's network face (instance servers, load
//!   balancer) and its runtime on tokio's clock.
//! - [`probe`]: the load-balancer prober and its statistics.
//! - [`session`]: the app, its cloud and everything that feeds it; driven
//!   by [`console`] (a terminal) or [`plain`] (lines, no screen).
//! - [`app`]: the console's state, messages and `update`; [`ui`] draws it.
//! - [`exit`]: how a run ends (exit codes, one line on stderr).
//! - [`cli`]: the command line.

pub mod app;
pub mod cli;
pub mod cloud;
pub mod console;
pub mod demo;
pub mod domain;
pub mod exit;
pub mod headless;
pub mod live;
pub mod logging;
pub mod net;
pub mod plain;
pub mod probe;
pub mod session;
pub mod text;
pub mod ui;
