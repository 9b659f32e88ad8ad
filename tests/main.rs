//! The one integration test binary: every module below links the library once.

mod console;
mod inputs;
mod net;
mod plans;
mod scenarios;
mod soak;
mod steps;
mod support;
mod world_errors;
