//! The console without a terminal: `update` driven by keys over seeded
//! worlds (effects run against the world synchronously), whole-screen
//! snapshots, the redraw budget, and the built binary in a pseudo-terminal.

mod big;
mod clock;
mod e2e;
mod harness;
mod redraw;
mod replay;
mod screens;
mod tour;
mod trust;
mod update;
