//! The one integration test binary: every module below links the library once.

mod aws;
mod console;
mod inputs;
mod net;
mod plans;
mod probe;
mod pty;
mod record;
mod scenarios;
mod soak;
mod steps;
mod support;
mod world_errors;
