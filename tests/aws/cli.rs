//! The binary on AWS (moto and the scripted CodeDeploy endpoint), as a user
//! runs it: what is wrong before the screen opens is one line with a hint
//! and exit 2; in a pseudo-terminal the console shows BLUE and GREEN, the
//! deployment's phases and the versions served, as in the demo.

use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use bluegreen::net::{respond, serve};
use hyper::StatusCode;

use super::World;
use super::codedeploy::{FakeCodeDeploy, GroupSettings};
use super::env::{Env, KEY_ID, SECRET};
use super::moto::{moto, region, scratch};
use crate::pty::Pty;

/// The environment a user's shell would have for this world (and nothing
/// of the machine's own AWS settings).
pub(super) fn aws_env(fake: &FakeCodeDeploy, region: &str, name: &str) -> Vec<(String, String)> {
    let home = scratch(&format!("home-{name}"));
    std::fs::create_dir_all(&home).unwrap();
    vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".into(), home.display().to_string()),
        ("XDG_STATE_HOME".into(), home.join("state").display().to_string()),
        ("AWS_ENDPOINT_URL".into(), moto().url.clone()),
        ("AWS_ENDPOINT_URL_CODEDEPLOY".into(), fake.url.clone()),
        ("AWS_ACCESS_KEY_ID".into(), KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY".into(), SECRET.into()),
        ("AWS_REGION".into(), region.into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ]
}

pub(super) fn run(env: &[(String, String)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bluegreen")).env_clear().envs(env.iter().cloned()).args(args).output().unwrap()
}

pub(super) fn one_line(out: &Output, says: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "exit 2; stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("hint"), "a hint: {err}");
    assert!(err.contains(says), "'{says}' in: {err}");
    assert!(out.stdout.is_empty(), "no screen was opened");
    err
}

#[tokio::test(flavor = "multi_thread")]
async fn what_is_wrong_before_the_screen_opens_is_one_line() {
    let region = region();
    let env = Env::alb(region, 2).await;
    let fake = FakeCodeDeploy::start(env, GroupSettings::tutorial(true)).await;
    let vars = aws_env(&fake, region, "errors");
    let (vars2, region2) = (vars.clone(), region.to_string());
    tokio::task::spawn_blocking(move || {
        let err = one_line(&run(&vars2, &["--app", "nope"]), "no CodeDeploy application 'nope'");
        assert!(err.contains("--app one of bluegreen-app"), "{err}");
        one_line(&run(&vars2, &["--group", "nope"]), "no deployment group of bluegreen-app 'nope'");
        one_line(&run(&vars2, &["--region", "mars-north-1"]), "unknown region 'mars-north-1'");
        let no_keys: Vec<_> = vars2
            .iter()
            .filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"))
            .cloned()
            .collect();
        let err = one_line(&run(&no_keys, &[]), "no AWS credentials: ");
        assert!(err.contains("tried environment, profile 'default'"), "the sources tried: {err}");
        assert!(!err.contains("ProviderError") && !err.contains('{') && !err.contains('…'), "in words: {err}");
        let mut half = no_keys.clone();
        half.push(("AWS_ACCESS_KEY_ID".into(), "AKIAEXAMPLE".into()));
        one_line(&run(&half, &[]), "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
        let mut typo = no_keys.clone();
        typo.push(("AWS_PROFILE".into(), "prdo".into()));
        one_line(&run(&typo, &["status"]), "profile 'prdo' is in neither ~/.aws/config nor ~/.aws/credentials");
        let no_region: Vec<_> = vars2.iter().filter(|(k, _)| k != "AWS_REGION").cloned().collect();
        one_line(&run(&no_region, &[]), "no AWS region");
        let _ = region2;
    })
    .await
    .unwrap();
}

/// A page server standing in for the load balancer: it serves the
/// tutorial's page with version 2 while the deployment group points at a
/// copy (green), else version 1.
async fn page_server(fake: FakeCodeDeploy) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fake = Arc::new(fake);
    let handler = move |_req, _peer| {
        let fake = fake.clone();
        async move {
            let green = fake.group_asgs().first().is_some_and(|g| g.starts_with("CodeDeploy_"));
            let v = if green { 2 } else { 1 };
            respond(
                StatusCode::OK,
                "text/html",
                format!("<h1>application version: {v}</h1><h1>instance-id: i-0page</h1>"),
            )
        }
    };
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::mem::forget(stop);
    tokio::spawn(serve(listener, handler, stop_rx, Duration::from_secs(1)));
    format!("http://{addr}/")
}

/// Runs `f` with the screen on a blocking thread (the test's runtime keeps
/// serving the scripted endpoint meanwhile) and gives the screen back.
async fn with(screen: Pty, f: impl FnOnce(&Pty) + Send + 'static) -> Pty {
    tokio::task::spawn_blocking(move || {
        f(&screen);
        screen
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_promote_reattach_clean_up_in_a_real_terminal_on_aws() {
    let region = region();
    let world =
        World::new(Env::alb(region, 2).await, GroupSettings { hook_seconds: 0.3, ..GroupSettings::tutorial(true) })
            .await;
    let url = page_server(world.fake.clone()).await;
    let (log, audit) = (scratch("console.log"), scratch("console-audit.jsonl"));
    let _ = (std::fs::remove_file(&log), std::fs::remove_file(&audit));
    let vars = aws_env(&world.fake, region, "console");
    let env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let args = ["--url", url.as_str(), "--log-file", log.to_str().unwrap(), "--audit-log", audit.to_str().unwrap()];
    let screen = Pty::start_with(&args, &env, 120, 40);
    let screen = with(screen, |s| {
        s.wait_for("the console", |t| {
            t.contains("bluegreen-app / bluegreen-dg") && t.contains("BLUE · original · serving") && t.contains("v1  █")
        });
        s.press("d");
        s.wait_for("the deploy plan", |t| t.contains("Plan: Deploy newversion-v2 to bluegreen-dg"));
        s.press("y");
        s.wait_for("green appearing", |t| t.contains("CodeDeploy_bluegreen-dg_d-TEST00001"));
        s.wait_for("Ready", |t| t.contains(" Ready ") && t.contains("GREEN · replacement · installed"));
        s.press("p");
        s.wait_for("the promote plan", |t| t.contains("Plan: Reroute traffic to green now"));
        s.press("y");
        let text = s.wait_for("success with green serving v2", |t| {
            t.contains("Succeeded") && t.contains("GREEN · replacement · serving") && t.contains("v2  █")
        });
        assert!(text.contains("BLUE · original · idle"), "{text}");
        s.press("r");
        s.wait_for("the reattach plan", |t| t.contains("Plan: Reattach blue"));
        s.press("y");
        s.wait_for("blue back", |t| t.contains("bluegreen-asg is attached and serves again") && t.contains("v1  █"));
        s.press("c");
        s.wait_for("the clean-up plan", |t| {
            t.contains("Plan: Delete the idle Auto Scaling group CodeDeploy_bluegreen-dg_d-TEST00001")
        });
        s.press("CodeDeploy_bluegreen-dg_d-TEST00001\r");
        s.wait_for("green deleted", |t| t.contains("CodeDeploy_bluegreen-dg_d-TEST00001 deleted with its instances"));
        s.press("?");
        s.wait_for("the help with the log and audit files", |t| t.contains("Log file:") && t.contains("Audit log:"));
        s.press("q");
        s.wait_for("the help closed", |t| !t.contains("Log file:"));
        s.press("q");
    })
    .await;
    let mut screen = screen;
    assert_eq!(screen.exit_code(), 0);
    screen.given_back().unwrap();

    assert!(!world.env.group_exists("CodeDeploy_bluegreen-dg_d-TEST00001").await, "green is gone from moto");
    assert!(world.env.group_exists("bluegreen-asg").await, "the original is untouched");
    assert_eq!(world.fake.group_asgs(), ["bluegreen-asg"]);
    assert_eq!((world.fake.count("CreateDeployment"), world.fake.count("ContinueDeployment")), (1, 1), "exactly once");
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&audit).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6, "one audit line per mutation: {lines:#?}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("GetDeploymentGroup") && logged.contains("request_id"),
        "calls are logged with request ids"
    );
    for secret_file in [&logged, &std::fs::read_to_string(&audit).unwrap()] {
        assert!(!secret_file.contains(SECRET), "no credentials");
    }
}

/// `status` (text and JSON) and `wait` through a deployment's life, as a
/// script in CI would run them: exit 0 with no deployment or a succeeded
/// one, 3 while one is in progress, 1 when stopped or failed, 124 when
/// `wait --timeout` runs out.
#[tokio::test(flavor = "multi_thread")]
async fn status_and_wait_for_scripts() {
    let region = region();
    let env = Env::alb(region, 2).await;
    let world = World::new(env, GroupSettings::tutorial(true)).await;
    let vars = aws_env(&world.fake, region, "headless");
    let headless = |args: &'static [&'static str]| {
        let vars = vars.clone();
        async move { tokio::task::spawn_blocking(move || run(&vars, args)).await.unwrap() }
    };
    let json_of = |out: &Output| -> serde_json::Value {
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "one object: {text}");
        assert!(!text.contains("\\u00") && !text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        check_schema(&v);
        v
    };

    let out = headless(&["status", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    assert_eq!((v["outcome"].as_str(), v["deployment"].is_null()), (Some("none"), true));
    assert_eq!(v["environments"][0]["role"], "blue");
    assert_eq!(v["environments"][0]["serving"], true);
    let out = headless(&["wait"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to wait for"));

    let id = world.deploy().await;
    ready(&world).await;
    let out = headless(&["status"]).await;
    assert_eq!(out.status.code(), Some(3), "in progress");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("deployment {id} of newversion-v2: Ready")), "{text}");
    assert!(text.contains("GREEN CodeDeploy_bluegreen-dg_"), "{text}");
    let v = json_of(&headless(&["status", "--json"]).await);
    assert_eq!((v["outcome"].as_str(), v["deployment"]["status"].as_str()), (Some("in_progress"), Some("Ready")));
    let out = headless(&["wait", "--timeout", "2s", "--every", "1s"]).await;
    assert_eq!(out.status.code(), Some(124));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("deployment {id} is still Ready after 2s")) && err.contains("hint"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    world.codedeploy.stop_deployment().deployment_id(&id).send().await.unwrap();
    let out = headless(&["status", "--json"]).await;
    assert_eq!(out.status.code(), Some(1), "stopped");
    assert_eq!(json_of(&out)["deployment"]["error"]["code"], "MANUAL_STOP");

    // `wait` follows a deployment to its success, a line per change.
    let id = world.deploy().await;
    let waiting = headless(&["wait", "--every", "1s"]);
    let promote = async {
        ready(&world).await;
        world.codedeploy.continue_deployment().deployment_id(&id).send().await.unwrap();
    };
    let (out, ()) = tokio::join!(waiting, promote);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.lines().next().unwrap().contains(&format!("waiting for deployment {id}")), "{text}");
    assert!(text.contains("Ready → ") || text.contains("→ Succeeded"), "the changes on the way: {text}");
    assert!(text.trim_end().ends_with(&format!("deployment {id} ended: Succeeded")), "{text}");

    world.fake.fault(super::codedeploy::Fault::FailHook {
        hook: bluegreen::domain::Hook::ValidateService,
        log_tail: "\u{1b}[31mboom".into(),
    });
    let id = world.deploy().await;
    let out = headless(&["wait", "--every", "1s"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.trim_end().ends_with(&format!("deployment {id} ended: Failed")), "{text}");
    let out = headless(&["status", "--json"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_of(&out)["outcome"], "failed");
}

async fn ready(world: &World) {
    use bluegreen::cloud::Cloud;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let obs = world.cloud.observe().await.unwrap();
        if obs.active.as_ref().is_some_and(|d| d.status == bluegreen::domain::DeploymentStatus::Ready) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "Ready within a minute");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The fields and types the README's "Scripts and CI" section documents.
fn check_schema(v: &serde_json::Value) {
    use serde_json::Value;
    let is = |v: &Value, what: &str, ok: bool| assert!(ok, "{what} in {v:#}");
    assert_eq!(v["schema_version"], 1);
    for key in ["time", "region", "application", "deployment_group", "outcome"] {
        is(v, key, v[key].is_string());
    }
    is(
        v,
        "outcome",
        ["none", "succeeded", "failed", "stopped", "in_progress"].contains(&v["outcome"].as_str().unwrap()),
    );
    is(v, "autoscaling_groups", v["autoscaling_groups"].as_array().is_some_and(|a| a.iter().all(Value::is_string)));
    for key in ["kind", "name", "url"] {
        is(v, key, v["load_balancer"][key].is_string());
    }
    for e in v["environments"].as_array().expect("environments") {
        is(e, "asg", e["asg"].is_string());
        is(e, "role", ["blue", "green", "other"].contains(&e["role"].as_str().unwrap_or_default()));
        for key in ["min", "desired", "max"] {
            is(e, key, e[key].is_u64());
        }
        for key in ["attached", "serving"] {
            is(e, key, e[key].is_boolean());
        }
        for i in e["instances"].as_array().expect("instances") {
            for key in ["id", "lifecycle", "health"] {
                is(i, key, i[key].is_string());
            }
            for key in ["private_ip", "target", "version"] {
                is(i, key, i[key].is_string() || i[key].is_null());
            }
        }
    }
    let d = &v["deployment"];
    if !d.is_null() {
        for key in ["id", "status", "created"] {
            is(d, key, d[key].is_string());
        }
        is(d, "is_rollback", d["is_rollback"].is_boolean());
        for key in ["revision", "original_asg", "replacement_asg", "completed"] {
            is(d, key, d[key].is_string() || d[key].is_null());
        }
        for key in ["pending", "in_progress", "succeeded", "failed", "skipped", "ready"] {
            is(d, key, d["overview"][key].is_u64());
        }
        is(d, "error", d["error"].is_null() || (d["error"]["code"].is_string() && d["error"]["message"].is_string()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_tells_a_deployment_that_failed_between_two_looks_and_so_does_the_log_file() {
    use std::io::BufRead;
    use std::sync::Mutex;

    use bluegreen::cloud::Cloud;
    use bluegreen::domain::Hook;

    use super::codedeploy::Fault;

    let region = region();
    let world = World::new(Env::alb(region, 2).await, GroupSettings::tutorial(false)).await;
    let mut vars = aws_env(&world.fake, region, "plain-between");
    vars.push(("AWS_SESSION_TOKEN".into(), TOKEN.into()));
    let state = std::path::PathBuf::from(&vars.iter().find(|(k, _)| k == "XDG_STATE_HOME").unwrap().1);
    let _ = std::fs::remove_dir_all(&state);
    let url = page_server(world.fake.clone()).await;
    let log = scratch("plain-between.log");
    let _ = std::fs::remove_file(&log);
    let mut child = Command::new(env!("CARGO_BIN_EXE_bluegreen"))
        .env_clear()
        .envs(vars.iter().cloned())
        .args(["--plain", "--url", &url, "--log-file", log.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let reader = {
        let (lines, stdout) = (lines.clone(), child.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        })
    };
    let wait_for = |what: &str, done: &dyn Fn(&[String]) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !done(&lines.lock().unwrap()) {
            assert!(std::time::Instant::now() < deadline, "no {what}: {:#?}", lines.lock().unwrap());
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // The first look's own line (not the `aws` line printed before it).
    let watching = |l: &[String]| l.iter().any(|l| l.contains("event    watching bluegreen-app/bluegreen-dg"));
    tokio::task::block_in_place(|| wait_for("first look", &watching));

    // From outside, a deployment whose first hook fails: over in a second.
    world.fake.fault(Fault::FailHook { hook: Hook::ApplicationStop, log_tail: "[stderr]stop.sh: exit 3".into() });
    let id = world.deploy().await;
    let ended = format!("deployment {id} ended Failed: HOOK_EXECUTION_FAILURE");
    tokio::task::block_in_place(|| wait_for("end of the deployment", &|l| l.iter().any(|l| l.contains(&ended))));
    let obs = world.cloud.observe().await.unwrap();
    let d = obs.last.as_ref().unwrap();
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let lines = lines.lock().unwrap().clone();
    assert_eq!(status.code(), Some(130), "interrupted: {lines:#?}");

    let line =
        |what: &str| lines.iter().position(|l| l.contains(what)).unwrap_or_else(|| panic!("no {what:?} in {lines:#?}"));
    let created = line(&format!("deployment {id} created (newversion-v2, by user)"));
    let failed = line("ApplicationStop ✗ failed");
    let end = line(&ended);
    assert!(created < failed && failed < end, "in order: {lines:#?}");
    // Why, under the failed hook and under the end: the script, its exit
    // code, its log, the step to take; the deployment's own words.
    let script = line("why      scripts/ApplicationStop.sh exited 1 (ScriptFailed) on i-");
    let tail = line("why      │ [stderr]stop.sh: exit 3");
    let hint = line("why      hint: the script exited with an error: the log tail shows why");
    let message = line("why      HOOK_EXECUTION_FAILURE: The overall deployment failed");
    assert!(failed < script && script < tail && tail < hint && end < message, "in order: {lines:#?}");
    // Stamped at the deployment's own times (to the second; the scripted
    // endpoint stamps an end a moment after the look that sees it began).
    let secs = |clock: &str| clock.split(':').fold(0i64, |acc, p| acc * 60 + p.parse::<i64>().unwrap());
    let near = |line: &str, want: bluegreen::domain::At| {
        assert!(line[9..].starts_with("event"), "{line}");
        assert!((secs(&line[..8]) - secs(&want.to_string())).abs() <= 1, "{line}: the deployment says {want}");
    };
    near(&lines[created], d.created_at);
    near(&lines[end], d.completed_at.unwrap());

    let file = std::fs::read_to_string(&log).unwrap();
    let why = "scripts/ApplicationStop.sh exited 1 (ScriptFailed)".to_string();
    for what in [format!("deployment {id} created"), "ApplicationStop ✗ failed".into(), ended.clone(), why] {
        assert!(file.lines().any(|l| l.contains("bluegreen::events") && l.contains(&what)), "{what:?} in {file}");
    }
    recorded_and_replayed_offline(&state, &log, &lines);
}

/// A known session token, to look for where it must never be.
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLE-session-token-never-recorded";

/// The session was recorded by default, its owner's only, with none of the
/// credentials, and replays with no endpoint and no credentials at all: the
/// same lines `--plain` printed live.
fn recorded_and_replayed_offline(state: &std::path::Path, log: &std::path::Path, live: &[String]) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let sessions = state.join("bluegreen/sessions");
    let found: Vec<_> = std::fs::read_dir(&sessions).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(found.len(), 1, "one recording: {found:?}");
    let recording = &found[0];
    assert_eq!((mode(recording), mode(&sessions), mode(&state.join("bluegreen"))), (0o600, 0o700, 0o700));
    assert_eq!(mode(log), 0o600, "the log is its owner's only");
    let text = std::fs::read_to_string(recording).unwrap();
    for secret in [SECRET, TOKEN, KEY_ID, "Signature=", "X-Amz-Security-Token"] {
        assert!(!text.contains(secret), "{secret} in the recording");
    }
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!((header["mode"].as_str(), header["group"].as_str()), (Some("aws"), Some("bluegreen-dg")));
    assert!(header["caller"].as_str().is_some_and(|c| c.starts_with("arn:aws:")), "who watched: {header}");
    assert!(text.trim_end().lines().last().unwrap().contains("\"end\":{\"reason\":\"signal 2\"}"), "closed");

    let home = scratch("home-offline");
    std::fs::create_dir_all(&home).unwrap();
    let offline =
        [("PATH".to_string(), std::env::var("PATH").unwrap_or_default()), ("HOME".into(), home.display().to_string())];
    let out = run(&offline, &["replay", "--plain", recording.to_str().unwrap()]);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let replayed: Vec<&str> = printed.lines().collect();
    let (summary, body) = replayed.split_last().unwrap();
    assert!(summary.contains(" summary "), "{summary}");
    assert_eq!(body, live, "replay --plain prints what --plain printed live");
}
