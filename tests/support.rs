//! Helpers shared by the tests: worlds brought to a given situation by
//! playing real stories (no hand-made observations).

use std::time::Duration;

use bluegreen::cloud::Event;
use bluegreen::cloud::sim::story::{self, Action};
use bluegreen::cloud::sim::{Scenario, World};

pub const LIMIT: Duration = Duration::from_secs(4 * 3600);

pub fn world(name: &str) -> World {
    World::new(&Scenario::load(name).expect("built-in scenario"))
}

/// Plays `script` on `world` and gives the events, failing the test on error.
pub fn play(world: &mut World, script: &str) -> Vec<Event> {
    let actions: Vec<Action> = story::parse(script).expect("script parses");
    story::play(world, actions, LIMIT).unwrap_or_else(|e| panic!("story '{script}' failed: {e}"))
}

/// A world of `name` after `script` has played.
pub fn after(name: &str, script: &str) -> World {
    let mut w = world(name);
    play(&mut w, script);
    w
}

/// Moves the world's clock forward.
pub fn pass(world: &mut World, secs: u64) {
    world.advance(world.now() + Duration::from_secs(secs));
}

/// Names of the groups that receive traffic.
pub fn serving(world: &World) -> Vec<String> {
    world.observe().serving().iter().map(|e| e.asg.clone()).collect()
}
