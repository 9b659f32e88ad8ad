//! The cloud port: the vocabulary of calls the console makes, their errors,
//! plans built from observations, and the step-by-step execution of a plan.
//! Two adapters speak it ([`Cloud`]): the simulated world (`sim`, through
//! the demo's runtime) and AWS (`aws`, through the SDK).

pub mod aws;
pub mod cadence;
mod call;
pub mod plan;
mod port;
pub mod run;
pub mod sim;
pub mod watch;

pub use call::{ApiError, Call, CallOutput, WaitType};
pub use port::{Cloud, Event, Feed, Tag};
