//! What recording costs and what a recording weighs: bytes per hour of a
//! session on an idle group, and of an hour with one deployment (deploy,
//! Ready, promote, success) of 2 and of 200 instances, with the prober at 10
//! requests a second and observations on the console's AWS cadence (every
//! 3 s while something moves, 20 s when still); the CPU the recorder adds
//! (its time per recorded hour, as a share of one core); and the time to
//! open a one-hour recording (read, check, survey its moments) and jump to
//! its end. Goals: under 2 MB an idle hour, under 1 MB an hour with a
//! deployment of 2, under 0.2% of a core, under 200 ms to open and jump.
//!
//! ```sh
//! cargo bench --bench record
//! RECORD_BENCH_DETAIL=1 cargo bench --bench record   # where opening's time goes
//! ```

use std::time::{Duration, Instant as StdInstant};

use bluegreen::app::Msg;
use bluegreen::cloud::sim::scenario::BUILTIN;
use bluegreen::cloud::sim::{Scenario, World, story};
use bluegreen::probe::{ErrorKind, Outcome, Sample};
use bluegreen::record::replay::{self, Replay};
use bluegreen::record::{Header, Recorder, SCHEMA_VERSION, tape};
use tokio::time::Instant;

const HOUR: u64 = 3600;
const RATE: u64 = 10;

fn header() -> Header {
    Header {
        schema_version: SCHEMA_VERSION,
        bluegreen: env!("CARGO_PKG_VERSION").into(),
        commit: "bench".into(),
        mode: "aws".into(),
        source: "aws".into(),
        region: Some("us-east-1".into()),
        application: Some("bluegreen-app".into()),
        group: Some("bluegreen-dg".into()),
        caller: Some("arn:aws:iam::123456789012:user/release-manager".into()),
        size: Some((120, 40)),
        start: "2026-11-27T09:00:00Z".into(),
        url: "http://bluegreen-alb-123.us-east-1.elb.amazonaws.com/".into(),
        unverified: false,
        read_only: None,
        stale_after_secs: Some(60),
        tour: false,
        names_events: false,
        first: Vec::new(),
    }
}

/// Feeds a recorder what an hour of the console takes in.
struct Session {
    recorder: Recorder,
    start: Instant,
    second: u64,
    turn: usize,
    /// Time spent inside the recorder.
    spent: Duration,
    next_look: u64,
}

impl Session {
    fn send(&mut self, msg: &Msg) {
        let t = StdInstant::now();
        self.recorder.msg(msg, &[]);
        self.spent += t.elapsed();
    }

    /// One second of the world: ten answers, a tick, and a look when one is due.
    fn second(&mut self, world: &World) {
        let routable: Vec<_> =
            world.instances().into_iter().filter(bluegreen::cloud::sim::InstanceView::routable).collect();
        for n in 0..RATE {
            self.turn += 1;
            let outcome = match routable.get(self.turn % routable.len().max(1)) {
                Some(v) => match &v.version {
                    Some(version) => Outcome::Served { version: version.clone(), instance: Some(v.id.clone()) },
                    None => Outcome::Failed(ErrorKind::NoVersion),
                },
                None => Outcome::Failed(ErrorKind::Server(503)),
            };
            let scheduled = self.start + Duration::from_millis(self.second * 1000 + n * (1000 / RATE));
            let sample = Sample { scheduled, latency: Duration::from_micros(2300 + n * 37), outcome, handshake: None };
            self.send(&Msg::Sample(sample));
        }
        if self.second >= self.next_look {
            let obs = world.observe();
            let every = if obs.settled() { 20 } else { 3 };
            self.send(&Msg::Observed(Box::new(obs)));
            self.next_look = self.second + every;
        }
        let real = self.start + Duration::from_secs(self.second);
        self.send(&Msg::Tick { world: world.now(), real, pace: 1.0 });
        self.second += 1;
    }
}

/// Records an hour on a group of `instances`, with one deployment or none
/// (or only the deployment, from `deploy` to its success, when `secs` is 0);
/// gives the file, the recorder's time and the seconds recorded.
fn hour(dir: &std::path::Path, instances: u32, deploy: bool, secs: u64) -> (std::path::PathBuf, Duration, u64) {
    let text = BUILTIN[0].1.replace("[group]", &format!("[group]\ninstances = {instances}"));
    let mut world = World::new(&Scenario::parse(&text).expect("scenario"));
    let path = dir.join(format!("{instances}-{deploy}-{secs}.jsonl"));
    let mut s = Session {
        recorder: Recorder::create(&path, &header()).expect("a recording"),
        start: Instant::now(),
        second: 0,
        turn: 0,
        spent: Duration::ZERO,
        next_look: 0,
    };
    s.recorder.begin(s.start);
    if deploy {
        let story = if secs == 0 {
            "deploy; wait Ready; sleep 120; promote; wait Succeeded"
        } else {
            "sleep 60; deploy; wait Ready; sleep 120; promote; wait Succeeded"
        };
        let actions = story::parse(story).unwrap();
        story::play_with(&mut world, actions, Duration::from_secs(HOUR), |w| s.second(w)).expect("the story plays");
    }
    while s.second < secs {
        world.advance(world.now() + Duration::from_secs(1));
        s.second(&world);
    }
    s.recorder.end("quit");
    (path, s.spent, s.second)
}

/// A day of the log of a console watching deployments all day: a look every
/// 3 s of 6 calls, one line of 246 bytes each (as measured against moto),
/// written through the rotating log: what is left on disk.
fn log_day(dir: &std::path::Path) {
    use std::io::Write;
    let path = dir.join("bluegreen.log");
    let mut log = bluegreen::logging::Rotating::open(&path, bluegreen::logging::ROTATE_AT, bluegreen::logging::KEPT)
        .expect("a log");
    let line = format!("{}\n", "x".repeat(245));
    let lines = 86_400 / 3 * 6;
    for _ in 0..lines {
        log.write_all(line.as_bytes()).unwrap();
    }
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(Result::ok).collect();
    files.sort_by_key(std::fs::DirEntry::file_name);
    let sizes: Vec<String> = files
        .into_iter()
        .filter(|e| e.file_name().to_string_lossy().starts_with("bluegreen.log"))
        .map(|e| {
            format!("{} {:.1} MB", e.file_name().to_string_lossy(), e.metadata().unwrap().len() as f64 / 1_048_576.0)
        })
        .collect();
    let written = (lines * line.len()) as f64 / 1_048_576.0;
    println!("a day of the log ({lines} calls, {written:.1} MB written) leaves: {}", sizes.join(", "));
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    log_day(logs.path());
    println!("{:<44} {:>10} {:>8} {:>12} {:>14}", "recorded", "bytes", "lines", "CPU (core)", "open + end");
    for (name, instances, deploy, secs) in [
        ("an hour of an idle group of 2", 2, false, HOUR),
        ("an hour with a deployment of 2", 2, true, HOUR),
        ("an hour with a deployment of 200", 200, true, HOUR),
        ("a deployment of 2, deploy to success", 2, true, 0),
        ("a deployment of 200, deploy to success", 200, true, 0),
    ] {
        let (path, spent, recorded) = hour(dir.path(), instances, deploy, secs);
        let bytes = std::fs::metadata(&path).unwrap().len();
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        let cpu = spent.as_secs_f64() / recorded as f64 * 100.0;
        let t = StdInstant::now();
        let tape = tape::read(&path).expect("reads back");
        let read = t.elapsed();
        let setup = replay::setup(&tape);
        let mut r = Replay::new(tape, setup, true);
        let surveyed = t.elapsed();
        let end = r.tape().lines.len();
        r.seek(end);
        let open = t.elapsed();
        if std::env::var_os("RECORD_BENCH_DETAIL").is_some() {
            println!("  read {read:?}, surveyed {surveyed:?}, at the end {open:?}");
            detail(&r);
        }
        assert!(r.app().obs().is_some());
        let name =
            if secs == 0 { format!("{name} ({}m{:02}s)", recorded / 60, recorded % 60) } else { name.to_string() };
        println!(
            "{name:<44} {:>8.2} MB {lines:>8} {cpu:>11.4}% {:>11.1} ms",
            bytes as f64 / 1_048_576.0,
            open.as_secs_f64() * 1000.0
        );
    }
}

/// What one observation of the recording's last costs a replay: read from
/// JSON, and taken in by a copy of the app.
fn detail(r: &Replay) {
    let obs = r.app().obs().unwrap().clone();
    let v = serde_json::to_value(&obs).unwrap();
    let t = StdInstant::now();
    for _ in 0..20 {
        let _ = <bluegreen::domain::Observation as serde::Deserialize>::deserialize(&v).unwrap();
    }
    println!("  deserialize {:?}", t.elapsed() / 20);
    let t = StdInstant::now();
    for _ in 0..20 {
        let mut app = r.app().clone();
        app.update(Msg::Observed(Box::new(obs.clone())));
    }
    println!("  clone + update {:?}", t.elapsed() / 20);
    let t = StdInstant::now();
    for _ in 0..20 {
        let _ = r.app().clone();
    }
    println!("  clone {:?}", t.elapsed() / 20);
}
