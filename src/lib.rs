//! bluegreen: a terminal console for AWS CodeDeploy blue/green deployments
//! on EC2 Auto Scaling groups.
//!
//! - [`domain`]: plain data of one observation (groups, instances, deployments).
//! - [`cloud`]: the calls the console makes, plans computed from an
//!   observation, plan execution, and the simulated world behind the demo.

pub mod cloud;
pub mod domain;
