//! The cloud port: the vocabulary of calls the console makes, their errors,
//! plans built from observations, and the step-by-step execution of a plan.
//! Two adapters speak it: the simulated world (`sim`) and, later, AWS.

mod call;
pub mod plan;
pub mod run;
pub mod sim;

pub use call::{ApiError, Call, CallOutput, WaitType};
