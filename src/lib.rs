//! bluegreen: a terminal console for AWS CodeDeploy blue/green deployments
//! on EC2 Auto Scaling groups.
//!
//! From the command line down; a module only uses those below it:
//!
//! - [`cli`]: the command line (the one module that knows clap), parsed
//!   into a [`command::Command`].
//! - [`command`]: one room per way of running (the console on AWS, the
//!   demo, the probe, push, status, wait), each choosing its output in one place.
//! - [`term`]: the one owner of the terminal (take and give back, suspend,
//!   signals, the redraw pacer); [`report`]: the outputs without a screen
//!   (lines, JSON), with one writer and one schema version.
//! - [`session`]: the app, its cloud and everything that feeds it (the
//!   watcher, the prober, a clock, a story's player).
//! - [`record`]: recordings: a session's lines written as they happen,
//!   read back and replayed into an app.
//! - [`app`]: the console's state, messages and `update`; [`ui`] draws it.
//! - [`cloud`]: the port (what the console needs of a deployment group),
//!   plans and their execution, and its two adapters: AWS through the SDK
//!   (`cloud::aws`) and the simulated world (`cloud::sim`).
//! - [`demo`]: the simulated world's network face (instance servers, load
//!   balancer) and the task that plays the world on tokio's clock.
//! - [`probe`]: the load-balancer prober and its statistics.
//! - [`bundle`]: a revision's bundle: appspec.yml checked, the directory
//!   zipped reproducibly and named by its content.
//! - [`tutorial`]: the tutorial's kit (its CloudFormation template and
//!   sample application) and what `tutorial up` and `down` know of it.
//! - [`net`]: HTTP pieces the prober and the demo share.
//! - [`domain`]: plain data of one observation (groups, instances,
//!   deployments, hooks); [`text`]: text fitted to columns.
//! - [`exit`]: how a run ends (exit codes, one line on stderr);
//!   [`logging`]: the log file.

pub mod app;
pub mod bundle;
pub mod cli;
pub mod cloud;
pub mod command;
pub mod demo;
pub mod domain;
pub mod exit;
pub mod logging;
pub mod net;
pub mod probe;
pub mod record;
pub mod report;
pub mod session;
pub mod term;
pub mod text;
pub mod tutorial;
pub mod ui;
