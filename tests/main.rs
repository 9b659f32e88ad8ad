//! The one integration test binary: every module below links the library once.

mod console;
mod net;
mod plans;
mod scenarios;
mod steps;
mod support;
mod world_errors;
